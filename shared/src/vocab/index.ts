// Vocabularies that several layers share and none owns.
export { PROVIDER_PATTERN } from './providers.js';
export { USAGE_GROUPS, type UsageGroup } from './usage.js';
export { fingerprint } from './fingerprint.js';
