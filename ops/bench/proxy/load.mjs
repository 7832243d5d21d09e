// Load generator for the proxy benchmark (a separate process, allow-listed in Raypher).
// node load.mjs <url> <mode: c1|c16|ttft|newconn|rate> <amount> [headers-json] [rate seconds, default 600]
import http from 'node:http';

const [url, mode, amount, headersJson, rateSecs = '600'] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', ...(headersJson ? JSON.parse(headersJson) : {}) };
const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hi' }], ...(mode === 'ttft' ? { stream: true } : {}) });
const u = new URL(url);

function once(agent, ttft = false) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
      let first = null;
      res.on('data', () => (first ??= process.hrtime.bigint()));
      res.on('end', () => {
        const end = process.hrtime.bigint();
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        resolve(Number((ttft ? first ?? end : end) - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
const out = {};
if (mode === 'c1' || mode === 'ttft' || mode === 'newconn') {
  const agent = mode === 'newconn' ? new http.Agent({ keepAlive: false }) : keepAlive;
  for (let i = 0; i < 20; i++) await once(agent, mode === 'ttft'); // warm-up
  const lat = [];
  for (let i = 0; i < Number(amount); i++) lat.push(await once(agent, mode === 'ttft'));
  out.latencies = lat;
} else if (mode === 'c16') {
  for (let i = 0; i < 50; i++) await once(keepAlive);
  const lat = [];
  const deadline = performance.now() + Number(amount) * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < deadline) lat.push(await once(keepAlive));
  }));
  out.latencies = lat;
  out.rps = lat.length / ((performance.now() - t0) / 1000);
} else if (mode === 'rate') {
  // Open loop at `amount` req/s for 10 minutes, or rateSecs (the RSS soak).
  const perTick = Number(amount) / 10;
  const end = performance.now() + Number(rateSecs) * 1000;
  let failed = 0;
  let done = 0;
  while (performance.now() < end) {
    const tick = performance.now();
    for (let i = 0; i < perTick; i++) once(keepAlive).then(() => done++, () => failed++);
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - tick))));
  }
  out.done = done;
  out.failed = failed;
}
console.log(JSON.stringify(out));
