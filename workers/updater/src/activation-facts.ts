// What blue/green activation (the supervisor) decided about releases, read from its slots.json: the committed
// release_counter floor, and the releases that were rolled back (bad), which are never staged again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ActivationFacts {
  readonly committedCounter: number;
  /** release_counter of every release marked bad. */
  readonly badCounters: readonly number[];
}

/** The supervisor writes this file (supervisor/src/slots/slots-file.ts); a missing or damaged one says nothing. */
export function readActivationFacts(dataDir: string): ActivationFacts {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(join(dataDir, 'bundles', 'slots.json'), 'utf8'));
  } catch {
    return { committedCounter: 0, badCounters: [] };
  }
  const o = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  const committed = typeof o.committed_release_counter === 'number' && Number.isSafeInteger(o.committed_release_counter) ? o.committed_release_counter : 0;
  const bad = Array.isArray(o.bad) ? o.bad.flatMap((b: unknown) => (typeof b === 'object' && b !== null && typeof (b as Record<string, unknown>).release_counter === 'number' ? [(b as { release_counter: number }).release_counter] : [])) : [];
  return { committedCounter: committed, badCounters: bad };
}
