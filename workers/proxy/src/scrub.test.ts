import { BodyScrubber, SCRUB_MARKER, scrubText } from './scrub.js';

// Not a real key; assertions compare booleans so a failure never prints a key-shaped string in full.
const KEY = 'sk-test-0123456789abcdef/XYZ_Q';

const jsonU = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const pct = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');

/** Streams `text` through a scrubber cut at the given offsets; returns the output and what was held at each step. */
function stream(text: string, cuts: number[]): { out: string; found: number } {
  const s = new BodyScrubber(KEY);
  const parts: Buffer[] = [];
  let from = 0;
  for (const c of [...cuts, text.length]) {
    parts.push(s.push(Buffer.from(text.slice(from, c), 'latin1')));
    from = c;
  }
  parts.push(s.end());
  return { out: Buffer.concat(parts).toString('latin1'), found: s.found };
}

const masked = (len: number) => (SCRUB_MARKER + '*'.repeat(Math.max(0, len - SCRUB_MARKER.length))).slice(0, len);

describe('BodyScrubber', () => {
  const body = `{"echo":{"authorization":"Bearer ${KEY}"}}`;
  const expected = `{"echo":{"authorization":"Bearer ${masked(KEY.length)}"}}`;

  it('masks the key at every split point, with the same length', () => {
    for (let cut = 0; cut <= body.length; cut++) {
      const r = stream(body, [cut]);
      expect(r.out === expected).toBe(true);
      expect(r.found).toBe(1);
    }
  });

  it('masks the key sent one byte at a time, and in every pair of cuts', () => {
    expect(stream(body, [...Array(body.length).keys()].slice(1)).out === expected).toBe(true);
    const start = body.indexOf(KEY);
    for (let a = start; a < start + KEY.length; a++) for (let b = a + 1; b <= start + KEY.length; b++) expect(stream(body, [a, b]).out === expected).toBe(true);
  });

  it('masks JSON-escaped (\\/ and \\u00XX, mixed) and percent-encoded forms', () => {
    const slashEscaped = KEY.replace('/', '\\/');
    const mixed = [...KEY].map((c, i) => (i % 2 ? jsonU(c) : c)).join('');
    for (const form of [slashEscaped, jsonU(KEY), jsonU(KEY).toUpperCase().replace(/\\U/g, '\\u'), pct(KEY), pct(KEY).toLowerCase(), mixed]) {
      const text = `a ${form} b`;
      for (let cut = 0; cut <= text.length; cut += 3) {
        const r = stream(text, [cut]);
        expect(r.found).toBe(1);
        expect(r.out === `a ${masked(form.length)} b`).toBe(true);
      }
    }
  });

  it('holds only a possible key start, and releases it as soon as the next byte rules it out', () => {
    const s = new BodyScrubber(KEY);
    expect(s.push(Buffer.from('data: hello\n\n')).toString()).toBe('data: hello\n\n');
    expect(s.push(Buffer.from('data: ask-te')).toString()).toBe('data: a');
    expect(s.push(Buffer.from('a\n\n')).toString()).toBe('sk-tea\n\n');
    expect(s.push(Buffer.from('100%')).toString()).toBe('100');
    expect(s.push(Buffer.from(' done')).toString()).toBe('% done');
    expect(s.push(Buffer.from('end \\')).toString()).toBe('end ');
    expect(s.end().toString()).toBe('\\');
  });

  it('passes a body without a key through as the same buffer (no copy on the hot path)', () => {
    const s = new BodyScrubber(KEY);
    const chunk = Buffer.from('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n');
    expect(s.push(chunk)).toBe(chunk);
  });

  it('masks several keys in one chunk and a key right at the end of the stream', () => {
    const r = stream(`${KEY}${KEY} x ${KEY}`, []);
    expect(r.found).toBe(3);
    expect(r.out === `${masked(KEY.length)}${masked(KEY.length)} x ${masked(KEY.length)}`).toBe(true);
  });

  it('leaves near misses alone', () => {
    const near = `${KEY.slice(0, -1)}!`;
    expect(stream(near, [5]).out).toBe(near);
    expect(stream(`%73%6Bx`, [2]).out).toBe('%73%6Bx');
  });
});

describe('scrubText', () => {
  it('masks a header value and counts', () => {
    const r = scrubText(`session=${KEY}; Path=/`, KEY);
    expect([r.found, r.value === `session=${masked(KEY.length)}; Path=/`]).toEqual([1, true]);
    expect(scrubText('nothing here', KEY)).toEqual({ value: 'nothing here', found: 0 });
    // The fast path (no "sk", no escape) must not skip escaped forms, whichever character is escaped first.
    for (const form of [pct(KEY), jsonU(KEY), `s${jsonU(KEY.slice(1))}`, `s${pct(KEY.slice(1, 2))}${KEY.slice(2)}`]) expect(scrubText(`v=${form}`, KEY).found).toBe(1);
  });
});
