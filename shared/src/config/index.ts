// Public face of config: the schema, the loader and the environment reader.
export { CONFIG_SCHEMA, type Config, type SectionName } from './schema.js';
export type { KeySpec } from './spec.js';
export { defaultConfig, loadConfigFile, parseConfigText, parseConfigObject, diffConfig, isLiveKey, isLoopback, parseAuthHeader, BUILTIN_PROVIDERS } from './load.js';
export { renderExampleConfig } from './example.js';
export { readEnv, workerEnvironment, type RaypherEnv } from './env.js';
