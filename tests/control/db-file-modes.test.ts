// The databases and SQLite's -wal/-shm files beside them are 0600, also when an older version left them 0644.
import { chmodSync, closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon, killAll, makeHome } from '../helpers/daemon.js';

afterEach(killAll);

const DB_FILE = /^(raypher|vault)\.db(-wal|-shm)?$/;

function modes(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dataDir).filter((name) => DB_FILE.test(name)).sort()) out[f] = (statSync(join(dataDir, f)).mode & 0o777).toString(8);
  return out;
}

describe('database file modes', () => {
  it('creates raypher.db, vault.db and their -wal/-shm files 0600 and forces old 0644 ones back to 0600', async () => {
    const home = makeHome({ vault: { protector: 'host' } });
    const data = join(home, 'data');
    let d = await Daemon.start(home);
    const first = modes(data);
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['raypher.db', 'raypher.db-shm', 'raypher.db-wal', 'vault.db']));
    expect(new Set(Object.values(first))).toEqual(new Set(['600']));
    await d.stop();

    // As an older version (or a careless restore) would have left them: readable by everyone.
    for (const f of ['raypher.db', 'raypher.db-wal', 'raypher.db-shm']) {
      const path = join(data, f);
      if (!existsSync(path)) closeSync(openSync(path, 'a')); // an empty WAL / shared-memory file is valid
      chmodSync(path, 0o644);
    }
    d = await Daemon.start(home);
    const second = modes(data);
    expect(Object.keys(second)).toEqual(expect.arrayContaining(['raypher.db', 'raypher.db-shm', 'raypher.db-wal']));
    expect(new Set(Object.values(second))).toEqual(new Set(['600']));
    await d.stop();
  });
});
