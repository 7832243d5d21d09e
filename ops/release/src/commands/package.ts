// package: builds the self-contained Linux package and reports its path, size, sha256 and runtime.
import { buildPackage, type PackageOptions } from '../package.js';
import type { Printable } from '../output.js';

export function packageCommand(opts: PackageOptions): Printable {
  const p = buildPackage(opts);
  return { path: p.path, size: p.size, sha256: p.sha256, version: p.version, arch: p.arch, files: p.files, node: p.node, node_integrity: p.nodeIntegrity };
}
