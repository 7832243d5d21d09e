// Suspends, resumes and kills processes (policy, panic or an operator), never one in the protected set; every act audited.
import type { AuditLedger } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import type { ProcessInfo } from '../inventory/proc-inventory.js';
import { protectionReason, type ProtectionContext } from './protected-set.js';

export type TerminatorAction = 'killed' | 'suspended' | 'resumed';
const SIGNALS = { killed: 'SIGKILL', suspended: 'SIGSTOP', resumed: 'SIGCONT' } as const;
const EVENTS = { killed: 'terminator.killed', suspended: 'terminator.suspended', resumed: 'terminator.resumed' } as const;

export interface TerminatorDeps {
  readonly ledger: AuditLedger;
  /** The process now (start time re-read), or undefined when the pid is gone. */
  readonly current: (pid: number) => ProcessInfo | undefined;
  readonly protection: (callerPid: number | null) => Omit<ProtectionContext, 'callerPid'>;
}

/** How a process is named in results and audit rows. */
export function processName(p: ProcessInfo): string {
  return p.cmdline[0]?.split('/').pop() || p.comm;
}

export class Terminator {
  /** pid:startTime of the processes this scanner stopped, and why. */
  private readonly stopped = new Map<string, 'policy' | 'panic' | 'operator'>();

  constructor(private readonly d: TerminatorDeps) {}

  isSuspended(p: ProcessInfo): boolean {
    return this.stopped.has(keyOf(p));
  }

  /** Suspended by panic, still alive: resumed on release. */
  suspendedBy(why: 'policy' | 'panic' | 'operator'): number[] {
    return [...this.stopped].filter(([, w]) => w === why).map(([k]) => Number(k.split(':')[0]));
  }

  async act(pid: number, action: TerminatorAction, by: { why: 'policy' | 'panic' | 'operator'; callerUid: number | null; callerPid: number | null; reason?: string }): Promise<{ pid: number; name: string; action: TerminatorAction }> {
    const p = this.d.current(pid);
    if (!p) throw new RaypherError('ERR_SCANNER_NO_PROCESS', `no process has pid ${pid} (it may have exited); list agents with 'raypherctl agents'`);
    const why = protectionReason(p, { ...this.d.protection(by.callerPid), callerPid: by.callerPid });
    if (why) throw new RaypherError('ERR_SCANNER_PROTECTED', `pid ${pid} (${processName(p)}) is protected (${why}) and is never signalled`);
    try {
      process.kill(pid, SIGNALS[action]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new RaypherError('ERR_SCANNER_NO_PROCESS', `pid ${pid} exited before it could be signalled`);
      throw new RaypherError('ERR_SCANNER_PROTECTED', `cannot signal pid ${pid}: ${(err as NodeJS.ErrnoException).code ?? 'error'} (the scanner runs without the rights to signal it)`);
    }
    if (action === 'suspended') this.stopped.set(keyOf(p), by.why);
    else this.stopped.delete(keyOf(p));
    await this.d.ledger.append(EVENTS[action], { pid, name: processName(p), exe: p.exe, by: by.why, caller_uid: by.callerUid, reason: by.reason ?? null });
    return { pid, name: processName(p), action };
  }

  /** Forgets processes that exited. */
  prune(alive: (key: string) => boolean): void {
    for (const k of this.stopped.keys()) if (!alive(k)) this.stopped.delete(k);
  }
}

export function keyOf(p: ProcessInfo): string {
  return `${p.pid}:${p.startTime}`;
}
