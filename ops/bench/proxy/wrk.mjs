// Throughput with a native load generator (Debian's wrk): keep-alive connections, POST /v1/chat/completions.
// A Node client caps every target near the same rate and hides the proxy's own cost (issue 15).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERE, WRK } from './targets.mjs';

/** wrk's sockets lack close-on-exec, which Raypher refuses as inherited: the shim adds it (gcc builds it once). */
function shim() {
  const so = join(tmpdir(), 'raypher-bench-cloexec-shim.so');
  if (!existsSync(so)) execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', so, join(HERE, 'cloexec-shim.c'), '-ldl']);
  return so;
}

const MS = { us: 0.001, ms: 1, s: 1000 };
const latency = (out, label) => {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
  return m ? Number(m[1]) * MS[m[2]] : NaN;
};

/** One wrk run: requests/s, p50 and p99 in ms, non-2xx and socket errors. */
export function wrk(port, { connections = 16, seconds = 8, threads = 2 } = {}) {
  const out = execFileSync(WRK, [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', join(HERE, 'post.lua'), `http://127.0.0.1:${port}/v1/chat/completions`], { env: { ...process.env, LD_PRELOAD: shim() } }).toString();
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)$/m.exec(out)?.[1] ?? null;
  return { rps, p50: latency(out, '50%'), p99: latency(out, '99%'), non2xx, errors };
}
