// u32 big-endian length-prefixed JSON frames for stream transports (Unix socket, named pipe).
import { RaypherError } from '../errors/index.js';

const HEADER_BYTES = 4;

export function encodeFrame(message: unknown, maxFrameBytes: number): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) {
    throw new RaypherError('ERR_IPC_FRAME_TOO_LARGE', `outgoing frame is ${body.length} bytes, above the ${maxFrameBytes}-byte limit; send less data per message`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

export interface FrameSink {
  onFrame(value: unknown): void;
  /** A bad frame whose bytes were consumed: the stream stays in sync and may go on. */
  onBadFrame(err: RaypherError): void;
  /** The stream can no longer be trusted (oversized length): the caller must close it. */
  onFatal(err: RaypherError): void;
}

/** Incremental decoder: feed it chunks, it calls the sink once per complete frame. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private dead = false;

  constructor(private readonly maxFrameBytes: number, private readonly sink: FrameSink) {}

  /** Bytes of a frame that has begun but is not complete yet (0 between frames). */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (this.dead) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.dead && this.buffered >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        this.dead = true;
        this.chunks = [];
        this.buffered = 0;
        this.sink.onFatal(new RaypherError('ERR_IPC_FRAME_TOO_LARGE', `incoming frame announces ${length} bytes, above the ${this.maxFrameBytes}-byte limit; closing the connection`));
        return;
      }
      if (this.buffered < HEADER_BYTES + length) return;
      const body = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES);
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        this.sink.onBadFrame(new RaypherError('ERR_IPC_BAD_FRAME', `a ${length}-byte frame is not valid JSON`));
        continue;
      }
      this.sink.onFrame(value);
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    this.buffered -= n;
    return joined.subarray(0, n);
  }
}
