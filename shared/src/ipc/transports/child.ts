// Transport over a forked child's IPC channel (either end: ChildProcess in the parent, process in the child).
import { RaypherError } from '../../errors/index.js';
import { IPC_LIMITS, type Envelope } from '../protocol/index.js';
import type { Transport, TransportEvents } from '../transport.js';

/** The part of ChildProcess and of `process` that an IPC channel offers. */
export interface ChannelEndpoint {
  send?(message: unknown, sendHandle: unknown, options: object, callback: (err: Error | null) => void): boolean;
  on(event: 'message', listener: (value: unknown, handle?: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (value: unknown, handle?: unknown) => void): unknown;
  disconnect?(): void;
  readonly connected?: boolean;
}

export class ChannelTransport implements Transport {
  private queued = 0;
  private closed = false;

  constructor(private readonly endpoint: ChannelEndpoint, private readonly limits = IPC_LIMITS) {}

  start(events: TransportEvents): void {
    const onMessage = (value: unknown, handle?: unknown) => events.message(value, handle);
    this.endpoint.on('message', onMessage);
    this.endpoint.on('disconnect', () => {
      if (this.closed) return;
      this.closed = true;
      this.endpoint.off('message', onMessage);
      events.close();
    });
  }

  sendHandle(message: Envelope, handle: unknown): Promise<void> {
    return this.send(message, handle);
  }

  send(message: Envelope, handle?: unknown): Promise<void> {
    const send = this.endpoint.send?.bind(this.endpoint);
    if (this.closed || !send || this.endpoint.connected === false) {
      return Promise.reject(new RaypherError('ERR_IPC_DISCONNECTED', 'cannot send: the IPC channel is closed'));
    }
    if (this.queued >= this.limits.maxQueuedWrites) {
      return Promise.reject(new RaypherError('ERR_IPC_QUEUE_FULL', `peer is not reading; ${this.queued} messages already queued`));
    }
    this.queued++;
    return new Promise((resolve, reject) => {
      try {
        send(message, handle, {}, (err) => {
          this.queued--;
          if (err) reject(new RaypherError('ERR_IPC_DISCONNECTED', `IPC send failed: ${err.message}`));
          else resolve();
        });
      } catch (err) {
        this.queued--;
        reject(new RaypherError('ERR_IPC_DISCONNECTED', `IPC send failed: ${(err as Error).message}`));
      }
    });
  }

  close(): void {
    if (this.endpoint.connected) this.endpoint.disconnect?.();
  }
}
