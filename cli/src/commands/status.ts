// raypherctl status: the summary box, then one row per worker.
import { Control, type StatusResult, type WorkerState } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { box, bytes, duration, palette, table } from '../output.js';

export async function statusCommand(ctx: CliContext): Promise<number> {
  const status = await withDaemon(ctx, (c) => c.call(Control.status, {}));
  ctx.out(ctx.json ? JSON.stringify(status, null, 2) : renderStatus(status, ctx.color));
  return 0;
}

export function renderStatus(s: StatusResult, color: boolean): string {
  const p = palette(color);
  const stateColor = (state: string) => (state === 'running' ? p.green : state === 'failed' || state === 'degraded' ? p.red : p.yellow);
  const count = (k: string) => (s.counts[k] === null || s.counts[k] === undefined ? 'n/a' : String(s.counts[k]));
  const summary = box('RAYPHER — System Status', [
    ['Service', stateColor(s.daemon.state)(s.daemon.state.toUpperCase())],
    ['Uptime', duration(s.daemon.uptimeSecs)],
    ['Version', `${s.daemon.version} (pid ${s.daemon.pid}, ${s.daemon.mode} mode)`],
    ['Silicon id', s.siliconId ?? 'n/a'],
    ['Bundle', s.bundle === undefined ? 'n/a' : `${s.bundle.version} (counter ${s.bundle.release_counter}, slot ${s.bundle.slot}, ${s.bundle.state})`],
    ['Proxy', s.proxyAddress],
    ['Panic', s.panic === null ? 'n/a' : s.panic.engaged ? p.red(`ENGAGED since ${s.panic.changedAt}${s.panic.reason ? ` (${s.panic.reason})` : ''}`) : 'off'],
    ['Health', s.healthAddress ? `http://${s.healthAddress}/health` : 'disabled'],
    ['Sealed keys', count('sealed_keys')],
    ['Allow list', count('allow_list')],
    ['Audit events', count('audit_events')],
    ['Exec ledger', s.identity === null ? 'n/a' : s.identity.exec_ledger === 'active' ? 'active' : p.yellow(`${s.identity.exec_ledger}${s.identity.exec_ledger_reason ? ` (${s.identity.exec_ledger_reason})` : ''}`)],
    ['ptrace scope', s.identity === null ? 'n/a' : s.identity.ptrace_scope === null ? p.yellow('no Yama (any same-uid process may ptrace an agent)') : String(s.identity.ptrace_scope)],
  ]);
  const warnings = (s.identity?.warnings ?? []).map((w) => p.yellow(`! ${w}`)).join('\n');
  const rows = s.workers.map((w) => [
    w.name,
    w.pid === null ? '-' : String(w.pid),
    stateColor(w.state as WorkerState)(w.state),
    duration(w.uptimeSecs),
    String(w.restarts),
    w.cpuPercent === null ? '-' : `${w.cpuPercent.toFixed(1)}%`,
    bytes(w.rssBytes),
    w.heartbeatAgeSecs === null ? '-' : `${w.heartbeatAgeSecs.toFixed(1)}s`,
  ]);
  return `${summary}\n${warnings ? `\nIdentity posture (docs/security.md):\n${warnings}\n` : ''}\n${table(['WORKER', 'PID', 'STATE', 'UPTIME', 'RESTARTS', 'CPU', 'RSS', 'HEARTBEAT'], rows)}`;
}
