// Who the terminator never signals, whatever the config or an operator asks: a pure decision over the inventory.
import { basename } from 'node:path';
import type { ProcessInfo } from '../inventory/proc-inventory.js';

/** Process names that are always protected: service managers and the SSH daemon. */
const ALWAYS_PROTECTED_NAMES = new Set(['systemd', 'init', 'launchd', 'sshd', 'sshd-session', 'sshd-auth']);

export interface ProtectionContext {
  /** This worker's pid and its parent's (the supervisor). */
  readonly selfPid: number;
  readonly supervisorPid: number;
  /** The operator asking (null: the scanner's own policy or panic). */
  readonly callerPid: number | null;
  /** [watchtower] protected: executable paths or process names. */
  readonly extra: readonly string[];
  readonly lookup: (pid: number) => ProcessInfo | undefined;
}

/** Why a process is protected, or null when the terminator may act on it. */
export function protectionReason(p: ProcessInfo, ctx: ProtectionContext): string | null {
  if (p.pid === 1) return 'pid 1';
  if (p.pid === 2 || p.ppid === 2 || p.kernelThread) return 'a kernel thread';
  if (p.pid === ctx.selfPid || p.pid === ctx.supervisorPid || p.ppid === ctx.supervisorPid) return 'Raypher itself (the supervisor and its workers)';
  const names = [p.comm, p.exe ? basename(p.exe) : '', basename(p.cmdline[0] ?? '')];
  const service = names.find((n) => ALWAYS_PROTECTED_NAMES.has(n));
  if (service) return `the service manager or sshd (${service})`;
  const listed = ctx.extra.find((e) => (e.includes('/') ? p.exe === e : names.includes(e)));
  if (listed) return `[watchtower] protected lists '${listed}'`;
  if (ctx.callerPid !== null && callerLineage(ctx).has(p.pid)) return "the operator's own session or shell";
  return null;
}

/** The caller, its ancestors (its shell and what runs it) and the leader of its session. */
function callerLineage(ctx: ProtectionContext): Set<number> {
  const out = new Set<number>();
  let pid = ctx.callerPid;
  const caller = pid === null ? undefined : ctx.lookup(pid);
  if (caller) out.add(caller.session);
  for (let hops = 0; pid !== null && pid > 1 && hops < 64; hops++) {
    out.add(pid);
    pid = ctx.lookup(pid)?.ppid ?? null;
  }
  return out;
}
