// Supervisor timings that are not operator settings, in milliseconds.
export const SUPERVISOR_TIMING = {
  /** How often worker liveness (heartbeat age, start timeout) is checked. */
  livenessCheckMs: 250,
  /** A stop message gets at most this long for its reply before SIGTERM is considered. */
  stopReplyMs: 1000,
} as const;
