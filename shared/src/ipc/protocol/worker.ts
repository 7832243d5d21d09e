// supervisor <-> worker (the child's IPC channel): what each worker is handed at start, stop, metrics and the worker's events.
import { validateSection, type Config, type SectionName } from '../../config/index.js';
import type { RaypherPaths } from '../../paths/index.js';
import { defineEvents, defineMethods, type EventDef, type MethodDef } from '../define.js';
import { bool, empty, int, isPlainObject, literal, object, record, str, unknownValue, SchemaError, type Infer, type Schema } from '../schema.js';
import { wireErrorSchema } from './envelopes.js';
import { workerName, type WorkerName } from './common.js';

/** Paths a worker can be handed: files and directories it opens itself. */
type WorkerPathName = 'logDir' | 'dataDir' | 'runDir' | 'db' | 'vaultDb' | 'hostKey' | 'tpmDir' | 'vaultSocket' | 'configFile';

interface Grant {
  /** Config sections the worker reads, besides [logging] (every worker's runtime reads it). */
  readonly sections: readonly SectionName[];
  /** Paths the worker opens, besides logDir (every worker logs). */
  readonly paths: readonly WorkerPathName[];
  /** The per-boot secret of the vault socket. */
  readonly vaultToken: boolean;
  /**
   * The proxy's listening sockets, passed as OS handles with `listener` events right after hello. A worker holding them is
   * swapped green beside blue on the same sockets, then the blue one is drained (SupervisorToWorker.drain).
   */
  readonly listeners: boolean;
  /** Events the worker may send besides ready, heartbeat and fatal; the supervisor listens for exactly these from it. */
  readonly events: readonly GrantedEventName[];
}

/** What each worker is handed at start: the one table the supervisor hands out by and each worker's init is checked against. */
export const WORKER_GRANTS = {
  vault: { sections: ['vault', 'audit'], paths: ['dataDir', 'db', 'vaultDb', 'hostKey', 'tpmDir', 'vaultSocket'], vaultToken: true, listeners: false, events: [] },
  proxy: { sections: ['proxy'], paths: ['runDir', 'db', 'vaultSocket'], vaultToken: true, listeners: true, events: [] },
  scanner: { sections: ['watchtower', 'proxy'], paths: ['db', 'vaultDb'], vaultToken: false, listeners: false, events: [] },
  updater: { sections: ['updater'], paths: ['dataDir', 'runDir', 'db', 'configFile'], vaultToken: false, listeners: false, events: ['bundleStaged'] },
} as const satisfies { readonly [W in WorkerName]: Grant };

type GrantOf<W extends WorkerName> = (typeof WORKER_GRANTS)[W];

/** A worker's sections of the running config, with the config's own types. */
export type WorkerConfig<W extends WorkerName> = { readonly logging: Config['logging'] } & { readonly [S in GrantOf<W>['sections'][number]]: Config[S] };
export type WorkerPaths<W extends WorkerName> = { readonly logDir: string } & { readonly [P in GrantOf<W>['paths'][number]]: string };
type Handed<W extends WorkerName> = GrantOf<W>['vaultToken'] extends true ? { readonly vaultToken: string } : unknown;

/** The reply to a worker's hello: everything it is handed at start. */
export type WorkerInit<W extends WorkerName> = {
  readonly worker: W;
  readonly heartbeatIntervalMs: number;
  readonly config: WorkerConfig<W>;
  readonly paths: WorkerPaths<W>;
} & Handed<W>;

const RUNTIME_SECTIONS = ['logging'] as const;
const RUNTIME_PATHS = ['logDir'] as const;
/** 32 random bytes, hex. */
const vaultTokenSchema = str({ max: 64, pattern: /^[0-9a-f]{64}$/ });

function sectionsOf(name: WorkerName): readonly SectionName[] {
  return [...RUNTIME_SECTIONS, ...WORKER_GRANTS[name].sections];
}

function pathsOf(name: WorkerName): readonly WorkerPathName[] {
  return [...RUNTIME_PATHS, ...WORKER_GRANTS[name].paths];
}

/** Exactly the worker's sections, each validated by the config's own rules (config.validateSection). */
function workerConfigSchema<W extends WorkerName>(name: W): Schema<WorkerConfig<W>> {
  const sections = sectionsOf(name);
  return {
    describe: `config sections ${sections.join(', ')}`,
    parse(value, path = '') {
      if (!isPlainObject(value)) throw new SchemaError(path, 'an object of config sections');
      for (const key of Object.keys(value)) {
        if (!sections.includes(key as SectionName)) throw new SchemaError(`${path}.${key}`, `none of the ${name} worker's sections (${sections.join(', ')})`);
      }
      const out: Partial<Record<SectionName, unknown>> = {};
      for (const section of sections) {
        if (!Object.hasOwn(value, section)) throw new SchemaError(`${path}.${section}`, 'the config section');
        out[section] = validateSection(section, value[section], 'supervisor');
      }
      // Built from the same grant WorkerConfig<W> reads: exactly its sections, each validated.
      return Object.freeze(out) as WorkerConfig<W>;
    },
  };
}

function workerPathsSchema<W extends WorkerName>(name: W): Schema<WorkerPaths<W>> {
  const shape = object(Object.fromEntries(pathsOf(name).map((p) => [p, str({ max: 4096 })])));
  // The shape has exactly the grant's paths, each a string.
  return shape as Schema<unknown> as Schema<WorkerPaths<W>>;
}

function workerInitSchema<W extends WorkerName>(name: W): Schema<WorkerInit<W>> {
  const shape = object({
    worker: literal(name),
    heartbeatIntervalMs: int({ min: 10 }),
    config: workerConfigSchema(name),
    paths: workerPathsSchema(name),
    ...(WORKER_GRANTS[name].vaultToken ? { vaultToken: vaultTokenSchema } : {}),
  });
  // The vault token is required exactly when the grant says so, as Handed<W> does.
  return shape as Schema<unknown> as Schema<WorkerInit<W>>;
}

/** What the supervisor knows; a worker's init takes only what its grant names. */
export interface HandoutSources {
  readonly config: Config;
  readonly paths: RaypherPaths;
  readonly vaultToken: string;
}

export function workerConfigFor<W extends WorkerName>(name: W, config: Config): WorkerConfig<W> {
  // Picks exactly the sections WorkerConfig<W> names.
  return Object.freeze(Object.fromEntries(sectionsOf(name).map((s) => [s, config[s]]))) as WorkerConfig<W>;
}

export function workerInitFor<W extends WorkerName>(name: W, { config, paths, vaultToken }: HandoutSources): WorkerInit<W> {
  const init = {
    worker: name,
    heartbeatIntervalMs: config.supervisor.heartbeat_interval_ms,
    config: workerConfigFor(name, config),
    paths: Object.fromEntries(pathsOf(name).map((p) => [p, paths[p]])),
    ...(WORKER_GRANTS[name].vaultToken ? { vaultToken } : {}),
  };
  // Picks exactly what WorkerInit<W> names, by the same grant.
  return init as unknown as WorkerInit<W>;
}

const helloParams = object({ protocolVersion: int({ min: 0 }), worker: workerName, pid: int() });
export type HelloParams = Infer<typeof helloParams>;

/** The part of the channel whose types depend on the worker. */
export interface WorkerChannel<W extends WorkerName> {
  /** Worker → supervisor, first request: the reply is the worker's init. */
  readonly hello: MethodDef<HelloParams, WorkerInit<W>>;
  /** Supervisor → worker after a reload: the worker's sections of the new running config. */
  readonly configChanged: EventDef<WorkerConfig<W>>;
}

function channelOf<W extends WorkerName>(name: W): WorkerChannel<W> {
  return Object.freeze({
    hello: Object.freeze({ name: 'hello', access: 'read', params: helloParams, result: workerInitSchema(name) }),
    configChanged: Object.freeze({ name: 'configChanged', payload: workerConfigSchema(name) }),
  });
}

export const WORKER_CHANNELS: { readonly [W in WorkerName]: WorkerChannel<W> } = Object.freeze({
  vault: channelOf('vault'),
  proxy: channelOf('proxy'),
  scanner: channelOf('scanner'),
  updater: channelOf('updater'),
});

export const metricsSnapshot = object({ text: str({ max: 512 * 1024 }), health: record(unknownValue()) });
export type MetricsSnapshot = Infer<typeof metricsSnapshot>;

/** Requests the supervisor sends to a worker. */
export const SupervisorToWorker = defineMethods({
  stop: { access: 'admin', params: object({ reason: str({ max: 256 }) }), result: empty() },
  metrics: { access: 'read', params: empty(), result: metricsSnapshot },
  /**
   * Blue/green: the proxy stops accepting (a green proxy holds the same listening sockets), lets requests in flight and
   * open streams finish within maxMs, then closes what is left. Replies when no connection is left.
   */
  drain: { access: 'admin', params: object({ maxMs: int({ min: 0, max: 600_000 }) }), result: object({ closedEarly: int({ min: 0 }) }) },
});

const listenerInfo = object({ address: str({ max: 4096 }), port: int({ min: 0, max: 65535 }), family: literal('IPv4', 'IPv6', 'unix') });
export type ListenerInfo = Infer<typeof listenerInfo>;

export const WorkerEvents = defineEvents({
  ready: empty(),
  heartbeat: object({ seq: int({ min: 0 }) }),
  /** Sent by a worker just before it exits because it cannot run. */
  fatal: wireErrorSchema,
  /** Supervisor → a worker granted listeners: a bound listening socket travels with this event as the OS handle; for 'unix' the address is its path. */
  listener: listenerInfo,
  /** Updater → supervisor: a verified bundle is staged (blue/green activation takes it from here when auto_apply). */
  bundleStaged: object({ version: str({ max: 64 }), release_counter: int({ min: 1 }), dir: str({ max: 4096 }), auto_apply: bool() }),
});
export type BundleStaged = Infer<typeof WorkerEvents.bundleStaged.payload>;

/** Events of the channel itself: every worker's runtime sends ready, heartbeat and fatal; listener goes to the worker. */
type ChannelEventName = 'ready' | 'heartbeat' | 'fatal' | 'listener';
/** Events a worker sends only when its grant names them (Grant.events). */
export type GrantedEventName = Exclude<keyof typeof WorkerEvents, ChannelEventName>;
export type GrantedEventPayload<E extends GrantedEventName> = Infer<(typeof WorkerEvents)[E]['payload']>;
/** The supervisor's handler for each granted event, told which worker sent it; a new event does not compile until it has one. */
export type GrantedEventHandlers = { readonly [E in GrantedEventName]: (payload: GrantedEventPayload<E>, worker: WorkerName) => void };
