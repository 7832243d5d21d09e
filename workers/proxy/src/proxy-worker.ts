// The proxy worker: will serve the LLM proxy on the supervisor's listening sockets (proxy issue).
import type { WorkerModule } from '@raypher/shared/worker';

export const proxyWorker: WorkerModule = {
  async start() {
    return { stop: async () => undefined, health: () => ({ proxy: { requests_served: 0, requests_blocked: 0, avg_latency_ms: null } }) };
  },
};
