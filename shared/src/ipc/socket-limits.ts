// Caps and deadlines for Raypher's framed Unix sockets (control, vault), in one place; times in milliseconds.

export interface SocketLimits {
  /** Connections held at once; past it the oldest connection without a hello (then the longest idle) is evicted. */
  readonly maxConnections: number;
  /** Connections one uid (SO_PEERCRED) may hold; past it that uid's own oldest un-greeted or idle one is evicted. */
  readonly maxPerUid: number;
  /** Extra connections accepted in one burst before the caps are enforced (they get one I/O turn to say hello); past it new ones are refused at once. */
  readonly burstAllowance: number;
  /** A new connection must have completed its hello within this. */
  readonly helloDeadlineMs: number;
  /** A frame whose first byte arrived must be complete within this. */
  readonly frameDeadlineMs: number;
  /** A connection this young without a hello is a newcomer still saying it: evicted after silent and idle ones. */
  readonly newcomerGraceMs: number;
  /** A greeted connection with no request in flight and no traffic for this long is closed. */
  readonly idleMs: number;
  /** How often deadlines and caps are checked (the precision of the deadlines above). */
  readonly sweepMs: number;
  /** Time a closing connection gets to flush its error frame before it is destroyed. */
  readonly closeGraceMs: number;
}

/**
 * The deadlines are generous for a local client (raypherctl writes its hello and each frame in one
 * write, microseconds after connect) and short enough that a slow or silent client cannot hold a slot.
 */
const DEADLINES = {
  helloDeadlineMs: 5_000,
  frameDeadlineMs: 5_000,
  newcomerGraceMs: 1_000,
  sweepMs: 250,
  closeGraceMs: 100,
  // Node's default listen backlog is 511: a whole backlog accepted in one turn still fits.
  burstAllowance: 512,
} as const;

/** raypherctl: one short connection per command; an admin always gets in by evicting a silent or idle one. */
export const CONTROL_SOCKET_LIMITS: SocketLimits = Object.freeze({
  ...DEADLINES,
  maxConnections: 64,
  maxPerUid: 32,
  idleMs: 30_000,
});

/**
 * The vault socket: its one legitimate client is the proxy worker, holding a single long-lived link
 * (an idle close only costs it a reconnect, and it drops its key cache on close anyway).
 */
export const VAULT_SOCKET_LIMITS: SocketLimits = Object.freeze({
  ...DEADLINES,
  maxConnections: 16,
  maxPerUid: 16,
  idleMs: 300_000,
});
