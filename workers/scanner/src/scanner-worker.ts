// The scanner worker: runs the watchtower loop on its configured interval (detection lands with the scanner issue).
import { Counter } from 'prom-client';
import type { WorkerModule } from '@raypher/shared/worker';

export const scannerWorker: WorkerModule<'scanner'> = {
  async start(ctx) {
    const cycles = new Counter({ name: 'raypher_scanner_scan_cycles_total', help: 'Watchtower passes completed', registers: [ctx.metrics] });
    let lastScan: string | null = null;
    let interval = ctx.config.watchtower.scan_interval_secs;
    const pass = () => {
      cycles.inc();
      lastScan = new Date().toISOString();
    };
    let timer = setInterval(pass, interval * 1000);
    return {
      stop: async () => clearInterval(timer),
      onConfig(config) {
        if (config.watchtower.scan_interval_secs === interval) return;
        interval = config.watchtower.scan_interval_secs;
        clearInterval(timer);
        timer = setInterval(pass, interval * 1000);
      },
      health: () => ({ watchtower: { scan_interval_secs: interval, last_scan: lastScan, active_threats: 0 } }),
    };
  },
};
