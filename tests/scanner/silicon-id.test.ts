// /health silicon_id: SHA-256 of the TPM endorsement key's public part when a TPM answers (a real software TPM here),
// else of /etc/machine-id; the same across a vault restart.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';
import { Swtpm } from '../helpers/swtpm.js';

const SLOW = 120_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function siliconId(home: string): Promise<string | null> {
  const r = await ctl(home, ['health', '--json']);
  return (JSON.parse(r.stdout) as { silicon_id: string | null }).silicon_id;
}

afterEach(async () => {
  await killAll();
});

it('is the SHA-256 of the TPM endorsement key, stable across a vault restart', async () => {
  const tpm = await Swtpm.start();
  try {
    const home = makeHome({ vault: { tcti: tpm.tcti, protector: 'host' } });
    const d = await Daemon.start(home);
    const first = await waitFor(async () => (await siliconId(home)) ?? undefined, 60_000, 'silicon_id');
    expect(first).toMatch(/^tpm:[0-9a-f]{64}$/);
    expect((await ctl(home, ['restart', 'vault'])).code).toBe(0);
    await d.waitForAllRunning();
    expect(await waitFor(async () => (await siliconId(home)) ?? undefined, 60_000, 'silicon_id after restart')).toBe(first);
    await d.stop();
  } finally {
    await tpm.stop();
  }
}, SLOW);

it('is the SHA-256 of /etc/machine-id without a TPM', async () => {
  const home = makeHome({ vault: { tcti: 'device:/nonexistent/tpm', protector: 'host' } });
  const d = await Daemon.start(home);
  const expected = existsSync('/etc/machine-id') ? `machine-id:${sha256(readFileSync('/etc/machine-id', 'utf8').trim())}` : null;
  expect(await waitFor(async () => (await siliconId(home)) ?? (expected === null ? 'none' : undefined), 30_000, 'silicon_id')).toBe(expected ?? 'none');
  await d.stop();
}, SLOW);
