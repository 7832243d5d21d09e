// The control socket's route table: one handler per protocol method (access levels live in the protocol).
import { RaypherError } from '@raypher/shared/errors';
import { PROTOCOL_VERSION, type StatusResult } from '@raypher/shared/ipc';
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
  };
}
