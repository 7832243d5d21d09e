// Supervisor timings that are not operator settings, in milliseconds.
export const SUPERVISOR_TIMING = {
  /** How often worker liveness (heartbeat age, start timeout) is checked. */
  livenessCheckMs: 250,
} as const;
