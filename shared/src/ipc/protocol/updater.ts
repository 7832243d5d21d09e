// The updater's operator surface: status, check now, stage now, pause and resume (forwarded by the supervisor).
import { defineControlMethods } from '../define.js';
import { bool, empty, int, literal, nullable, object, str, type Infer } from '../schema.js';
import { QUICK_CONTROL_MS } from './common.js';
import { wireErrorSchema } from './envelopes.js';

/**
 * A check may download a bundle (the updater's fetcher gives the whole download 10 min) and then hash and
 * extract up to 512 MiB; 15 min covers both with the metadata fetches, so the worker's own timeouts fire first.
 */
export const UPDATE_CHECK_MS = 900_000;

/** Where the updater is: `disabled` ([updater] enabled = false), `config_error` (enabled but unusable), else its state machine's phase. */
export const UPDATER_STATES = ['disabled', 'config_error', 'idle', 'checking', 'downloading', 'verifying', 'staged', 'failed'] as const;

export const releaseRef = object({ version: str({ max: 64 }), release_counter: int({ min: 0 }) });
export const stagedRelease = object({ version: str({ max: 64 }), release_counter: int({ min: 1 }), sha256: str({ max: 64 }), dir: str({ max: 4096 }), staged_at: str() });
export const lastCheckInfo = object({
  at: str(),
  result: literal('staged', 'up_to_date', 'failed'),
  detail: str(),
  error_code: nullable(str({ max: 64 })),
  alert: bool(),
});

export const updateStatus = object({
  enabled: bool(),
  state: literal(...UPDATER_STATES),
  /** Why the state is `failed` or `config_error`, or what a start-up clean-up did. */
  reason: nullable(str()),
  /** Set when [updater] is enabled but cannot be used (ERR_UPDATE_CONFIG naming the file or key). */
  config_error: nullable(wireErrorSchema),
  paused: bool(),
  auto_apply: bool(),
  channel: str(),
  /** The bundle the workers run now; release_counter 0 when they are not from a bundle (a development checkout). */
  installed: releaseRef,
  staged: nullable(stagedRelease),
  /** The newest release the last check in this process saw (null before one). */
  available: nullable(releaseRef),
  last_check: nullable(lastCheckInfo),
  next_check_at: nullable(str()),
  consecutive_failures: int({ min: 0 }),
});
export type UpdateStatus = Infer<typeof updateStatus>;

export const updateCheckResult = object({
  result: literal('staged', 'up_to_date'),
  available: nullable(releaseRef),
  staged: nullable(stagedRelease),
  /** Whether a newly staged bundle was handed to activation. */
  handed_over: bool(),
});
export type UpdateCheckResult = Infer<typeof updateCheckResult>;

/** The updater's operator methods; the supervisor forwards each to the updater worker with the caller attached. */
export const UpdaterControl = defineControlMethods('updater', {
  'update.status': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: updateStatus },
  /** Check now, as a scheduled check would (stages what it finds; hands it to activation per auto_apply). Admin: it causes network traffic and disk writes. */
  'update.check': { access: 'admin', timeoutMs: UPDATE_CHECK_MS, params: empty(), result: updateCheckResult },
  /** Check and stage now, never handing the bundle to activation. */
  'update.download': { access: 'admin', timeoutMs: UPDATE_CHECK_MS, params: empty(), result: updateCheckResult },
  /** Takes the updater's lock for one state write: during a running check it answers ERR_UPDATE_BUSY at once. */
  'update.pause': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: updateStatus },
  'update.resume': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: updateStatus },
});
