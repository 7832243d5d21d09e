// A raw framed client for the control socket, written independently of shared/ipc, to send anything at all.
import { connect, type Socket } from 'node:net';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: Array<(v: unknown) => void> = [];
  readonly frames: unknown[] = [];
  closed = false;
  /** The code of the last connection-level error (id 0) the server sent, e.g. why it hung up. */
  connectionError: string | undefined;
  /** Resolves when the server (or this side) closed the connection. */
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const len = this.buf.readUInt32BE(0);
        const frame = JSON.parse(this.buf.subarray(4, 4 + len).toString('utf8')) as unknown;
        this.buf = this.buf.subarray(4 + len);
        const { id, e } = frame as { id?: unknown; e?: { code?: string } };
        if (id === 0 && e?.code) this.connectionError = e.code;
        const w = this.waiting.shift();
        if (w) w(frame);
        else this.frames.push(frame);
      }
    });
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiting.splice(0)) w(null);
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  send(value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([head, body]));
  }

  /** The next frame, or null if the connection closed first. */
  next(timeoutMs = 3000): Promise<unknown> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no frame in time')), timeoutMs);
      this.waiting.push((v) => (clearTimeout(t), resolve(v)));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A valid hello request frame body for the control socket. */
export const HELLO = { t: 'req', id: 1, m: 'hello', p: { protocolVersion: PROTOCOL_VERSION, client: 'test', version: '0' } };

/** The first bytes of a frame that announces `length` bytes and sends only `sent` of them. */
export function partialFrame(length = 100, sent = 10): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(length);
  return Buffer.concat([head, Buffer.alloc(sent, 0x20)]);
}

/**
 * Sends hello plus the given requests over the control socket as another uid, with no project code in that
 * process (so repository permissions do not matter). Returns {id, ok, code} per reply, sorted by id.
 */
export async function requestsAsUid(uid: number, socketPath: string, requests: Array<{ m: string; p: unknown }>): Promise<Array<{ id: number; ok: boolean; code?: string }>> {
  const { run } = await import('./daemon.js');
  const frames = [{ t: 'req', id: 1, m: 'hello', p: { protocolVersion: PROTOCOL_VERSION, client: 'test', version: '0' } }, ...requests.map((r, i) => ({ t: 'req', id: i + 2, ...r }))];
  const script = `
    const net = require('node:net');
    const s = net.connect(${JSON.stringify(socketPath)});
    const frame = (v) => { const b = Buffer.from(JSON.stringify(v)); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); return Buffer.concat([h, b]); };
    let buf = Buffer.alloc(0); const out = [];
    const frames = ${JSON.stringify(frames)};
    // hello first, the rest once it is answered: the protocol serves nothing before the handshake completes.
    s.on('connect', () => s.write(frame(frames[0])));
    s.on('data', (d) => { buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) { const n = buf.readUInt32BE(0); out.push(JSON.parse(buf.subarray(4, 4 + n))); buf = buf.subarray(4 + n); if (out.length === 1) for (const f of frames.slice(1)) s.write(frame(f)); }
      if (out.length === frames.length) { console.log(JSON.stringify(out.map((f) => ({ id: f.id, ok: f.ok, code: f.e && f.e.code })))); s.end(); }
    });
    s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });`;
  const r = await run(process.execPath, ['-e', script], { uid, gid: uid, cwd: '/' });
  if (r.stdout.includes('"error"') || r.code !== 0) throw new Error(`client as uid ${uid} failed: ${r.stdout}${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ id: number; ok: boolean; code?: string }>).sort((a, b) => a.id - b.id);
}
