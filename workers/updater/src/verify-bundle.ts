// Checks a bundle's bundle.json against the signed custom metadata and its files, in memory and again on disk once staged.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_MANIFEST, parseBundleManifest, type BundleManifest, type TargetCustom } from './release-format.js';
import type { ArchiveEntry } from './tar-reader.js';
import { archiveError } from './update-errors.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function manifestOf(bytes: Buffer, where: string): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw archiveError(`${where}: ${BUNDLE_MANIFEST} is not JSON`);
  }
  return parseBundleManifest(json, (what) => {
    throw archiveError(`${where}: ${BUNDLE_MANIFEST} ${what}`);
  });
}

/** The archive's bundle.json must say what the signed metadata says, and list exactly the files the archive holds. */
export function checkArchiveManifest(entries: readonly ArchiveEntry[], custom: TargetCustom, target: string): { manifest: BundleManifest; manifestSha256: string } {
  const entry = entries.find((e) => e.path === BUNDLE_MANIFEST && e.type === 'file');
  if (entry === undefined) throw archiveError(`${target} has no ${BUNDLE_MANIFEST} at its root`);
  const m = manifestOf(entry.data, target);
  const signed: Array<[string, unknown, unknown]> = [
    ['version', m.version, custom.version],
    ['release_counter', m.release_counter, custom.release_counter],
    ['protocol', m.protocol, custom.protocol],
    ['platform', m.platform, custom.platform],
    ['node abi', m.node.abi, custom.node_abi],
  ];
  for (const [what, inBundle, inMetadata] of signed) {
    if (inBundle !== inMetadata) throw archiveError(`${target}: ${BUNDLE_MANIFEST} says ${what} ${JSON.stringify(inBundle)} but the signed metadata says ${JSON.stringify(inMetadata)}; refusing the bundle`);
  }
  const files = entries.filter((e) => e.type === 'file' && e !== entry);
  if (files.length !== Object.keys(m.files).length) throw archiveError(`${target} holds ${files.length} files but ${BUNDLE_MANIFEST} lists ${Object.keys(m.files).length}`);
  for (const f of files) {
    if (m.files[f.path] !== sha256(f.data)) throw archiveError(`${target}: ${f.path} is not listed in ${BUNDLE_MANIFEST} or does not match its sha256`);
  }
  return { manifest: m, manifestSha256: sha256(entry.data) };
}

function walkFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel))) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) out.push(...walkFiles(dir, r));
    else if (st.isFile()) out.push(r);
    else throw new Error(`${r} is neither a file nor a directory`);
  }
  return out;
}

/** Re-checks a staged tree against the bundle.json hash recorded when it was staged; returns the problem, or null. */
export function stagedProblem(dir: string, manifestSha256: string): string | null {
  try {
    const manifestPath = join(dir, BUNDLE_MANIFEST);
    if (!existsSync(manifestPath)) return `${manifestPath} is missing`;
    const bytes = readFileSync(manifestPath);
    if (sha256(bytes) !== manifestSha256) return `${manifestPath} changed since it was staged`;
    const m = manifestOf(bytes, dir);
    const present = walkFiles(dir).filter((f) => f !== BUNDLE_MANIFEST);
    if (present.length !== Object.keys(m.files).length) return `${dir} holds ${present.length} files, ${BUNDLE_MANIFEST} lists ${Object.keys(m.files).length}`;
    for (const f of present) {
      if (m.files[f] !== sha256(readFileSync(join(dir, f)))) return `${join(dir, f)} does not match ${BUNDLE_MANIFEST}`;
    }
    return null;
  } catch (err) {
    return `${dir} could not be read (${(err as Error).message})`;
  }
}
