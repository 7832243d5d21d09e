// Python writes __pycache__ beside each module on its first import; in a pinned tree that would be a change, and the
// agent refused (code_changed) after its first run. The entry's own interpreter compiles the trees when they are pinned,
// so the .pyc files python would write are already there, fresh, and pinned with the rest: one written or swapped later
// (a .pyc with the source's size and mtime in its header runs instead of the source) denies the entry.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';

/** Compiling is bounded like pinning (a tree of up to 50,000 files). */
const COMPILE_TIMEOUT_MS = 120_000;

/**
 * `python -I -m compileall` on each tree, as the uid that owns it (the .pyc files are then the owner's, as python's own
 * would be), with an empty environment (-I: no PYTHON* variables, no user site, no script folder on sys.path).
 * Compiling runs none of the tree's code. A file that does not compile is skipped; python cannot import it either.
 */
export async function compilePythonTrees(python: string, trees: readonly string[]): Promise<void> {
  const asOwner = process.getuid?.() === 0;
  for (const tree of trees) {
    const { uid, gid } = statSync(tree);
    await new Promise<void>((resolve) => {
      execFile(python, ['-I', '-m', 'compileall', '-q', tree], { cwd: '/', env: {}, timeout: COMPILE_TIMEOUT_MS, ...(asOwner ? { uid, gid } : {}) }, () => resolve());
    });
  }
}
