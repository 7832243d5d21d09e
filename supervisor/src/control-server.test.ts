import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeLogger, createLogger } from '@raypher/shared/logging';
import { startControlServer } from './control-server.js';
import { buildRoutes } from './routes.js';

describe('control server start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raypher-control-'));
  const logger = createLogger({ process: 'test', dir, level: 'error', rotation: 'daily', retentionDays: 1, console: false });
  const unused = () => Promise.reject(new Error('not called'));
  afterAll(() => closeLogger(logger));
  const routes = buildRoutes({ version: '0', logDir: dir, workers: { get: () => { throw new Error('not called'); } }, status: unused, health: unused, reload: unused, slots: { apply: unused, rollback: unused, table: () => { throw new Error('not called'); } } });

  it('names the path, the cause and the fix when the socket cannot be bound', async () => {
    const socketPath = join(dir, 'missing', 'control.sock');
    const err = await startControlServer({ socketPath, mode: 0o600, gid: null, policy: { serviceUid: 0, operatorGid: null }, routes, logger }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CONTROL_LISTEN' });
    expect((err as Error).message).toContain(socketPath);
    expect((err as Error).message).toMatch(/EACCES.*make sure the socket directory exists and the service user may create files in it/);
  });
});
