// Every error code Raypher can produce, with the text an operator reads in docs/errors.md.
export const ERROR_CODES = {
  ERR_CONFIG_PARSE: 'The config file is not valid TOML.',
  ERR_CONFIG_INVALID: 'A config key has a value of the wrong type or outside its range.',
  ERR_CONFIG_UNKNOWN_KEY: 'The config file has a key Raypher does not know (often a typo).',
  ERR_CONFIG_NOT_FOUND: 'The config file named with --config does not exist.',
  ERR_HOME_INSECURE: 'A Raypher directory has the wrong owner or mode and could not be secured.',
  ERR_HOME_LOCKED: 'Another supervisor already runs on this home.',
  ERR_IPC_VERSION_MISMATCH: 'The two ends of an IPC link speak different protocol versions.',
  ERR_IPC_BAD_FRAME: 'An IPC frame was not valid JSON or not a valid message.',
  ERR_IPC_FRAME_TOO_LARGE: 'An IPC frame exceeded the maximum frame size.',
  ERR_IPC_BAD_PARAMS: 'A request carried parameters of the wrong shape.',
  ERR_IPC_BAD_RESULT: 'A reply carried a result of the wrong shape.',
  ERR_IPC_UNKNOWN_METHOD: 'A request named a method that does not exist.',
  ERR_IPC_TIMEOUT: 'A request got no reply within its timeout.',
  ERR_IPC_DISCONNECTED: 'The peer disconnected before replying.',
  ERR_IPC_QUEUE_FULL: 'Too many messages were waiting to be written to a slow peer.',
  ERR_IPC_HANDSHAKE_REQUIRED: 'A request arrived before the hello handshake.',
  ERR_CONTROL_DENIED: 'The caller is not allowed to use this control method.',
  ERR_CONTROL_UNREACHABLE: 'raypherctl could not reach the supervisor’s control socket.',
  ERR_WORKER_UNKNOWN: 'No worker has that name.',
  ERR_WORKER_NOT_RUNNING: 'The worker is not running, so it cannot answer.',
  ERR_WORKER_START_FAILED: 'A worker process could not be started.',
  ERR_HEALTH_BIND: 'The /health and /metrics server could not bind its address.',
  ERR_HEALTH_REMOTE_REFUSED: 'A non-loopback listen address was configured without allow_remote.',
  ERR_DB_OPEN: 'A SQLite database could not be opened or migrated.',
  ERR_AUDIT_BROKEN: 'The audit ledger’s hash chain does not verify.',
  ERR_NATIVE_UNSUPPORTED: 'A native OS facility is not available on this platform.',
  ERR_NATIVE_CALL: 'A native OS call failed.',
  ERR_NATIVE_SDNOTIFY: 'A message could not be sent to the service manager’s notify socket.',
  ERR_VAULT_HOST_KEY: 'The vault host key file is missing, unreadable, or has the wrong owner or mode.',
  ERR_VAULT_TPM: 'The TPM could not be used (not present, unreachable, or a tpm2-tools command failed).',
  ERR_VAULT_PCR_MISMATCH: 'The TPM refused to unseal because the PCR values changed (e.g. a firmware update); use the recovery key.',
  ERR_VAULT_INTEGRITY: 'A vault blob failed authentication: it was altered, moved to another row, or the data key is wrong.',
  ERR_VAULT_LOCKED: 'The vault could not unwrap its data key, so no secret can be sealed or unsealed until it is recovered.',
  ERR_VAULT_NOT_FOUND: 'No key is sealed for that provider.',
  ERR_VAULT_DENIED: 'A vault socket client did not present the per-boot token.',
  ERR_VAULT_RECOVERY: 'The recovery key is wrong, malformed, or no recovery key was set up.',
  ERR_VAULT_PROTECTOR: 'The configured key protector cannot be used on this machine.',
  ERR_CLI_INPUT: 'raypherctl needs input it could not get (no TTY for a prompt, empty input, no confirmation).',
  ERR_INTERNAL_UNEXPECTED: 'An unexpected internal error; the message says where.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
