// One watchtower pass: inventory, detection, findings, then the actions that policy and panic ask for.
import { addAlert, type AuditLedger, type Db } from '@raypher/shared/db';
import type { AgentInfo, RiskLevel, ScanResult, WorkerConfig } from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import { Detector, type AgentMatch } from './detect/detector.js';
import { readEnviron, type KeyShapes } from './detect/key-shapes.js';
import { atLeast, riskOf } from './detect/risk.js';
import type { Cause, FindingsStore } from './findings/findings-store.js';
import { DbChangeWatch } from './findings/file-change.js';
import { readSealedIndex, type SealedIndex } from './findings/sealed-keys.js';
import type { ProcInventory, ProcessInfo } from './inventory/proc-inventory.js';
import { socketInodes, type ConnectionReader } from './network/tcp-connections.js';
import type { ProviderAddresses } from './network/provider-addresses.js';
import type { AllowListCheck } from './allow-check.js';
import type { ProxyEvidence } from './proxy-evidence.js';
import { keyOf, processName, type Terminator } from './terminator/terminator.js';

type Watchtower = WorkerConfig<'scanner'>['watchtower'];

/** A key found in a process environment: the value is fingerprinted at discovery and never kept. */
interface FoundKey {
  readonly variable: string;
  readonly provider: string;
  readonly fingerprint: string | null;
}

interface Analysis {
  /** The inventory record analysed: a new record for the same pid and start time (re-read after an exec) is analysed again. */
  readonly info: ProcessInfo;
  readonly match: AgentMatch | null;
  readonly keys: readonly FoundKey[];
}

/** A process with a signal: an agent, a key in its environment, or a refusal by the proxy. */
interface Notable {
  readonly p: ProcessInfo;
  readonly a: Analysis;
  readonly key: string;
}

export interface ScannerDeps {
  readonly db: Db;
  readonly ledger: AuditLedger;
  readonly logger: Logger;
  readonly inventory: ProcInventory;
  readonly detector: Detector;
  readonly findings: FindingsStore;
  readonly providers: ProviderAddresses;
  readonly connections: ConnectionReader;
  readonly evidence: ProxyEvidence;
  readonly allowList: AllowListCheck;
  readonly terminator: Terminator;
  /** raypher.db's path: its files' stat says whether to query it again. */
  readonly dbFile: string;
  readonly vaultDb: string;
  readonly config: () => Watchtower;
  /** Built-in key shapes plus the configured [[proxy.providers]] (rebuilt on a config reload). */
  readonly keyShapes: () => KeyShapes;
}

export class Scanner {
  private readonly analyses = new Map<string, Analysis>();
  private sealed: SealedIndex | null = null;
  private agents: AgentInfo[] = [];
  private panicSuspended = false;
  private panicEngaged = false;
  private shapes: KeyShapes | null = null;
  /** The inventory generation analysed last, and the processes with a signal then. */
  private generation = -1;
  private notable: Notable[] = [];
  /** raypher.db (evidence, panic) and vault.db (sealed fingerprints) are queried only after a commit touched them. */
  private readonly raypherDbWatch: DbChangeWatch;
  private readonly vaultDbWatch: DbChangeWatch;

  constructor(private readonly d: ScannerDeps) {
    this.raypherDbWatch = DbChangeWatch.of(d.dbFile);
    this.vaultDbWatch = DbChangeWatch.of(d.vaultDb);
  }

  listAgents(): AgentInfo[] {
    return this.agents;
  }

  async pass(): Promise<ScanResult> {
    const t0 = performance.now();
    const cfg = this.d.config();
    const procs = this.d.inventory.scan();
    // New key shapes (a reload changed [[proxy.providers]]): every environment is read again, once.
    const shapes = this.d.keyShapes();
    const rekey = shapes !== this.shapes;
    this.shapes = shapes;
    const generation = this.d.inventory.generation;
    const procsChanged = generation !== this.generation || rekey;
    this.generation = generation;
    if (this.sealed === null || this.vaultDbWatch.changed()) this.sealed = await readSealedIndex(this.d.vaultDb);
    if (procsChanged) await this.analyse(procs, shapes, rekey);
    const dbChanged = this.raypherDbWatch.changed();
    if (dbChanged) {
      await this.d.evidence.refresh();
      const panic = await this.d.db.get<{ engaged: number }>('SELECT engaged FROM panic WHERE id = 1');
      this.panicEngaged = panic?.engaged === 1;
    }
    // Only processes with a signal are looked at further: most of the machine is neither an agent nor holds a key.
    if (procsChanged || dbChanged) this.notable = this.notableOf(procs);
    const notable = this.notable;
    const bypass = this.bypassing(notable.filter((n) => n.a.match).map((n) => n.p));
    const causes: Cause[] = [];
    const agents: AgentInfo[] = [];
    for (const { p, a, key } of notable) {
      const sealedHits = a.keys.map((k) => (k.fingerprint ? this.sealed?.sealedAs(k.fingerprint) ?? null : null));
      const denial = this.d.evidence.denied.get(p.pid);
      const remote = bypass.get(p.pid) ?? null;
      const risk = riskOf({ agent: a.match !== null, keyExposed: a.keys.length > 0, sealedKeyExposed: sealedHits.some((s) => s !== null), bypass: remote !== null, unlisted: denial !== undefined });
      const identity = a.match?.id ?? null;
      a.keys.forEach((k, i) => causes.push({ kind: 'key.exposed', subject: `key.exposed:${key}:${k.variable}`, pid: p.pid, exe: p.exe, identity, fingerprint: k.fingerprint, risk, detail: { variable: k.variable, provider: k.provider, sealed: sealedHits[i] !== null, sealed_provider: sealedHits[i] ?? null } }));
      if (remote) causes.push({ kind: 'proxy.bypass', subject: `proxy.bypass:${key}:${remote}`, pid: p.pid, exe: p.exe, identity, fingerprint: null, risk, detail: { remote } });
      if (denial) causes.push({ kind: 'agent.unlisted', subject: `agent.unlisted:${p.pid}:${denial.exe ?? ''}`, pid: p.pid, exe: denial.exe ?? p.exe, identity, fingerprint: null, risk, detail: { evidence: 'proxy.denied not_listed' } });
      if (!a.match) continue;
      const reasons = [...a.match.reasons, ...a.keys.map((k) => `${k.variable} holds a ${k.provider} key${k.fingerprint ? ` (${k.fingerprint})` : ''}`)];
      if (remote) reasons.push(`direct connection to provider address ${remote}`);
      if (denial) reasons.push('refused by the proxy: not on the allow list');
      agents.push({ pid: p.pid, name: a.match.name, signature: a.match.id, exe: p.exe, uid: p.uid, risk, reasons, allowListed: this.d.allowList.listed(p, this.d.detector.scriptOf(p)), viaProxy: this.d.evidence.usedProxy.has(p.pid), suspended: this.d.terminator.isSuspended(p) });
    }
    const opened = await this.d.findings.reconcile(causes);
    for (const f of opened) {
      if (atLeast(f.risk, cfg.alert_threshold)) await addAlert(this.d.db, { ts: f.firstSeen, type: `scanner.${f.kind}`, source: 'scanner', message: `${f.kind} (risk ${f.risk}) pid ${f.pid ?? '-'} ${f.exe ?? ''}: ${f.detail}` });
    }
    this.agents = agents;
    await this.enforce(agents, cfg);
    const openFindings = await this.d.findings.activeCount();
    const durationMs = performance.now() - t0;
    if (cfg.verbose) this.d.logger.info('scanner pass', { processes: procs.length, agents: agents.length, open_findings: openFindings, ms: Math.round(durationMs * 10) / 10 });
    return { processes: procs.length, agents: agents.length, openFindings, durationMs, connections: this.d.connections.source };
  }

  /** Analyses the processes not seen before (or all environments again after new key shapes), forgets the ones gone. */
  private async analyse(procs: readonly ProcessInfo[], shapes: KeyShapes, rekey: boolean): Promise<void> {
    const keys = procs.map(keyOf);
    const alive = new Set(keys);
    const alivePids = new Set(procs.map((p) => p.pid));
    for (const k of this.analyses.keys()) if (!alive.has(k)) this.analyses.delete(k);
    this.d.terminator.prune((k) => alive.has(k));
    this.d.evidence.prune((pid) => alivePids.has(pid));
    for (let i = 0; i < procs.length; i++) {
      const p = procs[i] as ProcessInfo;
      const key = keys[i] as string;
      const before = this.analyses.get(key);
      if (p.kernelThread || p.pid === process.pid) continue;
      if (before?.info === p) {
        if (rekey) this.analyses.set(key, { ...before, keys: this.foundKeys(p.pid, shapes) });
        continue;
      }
      const a: Analysis = { info: p, match: this.d.detector.match(p), keys: this.foundKeys(p.pid, shapes) };
      this.analyses.set(key, a);
      if (a.match && a.match.id !== before?.match?.id) await this.d.ledger.append('scanner.agent_detected', { pid: p.pid, exe: p.exe, signature: a.match.id, name: a.match.name, reasons: a.match.reasons });
    }
  }

  private notableOf(procs: readonly ProcessInfo[]): Notable[] {
    const out: Notable[] = [];
    for (const p of procs) {
      const key = keyOf(p);
      const a = this.analyses.get(key);
      if (a && (a.match || a.keys.length > 0 || this.d.evidence.denied.has(p.pid))) out.push({ p, a, key });
    }
    return out;
  }

  /** Keys in one process's environment, fingerprinted: the values stay inside this call. */
  private foundKeys(pid: number, shapes: KeyShapes): FoundKey[] {
    const env = readEnviron(pid, this.d.inventory.files);
    const keys = env === null ? [] : shapes.keysIn(env);
    return keys.map((k) => ({ variable: k.variable, provider: k.provider, fingerprint: this.sealed?.fingerprintOf(k.value) ?? null }));
  }

  /** Agent pid -> 'ip:port' of a direct provider connection. */
  private bypassing(agents: readonly ProcessInfo[]): Map<number, string> {
    const out = new Map<number, string>();
    if (agents.length === 0) return out;
    const hits = new Map<number, string>();
    for (const c of this.d.connections.established((port) => this.d.providers.watchesPort(port))) if (this.d.providers.matches(c.remoteIp, c.remotePort)) hits.set(c.inode, `${c.remoteIp}:${c.remotePort}`);
    if (hits.size === 0) return out;
    for (const p of agents) {
      for (const inode of socketInodes(p.pid)) {
        const remote = hits.get(inode);
        if (remote) {
          out.set(p.pid, remote);
          break;
        }
      }
    }
    return out;
  }

  /** Policy actions per risk level, then panic: suspend while engaged, resume on release. */
  private async enforce(agents: readonly AgentInfo[], cfg: Watchtower): Promise<void> {
    const actions: Record<RiskLevel, Watchtower['action_low']> = { low: cfg.action_low, medium: cfg.action_medium, high: cfg.action_high, critical: cfg.action_critical };
    for (const a of agents) {
      const action = actions[a.risk];
      if (action === 'alert' || (action === 'suspend' && a.suspended)) continue;
      await this.tryAct(a.pid, action === 'kill' ? 'killed' : 'suspended', 'policy', `risk ${a.risk}`);
    }
    const engaged = this.panicEngaged && cfg.panic_action === 'suspend';
    if (engaged) {
      for (const a of agents) if (!a.suspended) await this.tryAct(a.pid, 'suspended', 'panic', 'panic engaged');
      this.panicSuspended = true;
    } else if (this.panicSuspended) {
      for (const pid of this.d.terminator.suspendedBy('panic')) await this.tryAct(pid, 'resumed', 'panic', 'panic released');
      this.panicSuspended = false;
    }
  }

  private async tryAct(pid: number, action: 'killed' | 'suspended' | 'resumed', why: 'policy' | 'panic', reason: string): Promise<void> {
    try {
      await this.d.terminator.act(pid, action, { why, callerUid: null, callerPid: null, reason });
    } catch (err) {
      this.d.logger.debug('terminator skipped a process', { pid, action, error: (err as Error).message });
    }
  }

  /** Names a process for results (the agent's name when detected). */
  nameOf(p: ProcessInfo): string {
    return this.analyses.get(keyOf(p))?.match?.name ?? processName(p);
  }
}
