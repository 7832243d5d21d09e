import { randomBytes } from 'node:crypto';
import type { RaypherError } from '../errors/index.js';
import { encodeFrame, FrameDecoder } from './framing.js';

function collect(max = 1024) {
  const frames: unknown[] = [];
  const bad: RaypherError[] = [];
  const fatal: RaypherError[] = [];
  const decoder = new FrameDecoder(max, { onFrame: (v) => frames.push(v), onBadFrame: (e) => bad.push(e), onFatal: (e) => fatal.push(e) });
  return { decoder, frames, bad, fatal };
}

describe('framing', () => {
  it('round-trips frames split at every byte boundary', () => {
    const bytes = Buffer.concat([encodeFrame({ a: 1 }, 1024), encodeFrame(['x', 'é'], 1024)]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { decoder, frames } = collect();
      decoder.push(bytes.subarray(0, cut));
      decoder.push(bytes.subarray(cut));
      expect(frames).toEqual([{ a: 1 }, ['x', 'é']]);
    }
  });

  it('reports a non-JSON frame and stays in sync for the next one', () => {
    const junk = Buffer.from('not json');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(junk.length);
    const { decoder, frames, bad } = collect();
    decoder.push(Buffer.concat([head, junk, encodeFrame({ ok: true }, 1024)]));
    expect(bad.map((e) => e.code)).toEqual(['ERR_IPC_BAD_FRAME']);
    expect(frames).toEqual([{ ok: true }]);
  });

  it('declares an oversized length fatal without buffering it', () => {
    const { decoder, frames, fatal } = collect(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(0xffffffff);
    decoder.push(head);
    decoder.push(encodeFrame({ after: 1 }, 1024));
    expect(fatal.map((e) => e.code)).toEqual(['ERR_IPC_FRAME_TOO_LARGE']);
    expect(frames).toEqual([]);
  });

  it('refuses to encode a frame above the limit', () => {
    expect(() => encodeFrame('x'.repeat(2000), 1024)).toThrow(/above the 1024-byte limit/);
  });

  it('never throws on random input', () => {
    for (let i = 0; i < 200; i++) {
      const { decoder } = collect(4096);
      expect(() => decoder.push(randomBytes(1 + (i % 64)))).not.toThrow();
    }
  });
});
