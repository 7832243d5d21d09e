// Every registered code means something the code base can raise: a code that no source file names is dead.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from './codes.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SOURCE_DIRS = ['shared/src', 'supervisor/src', 'cli/src', 'ops/release/src', ...readdirSync(join(root, 'workers')).map((w) => `workers/${w}/src`)];

function sources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && rel !== 'shared/src/errors/codes.ts' ? [readFileSync(join(root, rel), 'utf8')] : [];
  });
}

describe('error codes are raised', () => {
  const text = SOURCE_DIRS.flatMap(sources).join('\n');

  it.each(Object.keys(ERROR_CODES))('%s is named outside the registry', (code) => {
    expect(text).toMatch(new RegExp(`['"\`]${code}['"\`]`));
  });
});
