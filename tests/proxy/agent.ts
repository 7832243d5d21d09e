// Agent scripts: real node processes calling the proxy, so the proxy must identify them from the kernel.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/daemon.js';

/**
 * The agent: `node agent.mjs <mode> <url> [n]`; prints one JSON line.
 * mode request: one POST with a dummy token; sse: raw body bytes (base64); abort: read one chunk then abort;
 * loop: n requests back to back, reporting each status or error code; unix: one POST to path n over socket url; chunked: one POST with a chunked body.
 */
const AGENT = `
const [mode, url, n] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', 'x-raypher-token': 'agent-1', authorization: 'Bearer dummy-from-agent' };
const errCode = (e) => e?.cause?.code ?? e?.code ?? e?.name ?? String(e);
if (mode === 'request') {
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ model: 'm', messages: [] }) });
  console.log(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() }));
} else if (mode === 'sse') {
  const r = await fetch(url, { headers });
  const buf = Buffer.from(await r.arrayBuffer());
  console.log(JSON.stringify({ status: r.status, body64: buf.toString('base64') }));
} else if (mode === 'abort') {
  const c = new AbortController();
  const r = await fetch(url, { headers, signal: c.signal });
  const reader = r.body.getReader();
  await reader.read();
  c.abort();
  console.log(JSON.stringify({ status: r.status }));
} else if (mode === 'unix') {
  // url is the socket path, n the HTTP path (fetch cannot dial a unix socket)
  const http = await import('node:http');
  const r = await new Promise((done, fail) => {
    const req = http.request({ socketPath: url, path: n, method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode, body }));
    });
    req.on('error', fail);
    req.end('{}');
  });
  console.log(JSON.stringify(r));
} else if (mode === 'chunked') {
  // a body without content-length, in two writes: sent chunked
  const http = await import('node:http');
  const r = await new Promise((done, fail) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode }));
    });
    req.on('error', fail);
    req.write('{"model":');
    setTimeout(() => req.end('"m","messages":[]}'), 20);
  });
  console.log(JSON.stringify(r));
} else if (mode === 'loop') {
  const out = [];
  for (let i = 0; i < Number(n); i++) {
    try {
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      out.push(r.status === 429 ? '429 retry-after ' + r.headers.get('retry-after') : r.status);
    } catch (e) { out.push(errCode(e)); }
    if (process.argv[5]) await new Promise((r) => setTimeout(r, Number(process.argv[5])));
  }
  console.log(JSON.stringify(out));
}
`;

export function writeAgent(name = 'agent.mjs'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'raypher-agent-')), name);
  writeFileSync(path, AGENT);
  return path;
}

export async function runAgent(nodePath: string, script: string, args: string[]): Promise<unknown> {
  const r = await run(nodePath, [script, ...args]);
  if (r.code !== 0) throw new Error(`agent failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}
