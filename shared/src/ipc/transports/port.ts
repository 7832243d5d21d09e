// Transport over a worker_threads MessagePort: envelopes cross by structured clone (no framing, bigints intact).
import type { MessagePort } from 'node:worker_threads';
import { RaypherError } from '../../errors/index.js';
import type { Envelope } from '../protocol/index.js';
import type { Transport, TransportEvents } from '../transport.js';

/**
 * postMessage never blocks and has no write callback, so there is no queue to bound here: the Peer's limit on
 * pending requests bounds what one end can have in flight. The port closes when either end closes it or the
 * thread holding the other end exits, which fails the Peer's pending requests.
 */
export class PortTransport implements Transport {
  private closed = false;

  constructor(private readonly port: MessagePort) {}

  start(events: TransportEvents): void {
    this.port.on('message', (value: unknown) => events.message(value));
    this.port.on('messageerror', (err: Error) => events.badFrame(new RaypherError('ERR_IPC_BAD_FRAME', `message could not be deserialized: ${err.message}`)));
    this.port.once('close', () => {
      this.closed = true;
      events.close();
    });
  }

  send(message: Envelope): Promise<void> {
    if (this.closed) return Promise.reject(new RaypherError('ERR_IPC_DISCONNECTED', 'cannot send: the message port is closed'));
    try {
      this.port.postMessage(message);
      return Promise.resolve();
    } catch (err) {
      // A value structured clone cannot copy (a function, a symbol): nothing was sent.
      return Promise.reject(new RaypherError('ERR_IPC_BAD_FRAME', `message could not be posted: ${(err as Error).message}`));
    }
  }

  close(): void {
    this.port.close();
  }
}
