// Every registered code is raised somewhere in source, not merely named: a code nothing raises is dead.
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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The code as a quoted string literal. */
const quoted = (code: string) => `['"\`]${escape(code)}['"\`]`;

/**
 * Where a code counts as raised: the first argument of `new RaypherError(` (a literal, or one branch of a
 * condition), a `code: 'ERR_…'` entry (a refusal or error table, a wire error), or an entry of a table typed
 * `Record<…, ErrorCode>` (a reason → code map). A mention anywhere else (a comparison, a set, a comment) is not.
 */
function raisedIn(text: string, code: string): boolean {
  if (new RegExp(`new RaypherError\\(\\s*[^,()]*${quoted(code)}`).test(text)) return true;
  if (new RegExp(`\\bcode:\\s*${quoted(code)}`).test(text)) return true;
  const tables = text.matchAll(/Record<[^>]*\bErrorCode>\s*=\s*\{([^}]*)\}/g);
  return [...tables].some(([, body]) => new RegExp(`:\\s*${quoted(code)}`).test(body ?? ''));
}

describe('error codes are raised', () => {
  const text = SOURCE_DIRS.flatMap(sources).join('\n');

  it.each(Object.keys(ERROR_CODES))('%s is raised in source', (code) => {
    expect({ code, raised: raisedIn(text, code) }).toEqual({ code, raised: true });
  });

  it('counts a raise, not a mention', () => {
    expect(raisedIn("throw new RaypherError('ERR_X_Y', 'm')", 'ERR_X_Y')).toBe(true);
    expect(raisedIn("throw new RaypherError(\n  'ERR_X_Y',\n  'm')", 'ERR_X_Y')).toBe(true);
    expect(raisedIn("new RaypherError(ok ? 'ERR_X_A' : 'ERR_X_Y', 'm')", 'ERR_X_Y')).toBe(true);
    expect(raisedIn("{ status: 503, code: 'ERR_X_Y' }", 'ERR_X_Y')).toBe(true);
    expect(raisedIn("const CODES: Record<Reason, ErrorCode> = {\n  idle: 'ERR_X_Y',\n};", 'ERR_X_Y')).toBe(true);
    expect(raisedIn("if (err.code === 'ERR_X_Y') retry();", 'ERR_X_Y')).toBe(false);
    expect(raisedIn("const DOWN = new Set(['ERR_X_Y']);", 'ERR_X_Y')).toBe(false);
    expect(raisedIn("new RaypherError('ERR_X_A', `not 'ERR_X_Y'`)", 'ERR_X_Y')).toBe(false);
    expect(raisedIn("type T = 'ERR_X_Y';", 'ERR_X_Y')).toBe(false);
  });
});
