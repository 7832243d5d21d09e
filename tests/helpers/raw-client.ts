// A raw framed client for the control socket, written independently of shared/ipc, to send anything at all.
import { connect, type Socket } from 'node:net';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: Array<(v: unknown) => void> = [];
  readonly frames: unknown[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const len = this.buf.readUInt32BE(0);
        const frame = JSON.parse(this.buf.subarray(4, 4 + len).toString('utf8')) as unknown;
        this.buf = this.buf.subarray(4 + len);
        const w = this.waiting.shift();
        if (w) w(frame);
        else this.frames.push(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
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
