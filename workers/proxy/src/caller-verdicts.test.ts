// How long a connection's verdict is used: aged from the question (not the answer), re-checked in the background
// from half of identity_max_age_ms, and never used past it.
import type { Socket } from 'node:net';
import { Registry } from 'prom-client';
import { CallerVerdicts, type Known } from './caller-verdicts.js';
import type { Verdict } from './identity/decide.js';
import type { IdentityThread } from './identity/thread.js';
import { proxyMetrics } from './metrics.js';

const MAX_AGE = 1000;
const allowed = { allowed: true, entryId: 1, caller: null } as unknown as Verdict;
const denied = { allowed: false, reason: 'not_listed', detail: null, entryId: null, caller: null } as unknown as Verdict;

function setup() {
  let clock = 0;
  const asks: Array<(v: Verdict) => void> = [];
  const identity = { call: () => new Promise<Verdict>((resolve) => asks.push(resolve)) } as unknown as IdentityThread;
  const scheduled: Array<{ run: () => void; ms: number }> = [];
  const verdicts = new CallerVerdicts(identity, () => MAX_AGE, proxyMetrics(new Registry()), () => clock, (run, ms) => scheduled.push({ run, ms }));
  const connection = (port: number) => {
    const socket = { remoteAddress: '127.0.0.1', remotePort: port, localAddress: '127.0.0.1', localPort: 8888, once() {} } as unknown as Socket;
    verdicts.onAccepted(socket);
    return socket;
  };
  const socket = connection(40000);
  /** The coalescing window closes: the re-checks due are asked. */
  const windowCloses = () => {
    for (const s of scheduled.splice(0)) s.run();
  };
  /** Answers the oldest question at the current clock. */
  const answer = async (v: Verdict) => {
    asks.shift()?.(v);
    await new Promise((r) => setImmediate(r));
  };
  return { verdicts, socket, connection, asks, answer, windowCloses, scheduled, at: (t: number) => (clock = t) };
}

describe('CallerVerdicts', () => {
  it('ages a verdict from the question: an answer that took long is not used past identity_max_age_ms from the ask', async () => {
    const s = setup();
    const first = s.verdicts.of(s.socket);
    expect(first).toBeInstanceOf(Promise);
    s.at(700); // the scan took 700 ms
    await s.answer(allowed);
    s.at(1050); // 350 ms after the answer, 1050 ms after the question
    const next = s.verdicts.of(s.socket);
    expect(next).toBeInstanceOf(Promise); // counted from the answer it would still be served synchronously
    expect(s.asks).toHaveLength(1);
  });

  it('re-checks in the background from half the age and serves the current verdict meanwhile; the new one replaces it', async () => {
    const s = setup();
    void s.verdicts.of(s.socket);
    await s.answer(allowed);
    s.at(400);
    expect(s.verdicts.of(s.socket)).toBe(allowed); // young: no question
    expect(s.asks).toHaveLength(0);
    s.at(600);
    expect(s.verdicts.of(s.socket)).toBe(allowed); // past half: served, and one re-check is due
    expect(s.verdicts.of(s.socket)).toBe(allowed);
    s.windowCloses();
    expect(s.asks).toHaveLength(1);
    s.at(650);
    await s.answer(denied); // the connection changed hands meanwhile
    expect(s.verdicts.of(s.socket)).toBe(denied);
  });

  it('past the age, a request waits for the re-check in flight instead of using the old verdict', async () => {
    const s = setup();
    void s.verdicts.of(s.socket);
    await s.answer(allowed);
    s.at(600);
    void s.verdicts.of(s.socket); // the background re-check is due
    s.windowCloses();
    s.at(1001);
    const waiting = s.verdicts.of(s.socket);
    expect(waiting).toBeInstanceOf(Promise);
    expect(s.asks).toHaveLength(1); // the same re-check, not a second
    await s.answer(denied);
    expect(await (waiting as Promise<Known>)).toBe(denied);
  });

  it('re-checks falling due within a quarter of the age are asked together (one /proc scan answers them all)', async () => {
    const s = setup();
    const others = [s.connection(40001), s.connection(40002)];
    for (const c of [s.socket, ...others]) void s.verdicts.of(c);
    for (let i = 0; i < 3; i++) await s.answer(allowed);
    s.at(510);
    expect(s.verdicts.of(s.socket)).toBe(allowed);
    s.at(700);
    for (const c of others) expect(s.verdicts.of(c)).toBe(allowed);
    expect(s.scheduled.map((x) => x.ms)).toEqual([MAX_AGE / 4]); // one window, opened by the first
    expect(s.asks).toHaveLength(0);
    s.windowCloses();
    expect(s.asks).toHaveLength(3); // asked in one turn
    for (let i = 0; i < 3; i++) await s.answer(denied);
    for (const c of [s.socket, ...others]) expect(s.verdicts.of(c)).toBe(denied);
  });
});
