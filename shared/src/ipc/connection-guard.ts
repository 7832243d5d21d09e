// Keeps a framed socket server reachable under hostile clients: deadlines, per-uid caps, and eviction instead of refusal.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../errors/index.js';
import { pickVictims } from './eviction.js';
import { GuardedConnection, type CloseReason } from './guarded-connection.js';
import type { SocketLimits } from './socket-limits.js';

export interface ConnectionGuardOptions {
  /** Names the socket in logs and error messages: "control socket", "vault socket". */
  name: string;
  limits: SocketLimits;
  /** Where closes are reported; the server's logger collapses identical lines (see logging/repeat-limiter). */
  warn(message: string, meta: Record<string, unknown>): void;
  /** Monotonic clock in ms (tests may pass their own). */
  now?: () => number;
}

export interface ConnectingPeer {
  /** From SO_PEERCRED. */
  uid: number;
  /** Admin callers are evicted only when no one else can be. */
  privileged: boolean;
}

const CODES: Record<CloseReason, ErrorCode> = {
  hello_deadline: 'ERR_IPC_IDLE_TIMEOUT',
  frame_deadline: 'ERR_IPC_IDLE_TIMEOUT',
  idle: 'ERR_IPC_IDLE_TIMEOUT',
  evicted: 'ERR_IPC_TOO_MANY_CONNECTIONS',
  refused: 'ERR_IPC_TOO_MANY_CONNECTIONS',
};

/**
 * One per listening socket. A new connection is not refused because the socket is full: after it has had an
 * I/O turn to say hello, the caps are enforced by evicting others, silent ones first, then idle ones, the
 * newest last and admins after everyone else (see eviction.ts), so an admin's raypherctl gets in even during
 * a flood from its own uid. Only a burst past maxConnections + burstAllowance in one turn is refused.
 */
export class ConnectionGuard {
  /** Insertion order is connection age. */
  private readonly conns = new Set<GuardedConnection>();
  private readonly perUid = new Map<number, number>();
  private fresh: GuardedConnection[] = [];
  private settling = false;
  private stopped = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: ConnectionGuardOptions) {
    this.now = opts.now ?? (() => performance.now());
    // Checked in the check phase, after the poll phase: bytes that already arrived are read before a deadline is judged.
    this.sweeper = setInterval(() => setImmediate(() => this.sweep()), opts.limits.sweepMs);
    this.sweeper.unref();
  }

  /** Connections currently held. */
  get size(): number {
    return this.conns.size;
  }

  /** Tracks a new connection; null when it was refused (the burst allowance is used up, or the guard stopped). */
  admit(socket: Socket, caller: ConnectingPeer): GuardedConnection | null {
    const conn = new GuardedConnection(socket, caller.uid, caller.privileged, { now: this.now, onGone: (c) => this.forget(c) });
    const { maxConnections, burstAllowance } = this.opts.limits;
    if (this.stopped || this.conns.size >= maxConnections + burstAllowance) {
      this.drop(conn, 'refused', this.stopped ? 'the socket is closing' : `${this.conns.size} connections are open, the limit is ${maxConnections}; try again in a moment`);
      return null;
    }
    this.conns.add(conn);
    this.perUid.set(caller.uid, (this.perUid.get(caller.uid) ?? 0) + 1);
    this.fresh.push(conn);
    this.scheduleSettle();
    return conn;
  }

  /** Stops the timers and refuses new connections; open ones are left to the server to close. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.sweeper);
  }

  // A fresh connection gets one I/O turn before it can be evicted: the second setImmediate runs after the
  // next poll phase, which reads the bytes the client already sent (raypherctl writes hello right on connect).
  private scheduleSettle(): void {
    if (this.settling) return;
    this.settling = true;
    setImmediate(() => {
      const batch = this.fresh;
      this.fresh = [];
      this.settling = false;
      setImmediate(() => {
        for (const c of batch) c.settled = true;
        this.enforceCaps();
      });
    });
  }

  private sweep(): void {
    if (this.stopped) return;
    const now = this.now();
    const l = this.opts.limits;
    for (const c of [...this.conns]) {
      if (!c.greeted && now - c.connectedAt > l.helloDeadlineMs) {
        this.drop(c, 'hello_deadline', `no hello within ${l.helloDeadlineMs} ms of connecting; send hello as the first frame`);
      } else if (c.frameStartedAt !== null && now - c.frameStartedAt > l.frameDeadlineMs) {
        this.drop(c, 'frame_deadline', `a frame was still incomplete ${l.frameDeadlineMs} ms after its first byte; write each frame in one go`);
      } else if (c.greeted && !c.busy && now - c.lastActiveAt > l.idleMs) {
        this.drop(c, 'idle', `idle for ${l.idleMs} ms with no request in flight; reconnect when there is something to ask`);
      }
    }
    this.enforceCaps();
  }

  private enforceCaps(): void {
    const { maxConnections, maxPerUid, newcomerGraceMs } = this.opts.limits;
    const clock = { now: this.now(), newcomerGraceMs };
    const settled = [...this.conns].filter((c) => c.settled);
    for (const [uid, count] of this.perUid) {
      if (count <= maxPerUid) continue;
      const victims = pickVictims(settled.filter((c) => c.uid === uid), count - maxPerUid, clock);
      for (const c of victims) this.drop(c, 'evicted', `uid ${uid} is at its limit of ${maxPerUid} connections; this one had no hello or was idle and made room for a newer one`);
    }
    const over = this.conns.size - maxConnections;
    if (over <= 0) return;
    for (const c of pickVictims(settled.filter((c) => !c.closed), over, clock)) {
      this.drop(c, 'evicted', `the socket is at its limit of ${maxConnections} connections; this one had no hello or was idle and made room for a newer one`);
    }
  }

  private drop(conn: GuardedConnection, reason: CloseReason, message: string): void {
    this.forget(conn);
    const code = CODES[reason];
    conn.close(code, `${this.opts.name}: ${message}`, this.opts.limits.closeGraceMs);
    this.opts.warn(`${this.opts.name}: connection closed`, { reason, code, uid: conn.uid });
  }

  private forget(conn: GuardedConnection): void {
    if (!this.conns.delete(conn)) return;
    const left = (this.perUid.get(conn.uid) ?? 1) - 1;
    if (left > 0) this.perUid.set(conn.uid, left);
    else this.perUid.delete(conn.uid);
  }
}
