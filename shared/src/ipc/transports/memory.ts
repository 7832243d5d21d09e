// An in-memory transport pair for protocol tests without processes; messages cross as JSON text.
import { RaypherError } from '../../errors/index.js';
import type { Envelope } from '../protocol/index.js';
import type { Transport, TransportEvents } from '../transport.js';

class MemoryEnd implements Transport {
  other: MemoryEnd | undefined;
  private events: TransportEvents | undefined;
  private closed = false;

  start(events: TransportEvents): void {
    this.events = events;
  }

  send(message: Envelope): Promise<void> {
    return this.sendRaw(JSON.stringify(message));
  }

  /** Delivers arbitrary text as if it had come off the wire (for garbage-input tests). */
  sendRaw(text: string): Promise<void> {
    const other = this.other;
    if (this.closed || !other || other.closed) return Promise.reject(new RaypherError('ERR_IPC_DISCONNECTED', 'memory peer closed'));
    queueMicrotask(() => other.deliver(text));
    return Promise.resolve();
  }

  private deliver(text: string): void {
    if (this.closed) return;
    try {
      this.events?.message(JSON.parse(text));
    } catch {
      this.events?.badFrame(new RaypherError('ERR_IPC_BAD_FRAME', 'frame is not valid JSON'));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.events?.close());
    this.other?.close();
  }
}

export function createMemoryPair(): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}
