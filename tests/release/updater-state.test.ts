// The updater's settings, pause and circuit breaker as a check sees them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkForUpdate, setUpdatesPaused } from '../../workers/updater/src/check.js';
import { checkContext, disposeKits, makeKit, publishSynthetic, refusal, state } from './helpers/release-kit.js';

afterEach(disposeKits);

describe('updater settings, pause and breaker', () => {
  it('names the file when the trusted root is missing or not a signed root', async () => {
    const kit = await makeKit();
    const ctx = checkContext(kit);
    const missing = join(kit.dir, 'nope', 'root.json');
    expect(await refusal(checkForUpdate({ ...ctx, settings: { ...ctx.settings, trustedRoot: missing } }))).toMatchObject({ code: 'ERR_UPDATE_CONFIG', message: expect.stringContaining(`trusted_root ${missing} does not exist`) });
    const bad = join(kit.dir, 'bad-root.json');
    writeFileSync(bad, JSON.stringify({ signed: { _type: 'root' }, signatures: [] }));
    expect(await refusal(checkForUpdate({ ...ctx, settings: { ...ctx.settings, trustedRoot: bad } }))).toMatchObject({ code: 'ERR_UPDATE_CONFIG', message: expect.stringMatching(/trusted_root .*bad-root\.json is not a valid self-signed TUF root/) });
    expect(await refusal(checkForUpdate({ ...ctx, settings: { ...ctx.settings, metadataUrl: 'file:///etc' } }))).toMatchObject({ code: 'ERR_UPDATE_CONFIG', message: expect.stringMatching(/metadata_url must be an http\(s\) URL/) });
  });

  it('a paused updater refuses to check until resumed', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    await setUpdatesPaused(kit.dataDir, true);
    expect(await refusal(checkForUpdate(checkContext(kit)))).toMatchObject({ code: 'ERR_UPDATE_PAUSED' });
    await setUpdatesPaused(kit.dataDir, false);
    expect((await checkForUpdate(checkContext(kit))).result).toBe('staged');
  });

  it('three failed checks in a row trip the breaker: alert, then the wait doubles; a good check resets it', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    kit.server.override('/metadata/timestamp.json', (_req, res) => res.writeHead(503).end());
    let t = Date.parse('2026-11-29T00:00:00Z');
    const ctx = checkContext(kit, { now: () => new Date(t) });
    const waits: number[] = [];
    const alerts: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await refusal(checkForUpdate(ctx))).toMatchObject({ code: 'ERR_UPDATE_FETCH', message: expect.stringMatching(/HTTP 503/) });
      const s = state(kit);
      waits.push((Date.parse(s.next_check_at ?? '') - t) / 1000);
      alerts.push(s.last_check?.alert ?? false);
      t += 1000;
    }
    expect(waits).toEqual([21_600, 21_600, 43_200, 86_400, 86_400]);
    expect(alerts).toEqual([false, false, true, true, true]);
    kit.server.clearOverrides();
    await checkForUpdate(ctx);
    expect(state(kit)).toMatchObject({ consecutive_failures: 0, phase: 'staged', last_check: { alert: false } });
  });
});
