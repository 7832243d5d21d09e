// An error answered straight on a socket, for what never becomes an http request: upgrades, CONNECT, refused connections.
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { ErrorCode } from '@raypher/shared/errors';

/** A refused socket that does not close its end is destroyed after this long, in ms. */
const REFUSED_LINGER_MS = 1000;

/** Writes one `connection: close` HTTP/1.1 error answer with the usual JSON body, ends the socket, and destroys it soon after. */
export function replyRaw(socket: Duplex, status: number, code: ErrorCode, message: string, extraHeaders: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close', ...extraHeaders };
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  if (socket.writable) socket.end(head + body);
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}
