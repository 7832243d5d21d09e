// The worker's service over a real repository and a real raypher.db: what it hands the supervisor, what it audits and
// which alerts it queues.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
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

const settingsOf = (k: Kit) => ({ metadataUrl: k.server.metadataUrl, targetsUrl: k.server.targetsUrl, trustedRoot: join(k.keysDir, 'root.json'), channel: 'stable', checkIntervalSecs: 3600 });

/** A fresh kit, its own raypher.db and a service over both, as the worker wires them. */
async function serviceOnNewKit(): Promise<UpdaterService> {
  kit = await makeKit();
  await db?.close();
  db = await openRaypherDb(join(kit.dir, 'raypher.db'));
  logger ??= createLogger({ process: 'updater', dir: join(kit.dir, 'logs'), level: 'error', rotation: 'daily', retentionDays: 1, console: false });
  return new UpdaterService(
    { dataDir: kit.dataDir, configFile: join(kit.dir, 'config.toml'), installed: { version: '0.1.0', release_counter: 0 }, audit: new AuditLedger(db, 'updater'), db, logger, onStaged: () => undefined },
    { kind: 'ready', settings: settingsOf(kit), autoApply: true, channel: 'stable' },
  );
}

const alertRows = () => db.all<{ type: string; source: string; message: string }>('SELECT type, source, message FROM alerts ORDER BY id');

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
      { dataDir: kit.dataDir, configFile: join(kit.dir, 'config.toml'), installed: { version: '0.1.0', release_counter: 0 }, audit: new AuditLedger(db, 'updater'), db, logger, onStaged: (n) => notices.push(n) },
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

  it('queues an alert (source updater) for a verification failure at once, and for the breaker only as it trips', async () => {
    const service = await serviceOnNewKit();
    const t = publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    const file = join(kit.repoDir, 'targets', `${t.sha256}.${t.name}`);
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[bad.length - 20] = (bad[bad.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, bad);
    await expect(service.check('schedule', undefined, true)).rejects.toMatchObject({ code: 'ERR_UPDATE_VERIFY' });
    expect(await alertRows()).toEqual([{ type: 'update.rejected', source: 'updater', message: expect.stringMatching(/^update refused by verification \(ERR_UPDATE_VERIFY\): bundle raypher-bundle-0\.1\.2.* failed TUF verification: .*hash/i) }]);
    writeFileSync(file, good);

    // Network failures: the 2nd (after the refusal above) is not yet the breaker; the 3rd trips it; the 4th, still open, queues nothing more.
    kit.server.override('/metadata/timestamp.json', (_req, res) => res.writeHead(503).end());
    const fetchFailure = expect.objectContaining({ code: 'ERR_UPDATE_FETCH' });
    await expect(service.check('schedule', undefined, true)).rejects.toEqual(fetchFailure);
    expect(await alertRows()).toHaveLength(1);
    await expect(service.check('schedule', undefined, true)).rejects.toEqual(fetchFailure);
    const rows = await alertRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({ type: 'update.breaker', source: 'updater', message: expect.stringMatching(/^update checks failed 3 times in a row; backing off until \S+; last error ERR_UPDATE_FETCH: .*HTTP 503/) });
    await expect(service.check('schedule', undefined, true)).rejects.toEqual(fetchFailure);
    expect(await alertRows()).toHaveLength(2);
    expect(service.status()).toMatchObject({ consecutive_failures: 4, last_check: { alert: true } });

    // A good check closes the breaker without an alert.
    kit.server.clearOverrides();
    expect(await service.check('schedule', undefined, true)).toMatchObject({ result: 'staged' });
    expect(await alertRows()).toHaveLength(2);
    await service.stop();
  }, 60_000);

  it('a newer release for another protocol is audited as checked with needs_supervisor, without a refusal or an alert', async () => {
    const service = await serviceOnNewKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    publishSynthetic(kit, { version: '0.2.0', counter: 2, protocol: PROTOCOL_VERSION + 1 });
    for (let i = 0; i < 4; i++) expect(await service.check('schedule', undefined, true)).toMatchObject({ result: i === 0 ? 'staged' : 'up_to_date', staged: { version: '0.1.1' } });
    const waiting = { version: '0.2.0', release_counter: 2, protocol: PROTOCOL_VERSION + 1 };
    expect(service.needsSupervisor()).toEqual(waiting);
    expect(service.status()).toMatchObject({ state: 'staged', consecutive_failures: 0, available: { version: '0.1.1' }, last_check: { result: 'up_to_date', alert: false, error_code: null, detail: expect.stringContaining('a newer release needs a newer supervisor') } });
    const rows = await auditTypes();
    expect(rows.map((r) => r.type)).toEqual(['update.checked', 'update.staged', 'update.checked', 'update.checked', 'update.checked']);
    expect(rows.filter((r) => r.type === 'update.checked').every((r) => JSON.stringify(r.data.needs_supervisor) === JSON.stringify(waiting))).toBe(true);
    expect(await alertRows()).toEqual([]);
    await service.stop();
  }, 60_000);
});
