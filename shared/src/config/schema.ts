// Every config key Raypher reads, with its default and unit: the single table of defaults.
import { key, type KeySpec } from './spec.js';

const LIVE = { live: true } as const;
/** What the terminator may do to a detected agent ([watchtower] action_<risk>). */
const ACTIONS = ['alert', 'suspend', 'kill'] as const;
/** The APIs a [[proxy.providers]] entry may declare ('' = not declared: it is reached by its path only). */
const PROVIDER_APIS = ['', 'openai', 'anthropic'] as const;

export const CONFIG_SCHEMA = {
  service: {
    name: key.string('raypher', 'Service name the installers register with the OS service manager.'),
    display_name: key.string('Raypher AI Safety Agent', 'Human-readable service name.'),
    operator_group: key.string('', 'Members of this group get admin access on the control socket (root and the service user always have it). Empty: none.'),
    socket_group: key.string('', 'Group given read access to the control socket and its directory, for read-only operators. Empty: owner only.'),
  },
  proxy: {
    listen_addr: key.string('127.0.0.1', 'Address the LLM proxy listens on. Loopback only unless allow_remote = true.'),
    listen_port: key.int(8888, 'Port the LLM proxy listens on (0 picks a free port).', { min: 0, max: 65535 }),
    allow_remote: key.bool(false, 'Allow a non-loopback listen_addr. Exposes the proxy to the network: leave off.'),
    unix_socket: key.string('', 'Path of an extra Unix socket endpoint; callers are identified by SO_PEERCRED. Relative paths are under the run directory. Empty: none.'),
    default_upstream: key.string('https://api.openai.com', 'Upstream base URL for OpenAI-compatible /v1/... paths (vault key "openai").'),
    anthropic_upstream: key.string('https://api.anthropic.com', 'Upstream base URL for /anthropic/... paths (vault key "anthropic").'),
    gemini_upstream: key.string('https://generativelanguage.googleapis.com', 'Upstream base URL for /gemini/... paths (vault key "gemini").'),
    providers: key.tables(
      {
        name: key.string('', 'Provider name; also the vault key name (raypherctl seal --provider NAME).'),
        base_url: key.string('', 'Upstream base URL (http or https); its path is kept in front of the forwarded path.'),
        path_prefix: key.string('', 'Path prefix served by this provider, removed before forwarding, e.g. /groq.'),
        auth_header: key.string('', 'Header carrying the key, with {key} where it goes, e.g. "Authorization: Bearer {key}".'),
        api: key.enum(PROVIDER_APIS, '', 'Optional: the API this provider speaks under its prefix, "openai" (OpenAI-compatible) or "anthropic". Needed for [[proxy.model_routes]] to send requests to it.', { optional: true }),
      },
      'More providers, each a [[proxy.providers]] table with name, base_url, path_prefix, auth_header and optionally api.',
      { name: 'groq', base_url: 'https://api.groq.com/openai/v1', path_prefix: '/groq', auth_header: 'Authorization: Bearer {key}', api: 'openai' },
      LIVE,
    ),
    model_routes: key.tables(
      {
        model: key.string('', 'A model name, exact ("gpt-4o") or a prefix ending in * ("llama-3.3-*"); the exact name, then the longest prefix, wins.'),
        provider: key.string('', 'The provider requests for this model go to: openai, anthropic, or a [[proxy.providers]] name that declares api.'),
      },
      'Model-name routing: each [[proxy.model_routes]] table sends requests whose JSON body names a matching model to a provider, whatever the path\'s provider (same API only; otherwise 400 ERR_PROXY_MODEL_API). A model not listed goes by path.',
      { model: 'llama-3.3-*', provider: 'groq' },
      LIVE,
    ),
    identity_max_age_ms: key.int(1000, 'A connection\'s callers are identified again before a request once their last check is older than this (0: before every request). Bounds how long a connection handed to another process keeps working.', { min: 0, max: 60_000, unit: 'ms', live: true }),
    on_deny: key.enum(['reject', 'drop'] as const, 'reject', 'What a denied caller gets: reject = 403 JSON with a code; drop = the connection is closed.', LIVE),
    upstream_timeout_ms: key.int(120_000, 'Time for the upstream to send response headers before 504.', { min: 100, max: 3_600_000, unit: 'ms', live: true }),
    rate_limit: key.int(100, 'Requests per minute allowed per caller identity.', { min: 1, max: 1_000_000, unit: 'requests/minute', live: true }),
    pool_idle_timeout_secs: key.int(90, 'How long an idle upstream connection is kept.', { min: 1, max: 3600, unit: 's' }),
    max_body_bytes: key.int(33_554_432, 'Largest request body forwarded (32 MiB: room for image inputs); larger gets 413 ERR_PROXY_BODY_TOO_LARGE.', { min: 1024, max: 1_073_741_824, unit: 'bytes', live: true }),
    max_header_count: key.int(128, 'Most request headers accepted; more gets 431 ERR_PROXY_TOO_MANY_HEADERS.', { min: 16, max: 1000, live: true }),
    headers_timeout_ms: key.int(10_000, 'Time a client has to send a request\'s headers before the connection is closed (slow-header clients).', { min: 100, max: 600_000, unit: 'ms' }),
    request_timeout_ms: key.int(300_000, 'Time a client has to send a whole request, body included, before 408.', { min: 1000, max: 3_600_000, unit: 'ms' }),
    inject_stream_usage: key.string('openai', 'Comma-separated OpenAI-compatible providers whose streamed chat completions get stream_options.include_usage added when the client did not ask, so usage is recorded; the extra chunk is taken out before the client sees it. Empty: none.', LIVE),
    price_file: key.string('', 'Absolute path of a JSON price table replacing the shipped one (docs/usage.md). Empty: the shipped table.'),
    max_connections_per_uid: key.int(512, 'Open proxy connections one uid may hold; more are refused (ERR_PROXY_TOO_MANY_CONNECTIONS).', { min: 1, max: 1_000_000, live: true }),
  },
  audit: {
    checkpoint_interval_secs: key.int(60, 'How often a signed checkpoint (sequence number + head hash, Ed25519, key held by the vault) is added to the audit ledger.', { min: 1, max: 86_400, unit: 's', live: true }),
  },
  watchtower: {
    scan_interval_secs: key.int(2, 'Seconds between scanner passes.', { min: 1, max: 3600, unit: 's', live: true }),
    alert_threshold: key.enum(['low', 'medium', 'high', 'critical'] as const, 'medium', 'Lowest risk level that raises an alert.', LIVE),
    verbose: key.bool(false, 'Log every scanner pass.', LIVE),
    action_low: key.enum(ACTIONS, 'alert', 'What the terminator does to a detected agent at risk low: alert (record only), suspend (SIGSTOP) or kill. Protected processes are never signalled.', LIVE),
    action_medium: key.enum(ACTIONS, 'alert', 'Action for an agent at risk medium (alert, suspend, kill).', LIVE),
    action_high: key.enum(ACTIONS, 'alert', 'Action for an agent at risk high (alert, suspend, kill).', LIVE),
    action_critical: key.enum(ACTIONS, 'alert', 'Action for an agent at risk critical (alert, suspend, kill).', LIVE),
    panic_action: key.enum(['none', 'suspend'] as const, 'none', 'While panic is engaged: none, or suspend every detected agent that is not protected (resumed on release).', LIVE),
    protected: key.string('', 'Comma-separated executable paths or process names the terminator never signals, besides the built-in protected set.', LIVE),
    provider_hosts: key.string('api.openai.com,api.anthropic.com,generativelanguage.googleapis.com,api.groq.com', 'Comma-separated provider hostnames, resolved every provider_resolve_secs; an agent connected to one of their addresses directly bypasses the proxy.', LIVE),
    provider_addresses: key.string('', 'Comma-separated extra provider addresses or CIDRs (e.g. 203.0.113.0/24).', LIVE),
    bypass_ports: key.string('443', 'Comma-separated remote ports that count as a direct provider connection.', LIVE),
    provider_resolve_secs: key.int(600, 'Seconds between resolutions of provider_hosts.', { min: 10, max: 86_400, unit: 's', live: true }),
  },
  updater: {
    enabled: key.bool(false, 'Check the signed update feed (a TUF repository) for new worker bundles. Needs metadata_url, targets_url and a trusted root.json.', LIVE),
    metadata_url: key.string('', 'Base URL of the TUF repository\'s metadata (root, timestamp, snapshot, targets .json files).'),
    targets_url: key.string('', 'Base URL of the TUF repository\'s targets (the bundles).'),
    trusted_root: key.string('root.json', 'The shipped root.json the first check trusts; relative paths are beside the config file.'),
    check_interval_secs: key.int(21_600, 'Seconds between update checks (6 hours), with up to 10 % random jitter.', { min: 60, max: 30 * 86_400, unit: 's', live: true }),
    auto_apply: key.bool(true, 'Hand a staged bundle to activation (blue/green swap) on its own; false: stage only, apply with raypherctl update apply.', LIVE),
    channel: key.string('stable', 'Release channel: only targets published for this channel are considered.', LIVE),
    trial_secs: key.int(300, 'A newly activated bundle is on trial this long; an exit, hang or unhealthy worker in that time rolls it back.', { min: 1, max: 86_400, unit: 's', live: true }),
    boot_tries: key.int(3, 'Supervisor starts allowed during a trial before the last-known-good bundle is booted instead.', { min: 1, max: 100 }),
    keep_slots: key.int(2, 'Committed bundle slots kept on disk besides the active one; older ones are deleted.', { min: 1, max: 20, live: true }),
  },
  logging: {
    level: key.enum(['error', 'warn', 'info', 'debug'] as const, 'info', 'Lowest level written to the logs.', LIVE),
    log_dir: key.string('logs', 'Log directory; relative paths are under the Raypher home (system mode: /var/log/raypher).'),
    rotation: key.enum(['daily', 'hourly'] as const, 'daily', 'How often each process starts a new log file.'),
    retention_days: key.int(7, 'Days of rotated log files kept.', { min: 1, max: 3650, unit: 'days' }),
  },
  supervisor: {
    heartbeat_interval_ms: key.int(1000, 'How often each worker sends a heartbeat.', { min: 50, max: 60_000, unit: 'ms' }),
    heartbeat_timeout_ms: key.int(5000, 'A worker silent for this long is hung: SIGKILL and restart.', { min: 100, max: 600_000, unit: 'ms', live: true }),
    start_timeout_ms: key.int(10_000, 'A worker must report ready within this time after spawn.', { min: 100, max: 600_000, unit: 'ms', live: true }),
    backoff_base_ms: key.int(100, 'First restart delay.', { min: 0, max: 600_000, unit: 'ms', live: true }),
    backoff_factor: key.number(2, 'Each consecutive restart multiplies the delay by this.', { min: 1, max: 10, live: true }),
    backoff_max_ms: key.int(30_000, 'Restart delay cap.', { min: 0, max: 3_600_000, unit: 'ms', live: true }),
    backoff_jitter: key.number(0.2, 'Random spread added to each delay, as a fraction of it.', { min: 0, max: 1, live: true }),
    stable_after_ms: key.int(60_000, 'A worker that ran this long before it crashed restarts at once (then backs off from the base delay); running this long also resets the backoff.', { min: 0, max: 86_400_000, unit: 'ms', live: true }),
    max_restarts: key.int(5, 'More restarts than this within restart_window_ms marks the worker failed.', { min: 1, max: 1000, live: true }),
    restart_window_ms: key.int(60_000, 'Window in which restarts are counted.', { min: 100, max: 86_400_000, unit: 'ms', live: true }),
    failed_cooldown_ms: key.int(300_000, 'A failed worker is tried again after this cool-down.', { min: 100, max: 86_400_000, unit: 'ms', live: true }),
    drain_timeout_ms: key.int(2000, 'After the stop message, time to exit before SIGTERM.', { min: 0, max: 600_000, unit: 'ms', live: true }),
    kill_timeout_ms: key.int(5000, 'After SIGTERM, time to exit before SIGKILL.', { min: 100, max: 600_000, unit: 'ms', live: true }),
    bundle_dir: key.string('', 'Directory of the active worker bundle (<dir>/<worker>/dist/main.js). Empty: the installed workers.'),
  },
  vault: {
    protector: key.enum(['auto', 'host', 'tpm2', 'host+tpm2'] as const, 'auto', 'How the data key is wrapped. auto: host+tpm2 when a TPM is present, else host.'),
    tcti: key.string('device:/dev/tpmrm0', 'TPM transport passed to tpm2-tools (TPM2TOOLS_TCTI).'),
    pcrs: key.string('', 'PCR policy for the TPM seal, e.g. "sha256:7". Empty: no PCR policy.'),
  },
  health: {
    enabled: key.bool(true, 'Serve GET /health and GET /metrics.'),
    listen_addr: key.string('127.0.0.1', 'Address of the /health and /metrics server. Loopback only unless allow_remote = true.'),
    listen_port: key.int(9898, 'Port of the /health and /metrics server (0 picks a free port).', { min: 0, max: 65535 }),
    allow_remote: key.bool(false, 'Allow a non-loopback health listen_addr.'),
  },
} as const;

type Schema = typeof CONFIG_SCHEMA;
type ValueOf<K> = K extends KeySpec<infer T> ? T : never;

export type Config = {
  readonly [S in keyof Schema]: { readonly [K in keyof Schema[S]]: ValueOf<Schema[S][K]> };
};
export type SectionName = keyof Schema;

/** The sections in the order the example config and reports list them. */
export const SECTION_NAMES = Object.freeze(Object.keys(CONFIG_SCHEMA)) as readonly SectionName[];
