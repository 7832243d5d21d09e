// Entry of the identification thread: the exec ledger, the /proc scan, hashing and the allow decision run here,
// off the proxy's event loop.
import { workerData, type MessagePort } from 'node:worker_threads';
import { Peer, PortTransport } from '@raypher/shared/ipc';
import { buildManifest, firstChange, type TreeFile } from './code-tree.js';
import { decide, type EntryRule, type Verdict } from './decide.js';
import { ExecLedger } from './exec-ledger.js';
import { FileHasher } from './file-hash.js';
import { createCallerSource, type Connection } from './index.js';
import { InspectorProbe } from './inspector-probe.js';
import { posture } from './posture.js';
import { hostFacts, ownView } from './host-facts.js';
import { IdentityMethods } from './protocol.js';

/**
 * A caller with no exec record may be one whose exec event is still on its way (queued in the socket, or read by the
 * pool thread but not yet handed to this one): drain the socket, yield this long, and look again, a few times.
 */
const RECORD_GRACE_MS = 5;
const RECORD_TRIES = 3;
/** A pinned tree is re-checked at most this often (it is a stat per file). */
const TREE_RECHECK_NS = 1_000_000_000n;

const { journalPath, port } = workerData as { journalPath: string | null; port: MessagePort };
const ledger = new ExecLedger(journalPath);
ledger.start();
const hasher = new FileHasher();
const source = createCallerSource(ledger, hasher);
const probe = new InspectorProbe();
let entries: EntryRule[] = [];
let manifests = new Map<number, readonly TreeFile[]>();
const treeChecks = new Map<number, { atNs: bigint; change: string | null }>();

const hashOrNull = (path: string) => {
  try {
    return hasher.hash(path);
  } catch {
    return null;
  }
};

/** A check made before the caller's exec says nothing of what it loaded: a file may have changed and come back since. */
function treeChange(entryId: number, checkedAfterNs: bigint | null): string | null {
  const now = process.hrtime.bigint();
  const cached = treeChecks.get(entryId);
  if (cached && now - cached.atNs < TREE_RECHECK_NS && checkedAfterNs !== null && cached.atNs > checkedAfterNs) return cached.change;
  const change = firstChange(manifests.get(entryId) ?? []);
  treeChecks.set(entryId, { atNs: now, change });
  return change;
}

async function identify(connection: Connection, connectedNs: bigint): Promise<Verdict> {
  let callers = source.callers(connection);
  for (let i = 0; i < RECORD_TRIES && ledger.active && callers.some((c) => c.source === 'proc'); i++) {
    ledger.drain();
    await new Promise((r) => setTimeout(r, RECORD_GRACE_MS));
    ledger.drain();
    callers = source.callers(connection);
  }
  // Only a caller that listens is asked (an agent that is also a server, or one whose inspector was opened).
  const inspectors = await probe.inspectors(callers.flatMap((c) => c.listeners));
  return decide(callers, entries, { ...hostFacts, view: ownView, connectedNs, hashFile: hashOrNull, treeChange, inspectors });
}

const peer = new Peer(new PortTransport(port), { label: 'identification thread (thread side)' });
peer.handle(IdentityMethods.identify, ({ connection, connectedNs }) => identify(connection, connectedNs));
peer.handle(IdentityMethods.entries, (req) => {
  entries = req.entries;
  ledger.watch(entries.map((e) => e.exePath));
  manifests = new Map(req.manifests.map((m) => [m.entryId, m.files]));
  treeChecks.clear();
  return {};
});
peer.handle(IdentityMethods.hash, ({ paths }) => paths.map((p) => hasher.hash(p)));
peer.handle(IdentityMethods.manifest, ({ roots }) => buildManifest(roots, (p) => hostFacts.trusted(p, [])));
peer.handle(IdentityMethods.posture, () => posture(ledger.status, entries));
