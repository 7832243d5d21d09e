// The scanner worker (watchtower): a pass every scan_interval_secs, the operator methods, and its /health section.
import { Counter } from 'prom-client';
import { AuditLedger, openRaypherDb } from '@raypher/shared/db';
import { serveOwnedMethods, type Caller, type ScanResult } from '@raypher/shared/ipc';
import type { WorkerModule } from '@raypher/shared/worker';
import { AllowListCheck } from './allow-check.js';
import { Detector } from './detect/detector.js';
import { KeyShapes } from './detect/key-shapes.js';
import { loadSignatures } from './detect/signatures.js';
import { FindingsStore } from './findings/findings-store.js';
import { ProcInventory } from './inventory/proc-inventory.js';
import { ProviderAddresses, splitList } from './network/provider-addresses.js';
import { ConnectionReader } from './network/tcp-connections.js';
import { ProxyEvidence } from './proxy-evidence.js';
import { Scanner } from './scanner.js';
import { Terminator } from './terminator/terminator.js';

/** Passes averaged into avg_scan_ms. */
const AVG_WINDOW = 30;

function by(caller: Caller): string {
  return caller ? `uid:${caller.uid}` : 'supervisor';
}

export const scannerWorker: WorkerModule<'scanner'> = {
  async start(ctx) {
    let config = ctx.config.watchtower;
    let keyShapes = new KeyShapes(ctx.config.proxy.providers);
    const detector = new Detector(loadSignatures());
    const db = await openRaypherDb(ctx.paths.db);
    const ledger = new AuditLedger(db, 'scanner');
    const inventory = new ProcInventory();
    const providers = new ProviderAddresses(config);
    const findings = new FindingsStore(db, ledger);
    const connections = new ConnectionReader();
    const allowList = new AllowListCheck();
    const terminator = new Terminator({
      ledger,
      current: (pid) => inventory.current(pid),
      protection: () => ({ selfPid: process.pid, supervisorPid: process.ppid, extra: splitList(config.protected), lookup: (pid) => inventory.current(pid) }),
    });
    const scanner = new Scanner({ db, ledger, logger: ctx.logger, inventory, detector, findings, providers, connections, evidence: new ProxyEvidence(db, (rows) => allowList.setEntries(rows)), allowList, terminator, dbFile: ctx.paths.db, vaultDb: ctx.paths.vaultDb, config: () => config, keyShapes: () => keyShapes });

    const cycles = new Counter({ name: 'raypher_scanner_scan_cycles_total', help: 'Watchtower passes completed', registers: [ctx.metrics] });
    let lastScan: string | null = null;
    let passCount = 0;
    let activeThreats = 0;
    const durations: number[] = [];
    let running: Promise<ScanResult> | null = null;

    // One pass at a time: a pass on demand while the timer's runs waits for it and runs next.
    const runPass = async (): Promise<ScanResult> => {
      while (running) await running.catch(() => undefined);
      const p = scanner.pass();
      running = p;
      try {
        const r = await p;
        cycles.inc();
        passCount++;
        lastScan = new Date().toISOString();
        activeThreats = r.openFindings;
        durations.push(r.durationMs);
        if (durations.length > AVG_WINDOW) durations.shift();
        return r;
      } finally {
        running = null;
      }
    };
    const tick = () => void runPass().catch((err: unknown) => ctx.logger.error('scanner pass failed', { error: (err as Error).message }));
    let timer = setInterval(tick, config.scan_interval_secs * 1000);
    const resolveProviders = () => void providers.resolve();
    resolveProviders();
    let resolveTimer = setInterval(resolveProviders, config.provider_resolve_secs * 1000);
    tick();

    const operator = (caller: Caller) => ({ why: 'operator' as const, callerUid: caller?.uid ?? null, callerPid: caller?.pid ?? null });
    serveOwnedMethods(ctx, 'scanner', {
      'agents.list': () => ({ agents: scanner.listAgents() }),
      'findings.list': async ({ args }) => ({ findings: await findings.list(args.all) }),
      'findings.ack': ({ caller, args }) => findings.acknowledge(args.id, by(caller)),
      'scan.run': () => runPass(),
      'process.kill': ({ caller, args }) => terminator.act(args.pid, 'killed', operator(caller)),
      'process.suspend': ({ caller, args }) => terminator.act(args.pid, 'suspended', operator(caller)),
      'process.resume': ({ caller, args }) => terminator.act(args.pid, 'resumed', operator(caller)),
    });

    return {
      stop: async () => {
        clearInterval(timer);
        clearInterval(resolveTimer);
        while (running) await running.catch(() => undefined);
        connections.close();
        await db.close();
      },
      onConfig(next) {
        const old = config;
        config = next.watchtower;
        keyShapes = new KeyShapes(next.proxy.providers);
        providers.update(config);
        if (old.scan_interval_secs !== config.scan_interval_secs) {
          clearInterval(timer);
          timer = setInterval(tick, config.scan_interval_secs * 1000);
        }
        if (old.provider_resolve_secs !== config.provider_resolve_secs || old.provider_hosts !== config.provider_hosts) {
          clearInterval(resolveTimer);
          resolveTimer = setInterval(resolveProviders, config.provider_resolve_secs * 1000);
          resolveProviders();
        }
      },
      health: () => ({
        watchtower: {
          scan_interval_secs: config.scan_interval_secs,
          scan_cycles: passCount,
          avg_scan_ms: durations.length === 0 ? null : Math.round((durations.reduce((a, b) => a + b, 0) / durations.length) * 100) / 100,
          last_scan: lastScan,
          active_threats: activeThreats,
          connections: connections.source,
        },
      }),
    };
  },
};
