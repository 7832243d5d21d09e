// How long each role's metadata stays valid; refresh re-signs timestamp and snapshot well before they lapse.
const DAY_MS = 86_400_000;

export const EXPIRY_DAYS = {
  root: 365,
  targets: 365,
  snapshot: 30,
  timestamp: 7,
} as const;

export type Role = keyof typeof EXPIRY_DAYS;

export const ROLES: readonly Role[] = ['root', 'targets', 'snapshot', 'timestamp'];

/** TUF wants whole seconds: 2026-11-29T12:00:00Z. */
export function expiresAt(role: Role, now: Date): string {
  return new Date(now.getTime() + EXPIRY_DAYS[role] * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
