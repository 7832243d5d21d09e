// Transport over a stream socket (Unix socket / named pipe) with length-prefixed frames and backpressure.
import type { Socket } from 'node:net';
import { RaypherError } from '../../errors/index.js';
import { encodeFrame, FrameDecoder } from '../framing.js';
import { IPC_LIMITS, type Envelope } from '../protocol/index.js';
import type { Transport, TransportEvents } from '../transport.js';

export class SocketTransport implements Transport {
  private queued = 0;
  private closed = false;
  private decoder: FrameDecoder | null = null;

  constructor(readonly socket: Socket, private readonly limits = IPC_LIMITS) {}

  /** True while a frame has begun arriving but is not complete (the connection guard times it). */
  get partialFrame(): boolean {
    return (this.decoder?.pendingBytes ?? 0) > 0;
  }

  start(events: TransportEvents): void {
    const decoder = new FrameDecoder(this.limits.maxFrameBytes, {
      onFrame: (value) => events.message(value),
      onBadFrame: (err) => events.badFrame(err),
      onFatal: (err) => {
        events.badFrame(err);
        // Let the error reply flush before closing.
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 100).unref();
      },
    });
    this.decoder = decoder;
    this.socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    this.socket.on('error', () => this.socket.destroy());
    this.socket.once('close', () => {
      this.closed = true;
      events.close();
    });
  }

  send(message: Envelope): Promise<void> {
    if (this.closed || this.socket.destroyed) {
      return Promise.reject(new RaypherError('ERR_IPC_DISCONNECTED', 'cannot send: the connection is closed'));
    }
    if (this.queued >= this.limits.maxQueuedWrites) {
      return Promise.reject(new RaypherError('ERR_IPC_QUEUE_FULL', `peer is not reading; ${this.queued} messages already queued`));
    }
    const frame = encodeFrame(message, this.limits.maxFrameBytes);
    this.queued++;
    return new Promise((resolve, reject) => {
      this.socket.write(frame, (err) => {
        this.queued--;
        if (err) reject(new RaypherError('ERR_IPC_DISCONNECTED', `write failed: ${err.message}`));
        else resolve();
      });
    });
  }

  close(): void {
    this.socket.end();
  }
}
