// Picks what to stage from the verified targets: a pure decision over release counters, protocol, platform and channel.
import { parseTargetCustom, type TargetCustom } from './release-format.js';

export interface Candidate {
  readonly name: string;
  readonly sha256: string;
  readonly custom: TargetCustom;
}

export interface Wanted {
  readonly platform: string;
  readonly channel: string;
  readonly nodeAbi: string;
  /** IPC protocol versions this supervisor speaks. */
  readonly protocols: readonly number[];
  /** The highest release_counter staged or installed, and the bundle hash that holds it when known. */
  readonly floor: { readonly release_counter: number; readonly sha256: string | null };
  /** Nothing is staged now (a staged bundle was dropped): the release at the floor, same hash, may be staged again. */
  readonly restageFloor: boolean;
  /** release_counters that activation rolled back (slots.json bad[]): never staged again. */
  readonly bad?: readonly number[];
}

/**
 * `needsSupervisor`: the newest release above the one chosen (or above the floor) that speaks an IPC protocol this
 * supervisor does not. A normal protocol bump, so neither a refusal nor an alert: it waits for the OS package.
 */
export type Selection =
  | { readonly kind: 'stage'; readonly candidate: Candidate; readonly skipped: readonly string[]; readonly needsSupervisor: Candidate | null }
  | { readonly kind: 'up_to_date'; readonly newest: Candidate | null; readonly needsSupervisor: Candidate | null }
  | { readonly kind: 'refused'; readonly reason: string };

export interface SignedTarget {
  readonly name: string;
  readonly sha256: string;
  readonly custom: unknown;
}

const describeRelease = (c: Candidate) => `${c.name} (version ${c.custom.version}, release_counter ${c.custom.release_counter})`;

function mine(targets: readonly SignedTarget[], w: Wanted): Candidate[] {
  const out: Candidate[] = [];
  for (const t of targets) {
    let custom: TargetCustom;
    try {
      custom = parseTargetCustom(t.custom, (what) => {
        throw new Error(what);
      });
    } catch {
      continue; // not a Raypher bundle target (or another tool's); never a candidate
    }
    if (custom.platform === w.platform && custom.channel === w.channel && custom.node_abi === w.nodeAbi) out.push({ name: t.name, sha256: t.sha256, custom });
  }
  return out.sort((a, b) => b.custom.release_counter - a.custom.release_counter);
}

/** What status and the log say about a release that waits for a supervisor speaking its protocol. */
export function needsSupervisorNote(c: Candidate, protocols: readonly number[]): string {
  return `a newer release needs a newer supervisor: ${describeRelease(c)} speaks IPC protocol ${c.custom.protocol}, this supervisor speaks ${protocols.join(', ')}; update the Raypher package (the supervisor) to get it`;
}

export function selectTarget(targets: readonly SignedTarget[], w: Wanted): Selection {
  const candidates = mine(targets, w).filter((c) => !(w.bad ?? []).includes(c.custom.release_counter));
  const floor = w.floor.release_counter;
  const speaks = (c: Candidate) => w.protocols.includes(c.custom.protocol);
  const above = candidates.filter((c) => c.custom.release_counter > floor);
  const first = above.find(speaks);
  if (first !== undefined) {
    const others = above.filter((c) => !speaks(c));
    const skipped = others.map((c) => `${describeRelease(c)} needs IPC protocol ${c.custom.protocol}`);
    return { kind: 'stage', candidate: first, skipped, needsSupervisor: others.find((c) => c.custom.release_counter > first.custom.release_counter) ?? null };
  }
  // Every release above the floor (if any) speaks another protocol; the rest of the rules judge what is at or below it.
  const needsSupervisor = above[0] ?? null;
  const rest = candidates.filter((c) => c.custom.release_counter <= floor);
  const top = rest[0];
  if (top === undefined) return { kind: 'up_to_date', newest: null, needsSupervisor };
  if (needsSupervisor === null && top.custom.release_counter < floor) {
    return { kind: 'refused', reason: `the newest ${w.channel} release for ${w.platform} is ${describeRelease(top)}, below the release_counter floor ${floor}: the repository was rolled back to an older release` };
  }
  const impostor = rest.find((c) => c.custom.release_counter === floor && w.floor.sha256 !== null && c.sha256 !== w.floor.sha256);
  if (impostor !== undefined) {
    return { kind: 'refused', reason: `${describeRelease(impostor)} reuses the release_counter floor ${floor} with different contents than the bundle staged at that counter; a release counter is never reused` };
  }
  const again = rest.find((c) => w.restageFloor && c.custom.release_counter === floor && c.sha256 === w.floor.sha256 && speaks(c));
  if (again !== undefined) return { kind: 'stage', candidate: again, skipped: [], needsSupervisor };
  return { kind: 'up_to_date', newest: top, needsSupervisor };
}
