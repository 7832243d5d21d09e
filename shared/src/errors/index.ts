// Typed errors with stable codes; over IPC they travel as {code, message} and are rebuilt here.
import { isErrorCode, type ErrorCode } from './codes.js';

export { isErrorCode, type ErrorCode };

const BRAND = Symbol.for('raypher.error');

export class RaypherError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RaypherError';
    this.code = code;
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

export interface WireError {
  code: ErrorCode;
  message: string;
}

export function isRaypherError(value: unknown): value is RaypherError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: boolean })[BRAND] === true;
}

/** Rebuilds a typed error from the wire; an unknown code becomes ERR_INTERNAL_UNEXPECTED, never trusted blindly. */
export function fromWire(wire: { code: unknown; message: unknown }): RaypherError {
  const message = typeof wire.message === 'string' ? wire.message : 'no message';
  return isErrorCode(wire.code) ? new RaypherError(wire.code, message) : new RaypherError('ERR_INTERNAL_UNEXPECTED', `${String(wire.code)}: ${message}`);
}

/** Converts anything thrown into a RaypherError, keeping the original as the cause. */
export function toRaypherError(err: unknown, context: string): RaypherError {
  if (isRaypherError(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new RaypherError('ERR_INTERNAL_UNEXPECTED', `${context}: ${detail}`, { cause: err });
}
