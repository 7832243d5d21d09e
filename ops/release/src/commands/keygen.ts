// keygen: a fresh Ed25519 key per role and root.json v1 (the file clients ship as their trusted root).
import { join } from 'node:path';
import { writeFileAtomic } from '@raypher/worker-updater/atomic-file';
import { generateKeys, signer } from '../keys.js';
import { serialize } from '../metadata-files.js';
import { allRoles, buildRoot } from '../root-metadata.js';
import type { Printable } from '../output.js';

export function keygenCommand(out: string, now: Date): Printable {
  const keys = allRoles(generateKeys(out), out);
  const root = buildRoot(keys, 1, now);
  root.sign(signer(keys.root));
  const rootPath = join(out, 'root.json');
  writeFileAtomic(rootPath, serialize(root));
  return { keys_dir: out, root_json: rootPath, root_version: 1, keyids: Object.fromEntries(Object.entries(keys).map(([r, k]) => [r, k.key.keyID])) };
}
