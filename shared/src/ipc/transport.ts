// The two-method contract every IPC transport fulfils; the peer builds requests and events on it.
import type { RaypherError } from '../errors/index.js';
import type { Envelope } from './protocol/index.js';

export interface TransportEvents {
  /** A decoded (not yet validated) message; a child IPC channel may carry an OS handle with it. */
  message(value: unknown, handle?: unknown): void;
  /** A frame that could not be decoded; the link is still usable. */
  badFrame(err: RaypherError): void;
  /** The link is gone, for whatever reason; fired once. */
  close(): void;
}

export interface Transport {
  /** Resolves once the message is handed to the OS; rejects with ERR_IPC_QUEUE_FULL when the peer is too slow. */
  send(message: Envelope): Promise<void>;
  /** Sends a message with an OS handle attached (child IPC channels only). */
  sendHandle?(message: Envelope, handle: unknown): Promise<void>;
  start(events: TransportEvents): void;
  close(): void;
}
