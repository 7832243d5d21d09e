// The worker's service over a real repository and a real raypher.db: what it hands the supervisor and what it audits.
import { join } from 'node:path';
import { AuditLedger, openRaypherDb, type Db } from '@raypher/shared/db';
import { closeLogger, createLogger, type Logger } from '@raypher/shared/logging';
import { UpdaterService, type StagedNotice } from '../../workers/updater/src/updater-service.js';
import { disposeKits, makeKit, publishSynthetic, type Kit } from '../release/helpers/release-kit.js';

let kit: Kit;
let db: Db;
let logger: Logger;
afterAll(async () => {
  await db?.close();
  if (logger) await closeLogger(logger);
  await disposeKits();
});

async function auditTypes(): Promise<Array<{ type: string; actor: string; data: Record<string, unknown> }>> {
  const rows = await db.all<{ body: string }>('SELECT body FROM events ORDER BY seq');
  return rows.map((r) => JSON.parse(r.body) as { type: string; actor: string; data: Record<string, unknown> });
}

describe('UpdaterService', () => {
  it('hands a staged bundle to the supervisor with auto_apply as asked, and audits check and stage', async () => {
    kit = await makeKit();
    db = await openRaypherDb(join(kit.dir, 'raypher.db'));
    logger = createLogger({ process: 'updater', dir: join(kit.dir, 'logs'), level: 'error', rotation: 'daily', retentionDays: 1, console: false });
    const notices: StagedNotice[] = [];
    const settings = { metadataUrl: kit.server.metadataUrl, targetsUrl: kit.server.targetsUrl, trustedRoot: join(kit.keysDir, 'root.json'), channel: 'stable', checkIntervalSecs: 3600 };
    const service = new UpdaterService(
      { dataDir: kit.dataDir, configFile: join(kit.dir, 'config.toml'), installed: { version: '0.1.0', release_counter: 0 }, audit: new AuditLedger(db, 'updater'), logger, onStaged: (n) => notices.push(n) },
      { kind: 'ready', settings, autoApply: true, channel: 'stable' },
    );

    publishSynthetic(kit, { version: '0.2.0', counter: 5 });
    const downloaded = await service.check('operator', { uid: 1000, pid: 42 }, false);
    expect(downloaded).toMatchObject({ result: 'staged', staged: { version: '0.2.0', release_counter: 5 }, handed_over: false });
    expect(notices).toEqual([{ version: '0.2.0', release_counter: 5, dir: downloaded.staged?.dir, auto_apply: false }]);

    publishSynthetic(kit, { version: '0.2.1', counter: 6 });
    const checked = await service.check('schedule', undefined, true);
    expect(checked).toMatchObject({ result: 'staged', staged: { version: '0.2.1' }, handed_over: true });
    expect(notices[1]).toMatchObject({ version: '0.2.1', release_counter: 6, auto_apply: true });

    // Nothing newer: no notice.
    expect(await service.check('schedule', undefined, true)).toMatchObject({ result: 'up_to_date', handed_over: false });
    expect(notices).toHaveLength(2);

    const rows = await auditTypes();
    expect(rows.map((r) => r.type)).toEqual(['update.checked', 'update.staged', 'update.checked', 'update.staged', 'update.checked']);
    expect(rows.every((r) => r.actor === 'updater')).toBe(true);
    expect(rows[0]?.data).toMatchObject({ trigger: 'operator', by: { uid: 1000, pid: 42 }, result: 'staged' });
    expect(rows[1]?.data).toMatchObject({ version: '0.2.0', release_counter: 5, auto_apply: false });
    expect(service.status()).toMatchObject({ state: 'staged', available: { version: '0.2.1', release_counter: 6 }, installed: { release_counter: 0 } });

    // Paused: refused without an audit row or a failure counted.
    await service.setPaused(true, { uid: 0, pid: 1 });
    await expect(service.check('operator', { uid: 0, pid: 1 }, false)).rejects.toMatchObject({ code: 'ERR_UPDATE_PAUSED' });
    expect(service.status()).toMatchObject({ paused: true, consecutive_failures: 0 });
    expect((await auditTypes()).map((r) => r.type).slice(-1)).toEqual(['update.paused']);
    await service.stop();
  }, 60_000);
});
