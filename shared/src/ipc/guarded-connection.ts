// One connection as the connection guard sees it: hello, frames started and finished, requests in flight.
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors/index.js';
import type { EvictionCandidate } from './eviction.js';
import { encodeFrame } from './framing.js';
import { IPC_LIMITS, type Envelope } from './protocol/index.js';
import type { SocketTransport } from './transports/socket.js';
import type { Transport, TransportEvents } from './transport.js';

/** Why the guard closed a connection: the log's reason and the error code the client gets. */
export type CloseReason = 'hello_deadline' | 'frame_deadline' | 'idle' | 'evicted' | 'refused';

export interface ConnectionHooks {
  now(): number;
  /** Called once when the socket is gone, however it went. */
  onGone(conn: GuardedConnection): void;
}

export class GuardedConnection implements EvictionCandidate {
  readonly connectedAt: number;
  lastActiveAt: number;
  /** When the frame now being received began, or null when no frame is half read. */
  frameStartedAt: number | null = null;
  greeted = false;
  /** Set once the connection has had an I/O turn to read its first bytes; only settled ones are evicted. */
  settled = false;
  private closing = false;
  private readonly inFlight = new Set<number>();

  constructor(readonly socket: Socket, readonly uid: number, readonly privileged: boolean, private readonly hooks: ConnectionHooks) {
    this.connectedAt = hooks.now();
    this.lastActiveAt = this.connectedAt;
    socket.once('close', () => hooks.onGone(this));
  }

  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  get closed(): boolean {
    return this.closing || this.socket.destroyed;
  }

  /** The server calls this once the client's hello succeeded. */
  markGreeted(): void {
    this.greeted = true;
    this.lastActiveAt = this.hooks.now();
  }

  /** Wraps the connection's transport so the guard sees traffic, frames and requests. */
  transport(inner: SocketTransport): Transport {
    return new GuardedTransport(inner, this);
  }

  /** Sends a connection-level error (id 0) so the client learns why, then closes. */
  close(code: ErrorCode, message: string, graceMs: number): void {
    if (this.closing) return;
    this.closing = true;
    if (this.socket.writable) this.socket.write(encodeFrame({ t: 'res', id: 0, ok: false, e: { code, message } }, IPC_LIMITS.maxFrameBytes));
    // Usually the frame is already in the kernel (the client can still read it): free the descriptor now.
    if (this.socket.writableLength === 0) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), graceMs).unref();
  }

  onBytes(partialFrame: boolean): void {
    const now = this.hooks.now();
    this.lastActiveAt = now;
    if (!partialFrame) this.frameStartedAt = null;
    else this.frameStartedAt ??= now;
  }

  onFrame(value: unknown): void {
    this.frameStartedAt = null; // the next frame's clock starts with its own bytes (see onBytes)
    const id = requestId(value);
    if (id !== null) this.inFlight.add(id);
  }

  onBadFrame(): void {
    this.frameStartedAt = null;
  }

  onSend(message: Envelope): void {
    this.lastActiveAt = this.hooks.now();
    if (message.t === 'res') this.inFlight.delete(message.id);
  }
}

class GuardedTransport implements Transport {
  constructor(private readonly inner: SocketTransport, private readonly conn: GuardedConnection) {}

  start(events: TransportEvents): void {
    this.inner.start({
      message: (value, handle) => {
        this.conn.onFrame(value);
        events.message(value, handle);
      },
      badFrame: (err) => {
        this.conn.onBadFrame();
        events.badFrame(err);
      },
      close: () => events.close(),
    });
    // Registered after the transport's own listener, so the decoder has already taken the chunk.
    this.inner.socket.on('data', () => this.conn.onBytes(this.inner.partialFrame));
  }

  send(message: Envelope): Promise<void> {
    this.conn.onSend(message);
    return this.inner.send(message);
  }

  close(): void {
    this.inner.close();
  }
}

/** The id a reply to this request will carry, as the peer reads it (see peer.ts readId). */
function requestId(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const { t, id } = value as { t?: unknown; id?: unknown };
  return t === 'req' && typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}
