// Vocabularies that several layers share and none owns.
export { PROVIDER_PATTERN } from './providers.js';
export { fingerprint } from './fingerprint.js';
