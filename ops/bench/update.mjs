#!/usr/bin/env node
// Update benchmark: worker bundle size and build time (raypher-release bundle as a process), and check+stage time of the
// updater core against a loopback static server (fresh data dir each run), plus an up-to-date check. Run `npm run build` first.
// Usage: node ops/bench/update.mjs [--builds 3] [--checks 5]
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO, 'ops', 'release', 'bin', 'raypher-release.js');
const { checkForUpdate } = await import(pathToFileURL(join(REPO, 'workers', 'updater', 'dist', 'check.js')).href);
const { PROTOCOL_VERSION } = await import('@raypher/shared/ipc');

const { values } = parseArgs({ options: { builds: { type: 'string', default: '3' }, checks: { type: 'string', default: '5' } } });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const release = (...args) => JSON.parse(execFileSync(process.execPath, [BIN, ...args, '--json'], { encoding: 'utf8', maxBuffer: 16 << 20 }));
const work = mkdtempSync(join(tmpdir(), 'raypher-bench-update-'));

const buildMs = [];
let bundle;
for (let i = 0; i < Number(values.builds); i++) {
  const t = performance.now();
  bundle = release('bundle', '--out', join(work, `out-${i}`), '--version', '0.1.1', '--release-counter', '1');
  buildMs.push(performance.now() - t);
}
const identical = new Set(Array.from({ length: buildMs.length }, (_, i) => execFileSync('sha256sum', [join(work, `out-${i}`, bundle.path.split('/').pop())], { encoding: 'utf8' }).split(' ')[0])).size === 1;

const keys = join(work, 'keys');
const repo = join(work, 'repo');
release('keygen', '--out', keys);
release('init', '--repo', repo, '--keys', keys);
release('publish', '--repo', repo, '--keys', keys, bundle.path);

const server = createServer((req, res) => {
  const file = join(repo, normalize(decodeURIComponent(req.url ?? '/')));
  if (!file.startsWith(repo) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': statSync(file).size });
  createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const ctx = (dataDir) => ({ dataDir, protocols: [PROTOCOL_VERSION], settings: { metadataUrl: `${base}/metadata`, targetsUrl: `${base}/targets`, trustedRoot: join(keys, 'root.json'), channel: 'stable', checkIntervalSecs: 21600 } });

const stageMs = [];
const upToDateMs = [];
for (let i = 0; i < Number(values.checks); i++) {
  const data = join(work, `data-${i}`);
  let t = performance.now();
  const out = await checkForUpdate(ctx(data));
  stageMs.push(performance.now() - t);
  if (out.result !== 'staged') throw new Error(`run ${i}: expected staged, got ${out.result}`);
  t = performance.now();
  await checkForUpdate(ctx(data));
  upToDateMs.push(performance.now() - t);
}
server.close();
rmSync(work, { recursive: true, force: true });

const result = {
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  bundle: { bytes: bundle.size, mib: +(bundle.size / 1048576).toFixed(2), files: bundle.files, reproducible: identical },
  build_ms: { median: Math.round(median(buildMs)), runs: buildMs.map(Math.round) },
  check_and_stage_ms: { median: Math.round(median(stageMs)), runs: stageMs.map(Math.round) },
  up_to_date_check_ms: { median: Math.round(median(upToDateMs)), runs: upToDateMs.map(Math.round) },
};
console.log(JSON.stringify(result, null, 2));
