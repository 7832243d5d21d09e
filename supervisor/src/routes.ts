// The control socket's route table: one handler per protocol method (access levels live in the protocol).
import { RaypherError } from '@raypher/shared/errors';
import { PROTOCOL_VERSION, ProxyOps, VaultOps, type CallMeta, type MethodDef, type StatusResult, type WorkerName } from '@raypher/shared/ipc';
import type { RouteTable } from './control-server.js';
import { readLogLines } from './logs-reader.js';
import type { WorkerManager } from './worker-manager.js';

export interface SupervisorApi {
  version: string;
  logDir: string;
  workers: WorkerManager;
  status(): Promise<StatusResult>;
  health(): Promise<{ healthy: boolean; body: Record<string, unknown> }>;
  reload(): Promise<{ applied: string[]; requiresRestart: string[] }>;
}

export function buildRoutes(api: SupervisorApi): RouteTable {
  return {
    hello: ({ protocolVersion }) => {
      if (protocolVersion !== PROTOCOL_VERSION) {
        throw new RaypherError('ERR_IPC_VERSION_MISMATCH', `client speaks protocol ${protocolVersion}, daemon ${PROTOCOL_VERSION}; use the raypherctl that ships with daemon ${api.version}`);
      }
      return { protocolVersion: PROTOCOL_VERSION, daemonVersion: api.version };
    },
    status: () => api.status(),
    health: async () => (await api.health()).body,
    'logs.read': ({ process, lines, cursor }) => readLogLines(api.logDir, process, lines, cursor),
    'worker.restart': async ({ worker }) => {
      await api.workers.get(worker).restart('operator restart');
      return {};
    },
    'worker.stop': async ({ worker }) => {
      await api.workers.get(worker).stop('operator stop');
      return {};
    },
    'worker.start': ({ worker }) => {
      api.workers.get(worker).start();
      return {};
    },
    'config.reload': () => api.reload(),
    ...forwardedRoutes(api.workers),
  };
}

/** Vault, allow-list and panic methods pass straight through to the owning worker with the caller attached. */
function forwardedRoutes(workers: WorkerManager) {
  const to =
    (worker: WorkerName) =>
    <P, R>(def: MethodDef<{ caller: CallMeta['caller']; args: P }, R>) =>
    (args: P, meta: CallMeta) =>
      workers.get(worker).call(def, { caller: meta.caller, args }, FORWARD_TIMEOUT_MS);
  const forward = to('vault');
  const proxy = to('proxy');
  return {
    'allow.add': proxy(ProxyOps['allow.add']),
    'allow.list': proxy(ProxyOps['allow.list']),
    'allow.remove': proxy(ProxyOps['allow.remove']),
    'allow.refresh': proxy(ProxyOps['allow.refresh']),
    'identity.posture': proxy(ProxyOps['identity.posture']),
    'panic.engage': proxy(ProxyOps['panic.engage']),
    'panic.release': proxy(ProxyOps['panic.release']),
    'panic.status': proxy(ProxyOps['panic.status']),
    'vault.seal': forward(VaultOps['vault.seal']),
    'vault.unseal': forward(VaultOps['vault.unseal']),
    'vault.list': forward(VaultOps['vault.list']),
    'vault.delete': forward(VaultOps['vault.delete']),
    'vault.rotate': forward(VaultOps['vault.rotate']),
    'vault.status': forward(VaultOps['vault.status']),
    'vault.initRecovery': forward(VaultOps['vault.initRecovery']),
    'vault.recover': forward(VaultOps['vault.recover']),
  };
}

/** Vault operations may touch the TPM (seconds on a slow chip) or re-encrypt every key; allow add hashes a binary. */
const FORWARD_TIMEOUT_MS = 60_000;
