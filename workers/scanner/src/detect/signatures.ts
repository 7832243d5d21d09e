// The agent signature table (workers/scanner/signatures.json): read once, validated, turned into matchers.
import { readFileSync } from 'node:fs';
import { RaypherError } from '@raypher/shared/errors';
import { array, int, object, optional, str, type Infer } from '@raypher/shared/ipc';

const names = array(str({ max: 256 }), { max: 64 });
const tableSchema = object({
  version: int({ min: 1 }),
  about: optional(str({ max: 1024 })),
  agents: array(object({ id: str({ max: 64 }), name: str({ max: 128 }), names, argv: names }), { max: 512 }),
  frameworks: array(object({ id: str({ max: 64 }), name: str({ max: 128 }), python: names, node: names }), { max: 512 }),
  interpreters: object({ python: names, node: names }),
});
export type SignatureTable = Infer<typeof tableSchema>;

/** Beside dist/ in the worker's bundle. */
export const SIGNATURES_FILE = new URL('../../signatures.json', import.meta.url);

export function loadSignatures(file: URL | string = SIGNATURES_FILE): SignatureTable {
  try {
    return tableSchema.parse(JSON.parse(readFileSync(file, 'utf8')), 'signatures');
  } catch (err) {
    throw new RaypherError('ERR_SCANNER_SIGNATURES', `cannot load the agent signature table ${String(file)}: ${(err as Error).message}; fix the file or reinstall the scanner`);
  }
}
