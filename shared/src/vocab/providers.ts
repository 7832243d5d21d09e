// Provider names, as config, the allow list and the vault all spell them (no dependency: config and ipc both use it).
export const PROVIDER_PATTERN = /^[a-z0-9_-]{1,64}$/;
