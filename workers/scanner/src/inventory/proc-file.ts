// Reads /proc files (and script heads) into one reused buffer: readFileSync on procfs, whose files report size 0, costs ~5x more.
import { closeSync, openSync, readSync } from 'node:fs';

/** Most files read per pass (stat, uptime) fit in this; environ and cmdline grow the buffer up to `max`. */
const INITIAL_BYTES = 4096;

export class ProcFileReader {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);

  /** The file's text (at most `max` bytes of it), or null when it cannot be read (gone, not ours). */
  read(path: string, encoding: 'latin1' | 'utf8' = 'latin1', max = INITIAL_BYTES): string | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    try {
      let n = 0;
      for (;;) {
        if (n >= max) break;
        if (n === this.buf.length) {
          const bigger = Buffer.allocUnsafe(Math.min(max, n * 2));
          this.buf.copy(bigger, 0, 0, n);
          this.buf = bigger;
        }
        const got = readSync(fd, this.buf, n, Math.min(this.buf.length, max) - n, null);
        if (got === 0) break;
        n += got;
      }
      return this.buf.toString(encoding, 0, n);
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
  }
}
