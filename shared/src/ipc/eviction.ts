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

/**
 * Picks up to `count` victims: unprivileged callers before privileged ones; within each, connections
 * without a hello (oldest first) before greeted idle ones (longest idle first). Busy ones are never picked,
 * so the newest connection, whose hello is on its way, is the last to go.
 */
export function pickVictims<T extends EvictionCandidate>(candidates: readonly T[], count: number): T[] {
  if (count <= 0) return [];
  return candidates
    .filter((c) => !c.busy)
    .sort((a, b) => rank(a) - rank(b) || since(a) - since(b))
    .slice(0, count);
}

function rank(c: EvictionCandidate): number {
  return (c.privileged ? 2 : 0) + (c.greeted ? 1 : 0);
}

function since(c: EvictionCandidate): number {
  return c.greeted ? c.lastActiveAt : c.connectedAt;
}
