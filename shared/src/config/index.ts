// Public face of config: the schema, reading and validating a file, the reload merge, and the environment reader.
export { CONFIG_SCHEMA, type Config, type SectionName } from './schema.js';
export { loadConfigFile, parseConfigText } from './read.js';
export { defaultConfig, validateSection } from './validate.js';
export { mergeLiveKeys, type ReloadOutcome } from './merge.js';
export { isLoopback } from './rules.js';
export { apiOf, BUILTIN_PROVIDERS, parseAuthHeader, type ProviderApi } from './providers.js';
export { renderExampleConfig } from './example.js';
export { readEnv, workerEnvironment, type RaypherEnv } from './env.js';
