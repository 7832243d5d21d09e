// Whether a caller's listening socket is node's inspector: asked over HTTP (GET /json/version), as a debugger would.
import { connect } from 'node:net';
import type { Listener } from './decide.js';

/**
 * The inspector answers from its own thread at once, even while the program's main thread is busy. A listener that
 * says nothing in this time is not taken for one (an agent's own slow server must not be refused for it).
 */
const PROBE_TIMEOUT_MS = 300;
/** Enough for the inspector's answer (about 200 bytes); a server that sends more is read no further. */
const MAX_ANSWER_BYTES = 4096;
/** Answers are kept per socket inode (a listener is asked once in its life); past this many the oldest go. */
const MAX_KNOWN = 4096;
/** node's /json/version: `{"Browser": "node.js/v20.20.2", "Protocol-Version": "1.1"}`. */
const INSPECTOR_ANSWER = /"Browser"\s*:\s*"node\.js\/[^"]*"[^]*"Protocol-Version"/;

/** Where a listener bound to every address (or the loopback) is reached from this host. */
function reachAt(ip: string): string {
  if (ip === '0.0.0.0') return '127.0.0.1';
  if (/^[0:]+$/.test(ip)) return '::1'; // :: (every IPv6 address)
  return ip;
}

/** true: it answered as the inspector; false: it answered otherwise; null: no answer in time (asked again next time). */
export function askInspector(l: Pick<Listener, 'ip' | 'port'>, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean | null> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host: reachAt(l.ip), port: l.port });
    const done = (v: boolean | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.setEncoding('latin1');
    socket.once('connect', () => socket.write(`GET /json/version HTTP/1.1\r\nHost: ${reachAt(l.ip).includes(':') ? `[${reachAt(l.ip)}]` : reachAt(l.ip)}:${l.port}\r\n\r\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (INSPECTOR_ANSWER.test(answer)) done(true);
      else if (answer.length >= MAX_ANSWER_BYTES) done(false);
    });
    socket.once('end', () => done(INSPECTOR_ANSWER.test(answer)));
    socket.once('error', () => done(null)); // gone meanwhile, or refused: nothing to decide on
  });
}

/** The probe's answers by socket inode: a listener's nature does not change while it lives. */
export class InspectorProbe {
  private readonly known = new Map<number, boolean>();

  constructor(private readonly ask: (l: Listener) => Promise<boolean | null> = askInspector) {}

  /** The inodes among `listeners` that are an inspector. */
  async inspectors(listeners: readonly Listener[]): Promise<Set<number>> {
    const found = new Set<number>();
    await Promise.all(
      listeners.map(async (l) => {
        let is = this.known.get(l.inode);
        if (is === undefined) {
          const answer = await this.ask(l);
          if (answer === null) return;
          is = answer;
          this.known.set(l.inode, is);
          if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value as number);
        }
        if (is) found.add(l.inode);
      }),
    );
    return found;
  }
}
