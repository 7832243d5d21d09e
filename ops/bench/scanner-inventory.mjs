// Compares two ways to list processes for the scanner: ps-list (spawns ps) and an incremental /proc read.
// Usage: node ops/bench/scanner-inventory.mjs [sleepers=500] [passes=30]   (ps-list: PSLIST=/path/to/node_modules/ps-list/index.js)
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { ProcInventory } from '../../workers/scanner/dist/inventory/proc-inventory.js';

const sleepers = Number(process.argv[2] ?? 500);
const passes = Number(process.argv[3] ?? 30);
const children = Array.from({ length: sleepers }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 1500));

async function measure(label, fn) {
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < passes; i++) {
    const t0 = performance.now();
    const n = await fn();
    times.push(performance.now() - t0);
    if (i === 0) console.log(`${label}: ${n} processes`);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(`${label}: mean ${mean.toFixed(2)} ms, p50 ${times[Math.floor(passes / 2)].toFixed(2)} ms, max ${times.at(-1).toFixed(2)} ms, own cpu ${((cpu.user + cpu.system) / 1000 / passes).toFixed(2)} ms/pass`);
}

const inv = new ProcInventory();
await measure('/proc incremental (first pass reads all details)', () => inv.scan().length);
const full = () => new ProcInventory().scan().length;
await measure('/proc full (no cache)', full);
if (process.env.PSLIST) {
  const { default: psList } = await import(pathToFileURL(process.env.PSLIST).href);
  await measure('ps-list', async () => (await psList()).length);
}
for (const c of children) c.kill();
