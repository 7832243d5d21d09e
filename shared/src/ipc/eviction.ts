// Which connections make room when a socket is over its cap: a pure decision, tested alone.

export interface EvictionCandidate {
  /** Completed the hello handshake. */
  readonly greeted: boolean;
  /** A request is being handled: never evicted (its reply is owed). */
  readonly busy: boolean;
  /** The caller has admin rights (e.g. root, the service user): evicted only after everyone else. */
  readonly privileged: boolean;
  readonly connectedAt: number;
  readonly lastActiveAt: number;
}

export interface EvictionClock {
  now: number;
  /** How long a new connection may take to say hello, or a greeted one to send its next request, before it counts as silent. */
  newcomerGraceMs: number;
}

/**
 * Picks up to `count` victims: unprivileged callers before privileged ones; within each, connections that
 * had time for a hello and sent none (oldest first), then greeted ones idle past the grace (longest idle
 * first), then the rest by last sign of life. Busy ones are never picked. So a flood of silent connections,
 * or of greeted ones that then say nothing, makes room for the newest connection, whose hello is on its way.
 */
export function pickVictims<T extends EvictionCandidate>(candidates: readonly T[], count: number, clock: EvictionClock): T[] {
  if (count <= 0) return [];
  const since = (c: T): number => (c.greeted ? c.lastActiveAt : c.connectedAt);
  const quiet = (c: T): boolean => clock.now - since(c) >= clock.newcomerGraceMs;
  const rank = (c: T): number => (c.privileged ? 3 : 0) + (!quiet(c) ? 2 : c.greeted ? 1 : 0);
  return candidates
    .filter((c) => !c.busy)
    .sort((a, b) => rank(a) - rank(b) || since(a) - since(b))
    .slice(0, count);
}
