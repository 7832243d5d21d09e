// The exec ledger: what each process executed (exe, argv, cwd, injection env), recorded when the kernel reports the exec.
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { redactString } from '@raypher/shared/logging';
import { ProcConnector, type ProcEvent } from '@raypher/shared/native';
import { inheritedSocketInodes, readProcessFacts, startTimeOf, type ProcessFacts } from './process-facts.js';

export interface ExecRecord extends ProcessFacts {
  /** CLOCK_MONOTONIC time of the exec (process.hrtime.bigint()'s clock). */
  execNs: bigint;
  /** Sockets it held at exec: inherited from the program before, so not opened by this one. */
  inheritedSockets: number[];
}

export type LedgerState = { state: 'starting' | 'active' | 'unavailable'; reason: string | null };

/** Without an answer to the subscription in this time, the ledger is unavailable (e.g. a container's own namespaces). */
const ACK_TIMEOUT_MS = 2000;
/** A machine has far fewer live processes; past this the oldest records go (they are only re-read from /proc then). */
const MAX_RECORDS = 200_000;
const EPERM = 1;
/**
 * A program read this soon after its exec has not run code of its own: an interpreter needs tens of milliseconds
 * before its first line, so every socket it holds was inherited. A native program that connects within this time
 * of its exec and is read in that window would be refused as inheriting its own socket (docs/security.md).
 */
const FRESH_AFTER_EXEC_NS = 10_000_000n;

/**
 * Records survive a proxy restart in an append-only journal beside the control socket (root-owned, 0600): a proxy
 * that crashes and comes back still knows the agents that were already running. Only records of allow-listed
 * executables are journaled, their argv and environment values passed through the log redaction (a key someone
 * typed on a command line never reaches the disk); every other process is known in memory only. The journal is
 * compacted to the live records at every start, whenever the list changes, and whenever it grows past this many
 * lines beyond them.
 */
const JOURNAL_SLACK_LINES = 20_000;

export class ExecLedger {
  private readonly records = new Map<number, ExecRecord>();
  private connector: ProcConnector | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private journalFd = -1;
  private journalLines = 0;
  private compactedLines = 0;
  /** Real paths of the allow-listed executables: only their records are journaled. */
  private watched = new Set<string>();
  status: LedgerState = { state: 'starting', reason: null };

  /** journalPath: null keeps records in memory only (tests). */
  constructor(private readonly journalPath: string | null = null) {}

  start(): void {
    if (process.platform !== 'linux') return this.unavailable(`the exec ledger is built for Linux only (this is ${process.platform})`);
    this.loadJournal();
    this.connector = new ProcConnector({ onEvent: (e) => this.onEvent(e), onError: (err) => this.unavailable(`reading process events failed: ${err.message}`) });
    try {
      this.connector.open();
    } catch (err) {
      this.connector = null;
      return this.unavailable((err as Error).message);
    }
    this.ackTimer = setTimeout(() => this.unavailable('the kernel did not answer the process-events subscription (not in the initial user and pid namespaces?)'), ACK_TIMEOUT_MS);
    this.ackTimer.unref();
  }

  close(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.connector?.close();
    this.connector = null;
    if (this.journalFd >= 0) closeSync(this.journalFd);
    this.journalFd = -1;
  }

  get active(): boolean {
    return this.status.state === 'active';
  }

  /**
   * The record of the process now running as (pid, startTime), if it was recorded and still runs that executable
   * (a lost event is caught here: a process that exec'd again unseen runs another file, or the same file re-opened).
   */
  lookup(pid: number, startTime: number): ExecRecord | null {
    const r = this.records.get(pid);
    if (!r || r.startTime !== startTime) return null;
    try {
      const st = statSync(`/proc/${pid}/exe`);
      return st.dev === r.exeDev && st.ino === r.exeIno ? r : null;
    } catch {
      return null;
    }
  }

  /** The allow-listed executables changed: the journal now keeps exactly their records. */
  watch(exePaths: readonly string[]): void {
    this.watched = new Set(exePaths);
    if (this.journalFd >= 0) this.compact();
  }

  /** Processes every exec event the kernel has queued (see ProcConnector.drain). */
  drain(): void {
    this.connector?.drain();
  }

  get size(): number {
    return this.records.size;
  }

  private onEvent(e: ProcEvent): void {
    switch (e.kind) {
      case 'ack':
        if (this.ackTimer) clearTimeout(this.ackTimer);
        if (e.errno === 0) this.status = { state: 'active', reason: null };
        else this.unavailable(e.errno === EPERM ? 'the kernel refused process events (before Linux 6.6 they need root or CAP_NET_ADMIN; after, the initial namespaces); identity falls back to /proc' : `the kernel refused the process-events subscription (errno ${e.errno})`);
        return;
      case 'exec':
        return this.record(e.pid, e.timestampNs);
      case 'fork':
        return this.inherit(e.pid, e.parentPid);
      case 'exit':
        this.records.delete(e.pid);
    }
  }

  /** Read at once: an interpreter needs tens of milliseconds before its code could rewrite argv or the environment. */
  private record(pid: number, execNs: bigint): void {
    try {
      // First, before the new program can change its descriptors; all of them count while it cannot have run yet.
      const inheritedSockets = inheritedSocketInodes(pid, process.hrtime.bigint() - execNs <= FRESH_AFTER_EXEC_NS);
      this.put({ ...readProcessFacts(pid), execNs, inheritedSockets });
    } catch {
      this.records.delete(pid); // gone already, or unreadable: no record, so no stale one either
    }
  }

  /** A forked child runs its parent's program: it inherits the parent's record (Python multiprocessing, preforking servers). */
  private inherit(pid: number, parentPid: number): void {
    const parent = this.records.get(parentPid);
    if (!parent) return void this.records.delete(pid);
    try {
      this.put({ ...parent, pid, startTime: startTimeOf(pid) });
    } catch {
      this.records.delete(pid);
    }
  }

  private put(r: ExecRecord): void {
    this.records.delete(r.pid);
    this.records.set(r.pid, r);
    if (this.records.size > MAX_RECORDS) this.records.delete(this.records.keys().next().value as number);
    if (this.journalFd < 0 || !this.watched.has(r.exePath)) return;
    writeSync(this.journalFd, journalLine(r));
    if (++this.journalLines > this.compactedLines + JOURNAL_SLACK_LINES) this.compact();
  }

  /** Keeps the records of processes still alive and still running the file they exec'd. */
  private loadJournal(): void {
    if (!this.journalPath) return;
    if (existsSync(this.journalPath)) {
      for (const line of readFileSync(this.journalPath, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as ExecRecord & { execNs: string };
          const record = { ...r, execNs: BigInt(r.execNs), inheritedSockets: r.inheritedSockets ?? [] };
          const st = statSync(`/proc/${r.pid}/exe`);
          if (startTimeOf(r.pid) === r.startTime && st.dev === r.exeDev && st.ino === r.exeIno) this.records.set(r.pid, record);
          else this.records.delete(r.pid);
        } catch {
          /* a torn last line, or a process that is gone */
        }
      }
    }
    // Until the list arrives, what was journaled stays journaled (its executables were listed when it was written).
    this.watched = new Set([...this.records.values()].map((r) => r.exePath));
    this.compact();
  }

  private compact(): void {
    if (!this.journalPath) return;
    if (this.journalFd >= 0) closeSync(this.journalFd);
    const tmp = `${this.journalPath}.tmp`;
    const kept = [...this.records.values()].filter((r) => this.watched.has(r.exePath));
    writeFileSync(tmp, kept.map(journalLine).join(''), { mode: 0o600 });
    renameSync(tmp, this.journalPath);
    this.journalFd = openSync(this.journalPath, 'a', 0o600);
    this.journalLines = this.compactedLines = kept.length;
  }

  private unavailable(reason: string): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.status = { state: 'unavailable', reason };
    this.connector?.close();
    this.connector = null;
  }
}

/** A journal line: argv and environment values redacted (they are only matched on paths and option names). */
function journalLine(r: ExecRecord): string {
  const env = Object.fromEntries(Object.entries(r.env).map(([k, v]) => [k, redactString(v)]));
  return `${JSON.stringify({ ...r, argv: r.argv.map(redactString), env, execNs: String(r.execNs) })}\n`;
}
