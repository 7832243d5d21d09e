// The wire itself: protocol version, frame and queue bounds, the three envelopes and the one error shape.
import { bool, int, literal, object, optional, str, unknownValue, type Infer } from '../schema.js';

export const PROTOCOL_VERSION = 2;

/** Frame and queue bounds (bytes / messages). */
export const IPC_LIMITS = {
  maxFrameBytes: 1024 * 1024,
  maxQueuedWrites: 1024,
  maxPendingRequests: 1024,
} as const;

/** Timeouts for IPC requests, in milliseconds. */
export const IPC_TIMEOUTS = {
  defaultRequestMs: 5_000,
  helloMs: 5_000,
  workerMetricsMs: 1_000,
} as const;

/** The one wire error shape: every failed reply, fatal event and last error carries it. */
export const wireErrorSchema = object({ code: str({ max: 64 }), message: str({ max: 4096 }) });

export const requestEnvelope = object({
  t: literal('req'),
  id: int({ min: 1 }),
  m: str({ max: 128 }),
  p: unknownValue(),
});
export const responseEnvelope = object({
  t: literal('res'),
  id: int({ min: 0 }),
  ok: bool(),
  r: optional(unknownValue()),
  e: optional(wireErrorSchema),
});
export const eventEnvelope = object({ t: literal('evt'), n: str({ max: 128 }), p: unknownValue() });

export type RequestEnvelope = Infer<typeof requestEnvelope>;
export type ResponseEnvelope = Infer<typeof responseEnvelope>;
export type EventEnvelope = Infer<typeof eventEnvelope>;
export type Envelope = RequestEnvelope | ResponseEnvelope | EventEnvelope;
