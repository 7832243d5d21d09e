// How usage reports group audit rows (raypherctl usage --by), as the protocol and the report both spell it.
export const USAGE_GROUPS = ['agent', 'provider', 'model', 'day'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];
