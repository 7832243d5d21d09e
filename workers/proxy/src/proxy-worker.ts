// The proxy worker: serves the LLM proxy on the listening sockets the supervisor hands over.
import { createServer, type Server } from 'node:http';
import { realpathSync } from 'node:fs';
import { AuditLedger, openRaypherDb } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import { ProxyOps, type AllowEntryInfo } from '@raypher/shared/ipc';
import type { WorkerModule } from '@raypher/shared/worker';
import { AllowList, type AllowEntry } from './allow-list.js';
import { AuditBatcher } from './audit-batch.js';
import { createHandler } from './handler.js';
import { FileHasher } from './identity/file-hash.js';
import { isInterpreter } from './identity/interpreter.js';
import { IdentifierThread } from './identity/thread.js';
import { PanicSwitch } from './panic.js';
import { providersFrom } from './providers.js';
import { RateLimiter } from './rate-limit.js';
import { proxyMetrics } from './metrics.js';
import { Upstreams } from './upstream.js';
import { VaultClient } from './vault-client.js';

export const proxyWorker: WorkerModule = {
  async start(ctx) {
    const dbPath = ctx.paths.db;
    const vaultSocket = ctx.paths.vaultSocket;
    if (!dbPath || !vaultSocket || !ctx.vaultToken) throw new RaypherError('ERR_INTERNAL_UNEXPECTED', 'proxy worker: supervisor sent no db path, vault socket or vault token');
    let config = ctx.config.proxy;
    let providers = providersFrom(config);
    const db = await openRaypherDb(dbPath);
    const allowList = new AllowList(db);
    await allowList.load();
    const ledger = new AuditLedger(db, 'proxy');
    const audit = new AuditBatcher(ledger, ctx.logger);
    const hasher = new FileHasher(); // for allow add; callers are hashed in the identification thread
    const vault = new VaultClient(vaultSocket, ctx.vaultToken);
    const stats = { served: 0, blocked: 0, latencyMsTotal: 0 };
    const identifierThread = new IdentifierThread();
    // Engaging panic drops every cached key and cuts the requests in flight.
    const panic = new PanicSwitch(db, ledger, () => {
      vault.invalidate(null);
      handler.abortInFlight();
    });
    await panic.load();
    if (panic.engaged) ctx.logger.warn('panic mode is engaged: every request gets 503', { ...panic.status() });
    // Pool settings are restart-only keys, so the pools are built once with them.
    const upstreams = new Upstreams(config.pool_idle_timeout_secs * 1000);
    const handler = createHandler({ config: () => config, providers: () => providers, identifier: identifierThread, allowList, panic, limiter: new RateLimiter(), vault, upstreams, audit, logger: ctx.logger, stats, metrics: proxyMetrics(ctx.metrics) });

    const servers: Server[] = [];
    ctx.onListener((info, handle) => {
      const server = createServer({ keepAliveTimeout: 65_000 }, handler.handle);
      server.listen(handle as Parameters<Server['listen']>[0], () => ctx.logger.info('proxy listening', { ...info }));
      servers.push(server);
    });

    const by = (caller: { uid: number; pid: number } | null) => (caller ? `uid ${caller.uid} pid ${caller.pid}` : 'unknown');
    ctx.handle(ProxyOps['allow.add'], async ({ caller, args }) => {
      let exePath: string;
      try {
        exePath = realpathSync(args.exePath);
      } catch {
        throw new RaypherError('ERR_PROXY_ALLOW_INVALID', `${args.exePath} does not exist; give the path of the program that calls the proxy`);
      }
      const script = args.script === null ? null : resolveExisting(args.script);
      if ((script || args.anyScript || args.inlineCode) && !isInterpreter(exePath)) {
        throw new RaypherError('ERR_PROXY_ALLOW_INVALID', `${exePath} is not a known interpreter; --script, --any-script and --inline apply to python, node, ruby, perl, sh, ...`);
      }
      const entry = await allowList.add({
        exe_path: exePath,
        exe_hash: hasher.hash(exePath),
        friendly_name: args.name,
        uid: args.uid,
        script_path: script,
        script_hash: script ? hasher.hash(script) : null,
        any_script: args.anyScript ? 1 : 0,
        inline_code: args.inlineCode ? 1 : 0,
        rate_limit: args.rateLimit,
        added_by: by(caller),
      });
      await ledger.append('allow.added', { id: entry.id, exe_path: entry.exe_path, exe_hash: entry.exe_hash, script: entry.script_path, any_script: args.anyScript, inline_code: args.inlineCode, caller });
      return toInfo(entry);
    });
    ctx.handle(ProxyOps['allow.list'], () => ({ entries: allowList.list().map(toInfo) }));
    ctx.handle(ProxyOps['allow.remove'], async ({ caller, args }) => {
      const removed = await allowList.remove(args.id);
      if (!removed) throw new RaypherError('ERR_PROXY_ALLOW_INVALID', `no allow-list entry with id ${args.id}; 'raypherctl allow list' shows them`);
      await ledger.append('allow.removed', { id: removed.id, exe_path: removed.exe_path, caller });
      return toInfo(removed);
    });

    ctx.handle(ProxyOps['panic.engage'], ({ caller, args }) => panic.engage(args.reason, by(caller)));
    ctx.handle(ProxyOps['panic.release'], ({ caller }) => panic.release(by(caller)));
    ctx.handle(ProxyOps['panic.status'], () => panic.status());

    return {
      async stop() {
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
        await identifierThread.close();
        await upstreams.close();
        vault.close();
        await audit.flush();
        await db.close();
      },
      onConfig(next) {
        config = next.proxy;
        providers = providersFrom(config);
      },
      health: () => ({
        proxy: {
          requests_served: stats.served,
          requests_blocked: stats.blocked,
          avg_latency_ms: stats.served ? Math.round((stats.latencyMsTotal / stats.served) * 1000) / 1000 : null,
          allow_list_entries: allowList.list().length,
          panic: panic.engaged,
        },
      }),
    };
  },
};

function resolveExisting(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    throw new RaypherError('ERR_PROXY_ALLOW_INVALID', `script ${path} does not exist`);
  }
}

function toInfo(e: AllowEntry): AllowEntryInfo {
  return {
    id: e.id,
    exePath: e.exe_path,
    exeHash: e.exe_hash,
    name: e.friendly_name,
    uid: e.uid,
    scriptPath: e.script_path,
    scriptHash: e.script_hash,
    anyScript: e.any_script === 1,
    inlineCode: e.inline_code === 1,
    rateLimit: e.rate_limit,
    addedAt: e.added_at,
    addedBy: e.added_by,
  };
}
