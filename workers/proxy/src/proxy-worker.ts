// The proxy worker: serves the LLM proxy on the listening sockets the supervisor hands over.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { AuditLedger, openRaypherDb, usageReport } from '@raypher/shared/db';
import { serveOwnedMethods, SupervisorToWorker, type AllowEntryInfo, type IdentityPosture } from '@raypher/shared/ipc';
import type { WorkerModule } from '@raypher/shared/worker';
import { AllowList } from './allow-list.js';
import { allowHandlers } from './allow-ops.js';
import { loadPriceTable } from './accounting/price-file.js';
import { UsageBook } from './accounting/usage-book.js';
import { AuditBatcher } from './audit-batch.js';
import { CallerVerdicts } from './caller-verdicts.js';
import { ConnectionCap } from './connection-cap.js';
import { ConnectionDrain } from './drain.js';
import { createHandler } from './handler.js';
import { IdentityMethods } from './identity/protocol.js';
import { IdentityThread } from './identity/thread.js';
import { PanicSwitch } from './panic.js';
import { BodyBudget } from './accounting/request-body.js';
import { ModelRoutes } from './model-routes.js';
import { providersFrom } from './providers.js';
import { RateLimiter } from './rate-limit.js';
import { proxyMetrics } from './metrics.js';
import { PARSER_MAX_HEADERS } from './request-limits.js';
import { Upstreams } from './upstream.js';
import { VaultClient } from './vault-client.js';

/** Idle keep-alive connections close after this long, in ms (above the 60 s most SDK pools keep). */
const KEEP_ALIVE_MS = 65_000;
/** How often node checks connections against headers_timeout_ms / request_timeout_ms, in ms (node's default is 30 s). */
const TIMEOUT_CHECK_MS = 500;
/** Request line plus headers, in bytes: node's 16 KiB default; over it node answers 431 itself. */
const MAX_HEADER_BYTES = 16_384;

export const proxyWorker: WorkerModule<'proxy'> = {
  async start(ctx) {
    let config = ctx.config.proxy;
    let providers = providersFrom(config);
    let models = new ModelRoutes(config.model_routes, providers);
    // The identification thread (and its exec ledger) starts first, so it boots while the database opens: execs are
    // recorded from now on.
    const identity = new IdentityThread(join(ctx.paths.runDir, 'exec-ledger.jsonl'));
    identity.start();
    const db = await openRaypherDb(ctx.paths.db);
    const allowList = new AllowList(db);
    await allowList.load();
    let posture: IdentityPosture | null = null;
    const pushRules = async () => {
      await identity.call(IdentityMethods.entries, { entries: allowList.rules(), manifests: allowList.manifestEntries() });
      posture = await identity.call(IdentityMethods.posture, {});
    };
    const ledger = new AuditLedger(db, 'proxy');
    // The rules reach the thread while the audit journal is replayed; both are done before the proxy says ready.
    const [, audit] = await Promise.all([pushRules(), AuditBatcher.open(db, ledger, ctx.logger)]);
    const vault = new VaultClient(ctx.paths.vaultSocket, ctx.vaultToken);
    const stats = { served: 0, blocked: 0, latencyMsTotal: 0 };
    // Engaging panic drops every cached key and cuts the requests in flight.
    const panic = new PanicSwitch(db, ledger, () => {
      vault.invalidate(null);
      handler.abortInFlight();
    });
    await panic.load();
    if (panic.engaged) ctx.logger.warn('panic mode is engaged: every request gets 503', { ...panic.status() });
    // Pool settings are restart-only keys, so the pools are built once with them.
    const upstreams = new Upstreams(config.pool_idle_timeout_secs * 1000);
    const connections = new ConnectionCap();
    const metrics = proxyMetrics(ctx.metrics);
    // The price table is read once (price_file is a restart-only key): a bad file stops the proxy with the reason.
    const prices = loadPriceTable(config.price_file);
    const usage = new UsageBook(() => prices, metrics);
    usage.seed(await usageReport(db, 'day', UsageBook.midnight()));
    const verdicts = new CallerVerdicts(identity, () => config.identity_max_age_ms, metrics);
    const handler = createHandler({ config: () => config, providers: () => providers, models: () => models, verdicts, allowList, onCodeChanged: (id) => void markCodeChanged(id), panic, limiter: new RateLimiter(), vault, upstreams, audit, logger: ctx.logger, stats, metrics, connections, usage, bodies: new BodyBudget() });

    const servers: Server[] = [];
    const drain = new ConnectionDrain();
    // Timeouts are restart-only keys; node refuses a headers timeout longer than the request timeout.
    const requestTimeout = config.request_timeout_ms;
    const headersTimeout = Math.min(config.headers_timeout_ms, requestTimeout);
    ctx.onListener((info, handle) => {
      const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, headersTimeout), maxHeaderSize: MAX_HEADER_BYTES }, handler.handle);
      server.maxHeadersCount = PARSER_MAX_HEADERS;
      drain.watch(server);
      server.on('connection', handler.onConnection);
      server.on('upgrade', handler.onTunnel);
      server.on('connect', handler.onTunnel);
      server.listen(handle as Parameters<Server['listen']>[0], () => ctx.logger.info('proxy listening', { ...info }));
      servers.push(server);
    });

    // Blue/green: the supervisor drains this (blue) proxy once a green one serves the same sockets.
    ctx.handle(SupervisorToWorker.drain, async ({ maxMs }) => {
      const { closedEarly, cutInFlight, cutIdle } = await drain.drain(maxMs);
      if (closedEarly > 0) ctx.logger.warn('drain time ran out: connections cut', { maxMs, cutInFlight, cutIdle });
      return { closedEarly };
    });

    const by = (caller: { uid: number; pid: number } | null) => (caller ? `uid ${caller.uid} pid ${caller.pid}` : 'unknown');
    const markCodeChanged = async (id: number) => {
      if (await allowList.markCodeChanged(id)) {
        ctx.logger.warn('pinned code of an allow-list entry changed: denied until raypherctl allow refresh', { entry: id });
        await pushRules();
      }
    };
    serveOwnedMethods(ctx, 'proxy', {
      ...allowHandlers({ allowList, identity, ledger, by, pushRules }),
      'identity.posture': async () => (posture = await identity.call(IdentityMethods.posture, {})),
      'panic.engage': ({ caller, args }) => panic.engage(args.reason, by(caller)),
      'panic.release': ({ caller }) => panic.release(by(caller)),
      'panic.status': () => panic.status(),
      'usage.report': async ({ args }) => {
        const since = new Date(Date.now() - args.sinceSecs * 1000).toISOString();
        return { since, lines: await usageReport(db, args.by, since), pricesAsOf: prices.asOf ?? 'none (empty table)' };
      },
    });

    // /health is answered synchronously: the last posture, refreshed in the background on each ask.
    const healthPosture = () => {
      void identity.call(IdentityMethods.posture, {}).then((p) => (posture = p), () => undefined);
      return posture;
    };

    return {
      async stop() {
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
        await identity.close();
        await upstreams.close();
        vault.close();
        connections.close();
        await audit.flush();
        await db.close();
      },
      onConfig(next) {
        config = next.proxy;
        providers = providersFrom(config);
        models = new ModelRoutes(config.model_routes, providers);
      },
      health: () => ({
        proxy: {
          requests_served: stats.served,
          requests_blocked: stats.blocked,
          avg_latency_ms: stats.served ? Math.round((stats.latencyMsTotal / stats.served) * 1000) / 1000 : null,
          allow_list_entries: allowList.list().length,
          panic: panic.engaged,
          usage_today: usage.today(),
        },
        identity: healthPosture(),
      }),
    };
  },
};

