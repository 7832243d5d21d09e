// Starting the proxy benchmark's targets: the stand-in upstream, Raypher (supervisor + workers, a temp home) and the
// minimal node:http proxy. Every child is SIGKILLed when the bench exits.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '..', '..', '..');
export const KEY = 'sk-bench-not-a-real-key-000000000000';
export const WRK = '/usr/bin/wrk';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** A node script that prints its port on its first stdout line. */
export function startNode(script, args, opts = {}) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  children.push(child);
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim().split('\n').pop()) })));
}

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export async function waitHttp(url, headers = {}) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

export const ctl = (home, args, input) => execFileSync(process.execPath, [join(REPO, 'cli', 'bin', 'raypherctl.js'), '--home', home, ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] });

/** Raypher with the key sealed and the bench's clients allowed (load.mjs under this node, and wrk). */
export async function startRaypher(upstreamPort, proxyExtra = '') {
  const home = mkdtempSync(join(tmpdir(), 'raypher-bench-proxy-'));
  writeFileSync(join(home, 'config.toml'), `[health]\nlisten_port = 0\n[proxy]\nlisten_port = 0\nrate_limit = 1000000\ndefault_upstream = "http://127.0.0.1:${upstreamPort}"\n${proxyExtra}[vault]\nprotector = "host"\n`);
  const sup = spawn(process.execPath, [join(REPO, 'supervisor', 'bin', 'raypher.js'), 'run', '--home', home], { stdio: 'ignore' });
  children.push(sup);
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    try {
      const s = JSON.parse(ctl(home, ['status', '--json']).toString());
      if (s.workers.every((w) => w.state === 'running')) {
        ctl(home, ['seal', '--provider', 'openai', '--from-stdin'], KEY);
        ctl(home, ['allow', '--exe-path', process.execPath, '--script', join(HERE, 'load.mjs')]);
        ctl(home, ['allow', '--exe-path', WRK, '--allow-env', 'LD_PRELOAD']); // wrk runs with cloexec-shim.c (wrk.mjs)
        const proxyPid = s.workers.find((w) => w.name === 'proxy').pid;
        return { port: Number(s.proxyAddress.split(', ')[0].split(':').pop()), healthPort: Number(s.healthAddress?.split(':').pop()), home, proxyPid, supervisorPid: sup.pid };
      }
    } catch {
      /* starting */
    }
  }
  throw new Error('raypher did not start');
}
