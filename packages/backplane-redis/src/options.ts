import type { Cluster, ClusterNode, ClusterOptions, Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppConfig } from '@agentwirejs/config';
import { REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';
import { InvalidRedisOptionError, RedisNotConfiguredError } from './errors';

/** Every default of this package, in one place. */
export const REDIS_DEFAULTS = {
  /** Prefix of every key and channel (AGENTWIRE_REDIS_KEY_PREFIX). */
  keyPrefix: 'agentwire:',
  /** Entries kept per user for replay (AGENTWIRE_REPLAY_MAX_EVENTS); 0 keeps none. */
  maxEvents: REPLAY_WINDOW_DEFAULTS.maxEvents,
  /** How long an entry is kept for replay (AGENTWIRE_REPLAY_MAX_AGE_MS); 0 keeps none. */
  maxAgeMs: REPLAY_WINDOW_DEFAULTS.maxAgeMs,
  /** A user's stream position (seq) is forgotten this long after their last append; 0 = never. At least maxAgeMs. */
  streamTtlMs: 86_400_000,
  /** A process that stopped refreshing its liveness is dead after this long (its users, rooms and runs age out). */
  livenessTtlMs: 10_000,
  /** How often liveness, online users, room memberships and owned runs are refreshed; below livenessTtlMs / 2. */
  heartbeatIntervalMs: 3_000,
  /** How often each subscribed user's stored position is compared with what was delivered (catches lost pub/sub messages); 0 = never. */
  positionCheckIntervalMs: 5_000,
  /** Reads (readStream, lastSeq, subscribeUser) fail with BackplaneUnavailableError after this long. */
  requestTimeoutMs: 5_000,
  /** connect() gives up after this long. */
  connectTimeoutMs: 10_000,
  /** close() waits this long for buffered appends and cleanup before it drops the connections. */
  closeTimeoutMs: 2_000,
  /** Appends waiting while Redis is unreachable before appends fail with BackplaneUnavailableError (while it answers, callers pace what waits). */
  maxBufferedAppends: 10_000,
  /** Appends of one user sent to Redis in one script call. */
  maxBatchSize: 256,
  /**
   * Bytes of appends out at Redis at once (sent, not yet answered), per stream kind (users, rooms);
   * at least one batch always goes. Redis publishes what a process appends to every subscriber
   * of those users, this process's own among them, and closes a subscriber that falls
   * client-output-buffer-limit pubsub behind (32 MiB by default). Node reads a socket at most
   * 2 MiB (32 reads of 64 KiB) per turn of its event loop: a process that sends no more than that
   * before an answer comes back does not make publications faster than it reads them. Without
   * the bound the benchmark's appending gateway had its subscriber closed in 6 of 9 runs, with it
   * in none of 6, and in a later series in 1 of 12, in a warm-up (see the bench README, issue 19,
   * 2026-12-07, and the README's Faults).
   */
  maxAppendBytesInFlight: 2_097_152,
  /** Live entries held per user while missed ones are read from history; beyond it, history is read again. */
  maxPendingPerUser: 1_000,
  /** Users whose last known seq this process remembers (keeps seq rising if Redis loses its data). */
  maxKnownUsers: 10_000,
  /** A run record lives this long after its owner's last heartbeat (records of runs nobody took over). */
  runRecordTtlMs: 600_000,
  /** How often watchOrphans looks for runs of dead processes. */
  orphanSweepIntervalMs: 2_500,
} as const;

/** Delay before reconnect attempt `attempt` (1, 2, …): 100 ms more per attempt, at most 2 s. */
export function defaultReconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 2_000);
}

/**
 * Options of RedisBackplane, RedisRunDirectory and RedisControlBus. Give all three of one
 * process the same object (or at least the same processId and keyPrefix). `url` or `client` is
 * required.
 */
export interface RedisBackplaneOptions {
  /** redis:// or rediss:// URL (AGENTWIRE_REDIS_URL); not needed with `client`. */
  readonly url?: string;
  /**
   * The app's own ioredis client: a single server, Sentinel (its `sentinels` option) or a Redis
   * Cluster (`new Cluster(nodes)`). Each component opens its own connections from it
   * (`client.duplicate()`; for a Cluster, this package's ioredis with the client's nodes and
   * options), so hosts, TLS, password and Sentinel settings carry over, with the retry and
   * queueing settings this package relies on laid over them (the client's keyPrefix and
   * commandTimeout are not applied: keys use `keyPrefix` here). The client itself is not used or
   * closed. On a Cluster every key shares one hash slot, so `keyPrefix` must hold a hash tag
   * (`{agentwire}:`, the default there): scripts and transactions span users and processes.
   */
  readonly client?: Redis | Cluster;
  /** Prefix of every key and channel (default REDIS_DEFAULTS.keyPrefix; on a Cluster the same inside a hash tag, `{agentwire}:`). */
  readonly keyPrefix?: string;
  /** This process's id in Redis (default: host name, pid and random bytes). Letters, digits and _ . - only. */
  readonly processId?: string;
  readonly maxEvents?: number;
  readonly maxAgeMs?: number;
  readonly streamTtlMs?: number;
  readonly livenessTtlMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly positionCheckIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly closeTimeoutMs?: number;
  readonly maxBufferedAppends?: number;
  readonly maxBatchSize?: number;
  readonly maxAppendBytesInFlight?: number;
  readonly maxPendingPerUser?: number;
  readonly maxKnownUsers?: number;
  readonly runRecordTtlMs?: number;
  readonly orphanSweepIntervalMs?: number;
  /** Delay before reconnect attempt n (default defaultReconnectDelay). */
  readonly reconnectDelay?: (attempt: number) => number;
  /** Clock in epoch ms for entry times and age limits (default Date.now). */
  readonly now?: () => number;
  /** Background failures (connection errors, failed refreshes); default: ignored, but counted in stats(). */
  readonly onError?: (error: unknown, context: string) => void;
  /** A stream listener threw; the other listeners still get the entry. If this throws too, onError gets that (context `onListenerError for <user>`). */
  readonly onListenerError?: (error: unknown, userId: string) => void;
  /** Called when status() changes (e.g. for /ready and metrics). */
  readonly onStatusChange?: (status: 'ready' | 'degraded' | 'closed') => void;
}

type NumberOption = Exclude<keyof typeof REDIS_DEFAULTS, 'keyPrefix'>;
type Numbers = Record<NumberOption, number>;

/** Options with every default applied and checked. */
export interface ResolvedRedisOptions extends Readonly<Numbers> {
  /** Where connections go: a URL, or the app's client to duplicate. */
  readonly connectTo: { readonly url: string } | { readonly client: Redis } | { readonly cluster: AppCluster };
  readonly keyPrefix: string;
  readonly processId: string;
  readonly reconnectDelay: (attempt: number) => number;
  readonly now: () => number;
  readonly onError: (error: unknown, context: string) => void;
  readonly onListenerError: (error: unknown, userId: string) => void;
  readonly onStatusChange: (status: 'ready' | 'degraded' | 'closed') => void;
}

const URL_PATTERN = /^rediss?:\/\/\S+$/;
const PREFIX_PATTERN = /^[A-Za-z0-9_.:{}-]{1,64}$/;
const PROCESS_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const noop = (): void => undefined;

/** The smallest value each number accepts. */
const MINIMUM: Readonly<Numbers> = {
  maxEvents: 0,
  maxAgeMs: 0,
  streamTtlMs: 0,
  livenessTtlMs: 100,
  heartbeatIntervalMs: 10,
  positionCheckIntervalMs: 0,
  requestTimeoutMs: 1,
  connectTimeoutMs: 1,
  closeTimeoutMs: 0,
  maxBufferedAppends: 1,
  maxBatchSize: 1,
  maxAppendBytesInFlight: 1,
  maxPendingPerUser: 1,
  maxKnownUsers: 0,
  runRecordTtlMs: 1_000,
  orphanSweepIntervalMs: 10,
};

/** What is taken from an app's Cluster client: its nodes and options (this package's own ioredis connects with them). */
export interface AppCluster {
  readonly startupNodes: readonly ClusterNode[];
  readonly options: ClusterOptions;
}

/**
 * The nodes and options of an app's ioredis Cluster. Connections are made with this package's
 * ioredis, not the app's `duplicate()`: the sharded subscribers the control bus needs exist
 * only from ioredis 5.6 (fixed on reconnect in 5.9), whatever the app installed.
 */
function clusterOf(cluster: Cluster): AppCluster {
  // ioredis keeps them as it was given them (its own duplicate() reads the same fields).
  const { startupNodes, options } = cluster as unknown as { startupNodes?: unknown; options?: unknown };
  if (!Array.isArray(startupNodes) || startupNodes.length === 0 || typeof options !== 'object' || options === null) {
    throw new InvalidRedisOptionError('client', 'expected an ioredis Cluster created with its startup nodes (new Cluster(nodes, options))');
  }
  return { startupNodes: startupNodes as ClusterNode[], options: options as ClusterOptions };
}

/**
 * The hash tag a key starting with `prefix` is placed by on a Redis Cluster (the text between
 * the prefix's first `{` and the next `}`, when not empty), or null when the prefix has none and
 * each key would be placed by its own name.
 */
export function hashTagOf(prefix: string): string | null {
  const open = prefix.indexOf('{');
  if (open < 0) return null;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : null;
}

/** A process id unique to this process start: host name, pid and random bytes. */
export function generateProcessId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`.replace(/^[^A-Za-z0-9]+/, '');
}

/** Applies the defaults and checks every option; throws InvalidRedisOptionError naming the first bad one. */
export function resolveRedisOptions(options: RedisBackplaneOptions): ResolvedRedisOptions {
  let connectTo: ResolvedRedisOptions['connectTo'];
  if (options.client !== undefined) {
    if (typeof (options.client as Partial<Redis> | null)?.duplicate !== 'function') throw new InvalidRedisOptionError('client', 'expected an ioredis client (new Redis(...) or new Cluster(...))');
    if (options.url !== undefined) throw new InvalidRedisOptionError('url', 'give url or client, not both');
    connectTo = options.client.isCluster ? { cluster: clusterOf(options.client as Cluster) } : { client: options.client as Redis };
  } else {
    if (typeof options.url !== 'string' || !URL_PATTERN.test(options.url)) throw new InvalidRedisOptionError('url', 'expected a redis:// or rediss:// URL (or pass client)');
    connectTo = { url: options.url };
  }
  const onCluster = 'cluster' in connectTo;
  const keyPrefix = options.keyPrefix ?? (onCluster ? `{${REDIS_DEFAULTS.keyPrefix.replace(/:$/, '')}}:` : REDIS_DEFAULTS.keyPrefix);
  if (!PREFIX_PATTERN.test(keyPrefix)) throw new InvalidRedisOptionError('keyPrefix', 'expected 1 to 64 of A-Z a-z 0-9 _ . : - { }');
  if (onCluster && hashTagOf(keyPrefix) === null) {
    throw new InvalidRedisOptionError('keyPrefix', `on a Redis Cluster every key must share one hash slot: the prefix needs a hash tag, e.g. {agentwire}: (got ${keyPrefix})`);
  }
  const processId = options.processId ?? generateProcessId();
  if (!PROCESS_ID_PATTERN.test(processId)) throw new InvalidRedisOptionError('processId', 'expected 1 to 100 of A-Z a-z 0-9 _ . - starting with a letter or digit');
  const numbers = {} as Numbers;
  for (const name of Object.keys(MINIMUM) as NumberOption[]) {
    const value = options[name] ?? REDIS_DEFAULTS[name];
    const min = MINIMUM[name];
    if (!Number.isSafeInteger(value) || value < min) throw new InvalidRedisOptionError(name, `expected a whole number ≥ ${min}, got ${String(value)}`);
    numbers[name] = value;
  }
  if (numbers.heartbeatIntervalMs * 2 > numbers.livenessTtlMs) throw new InvalidRedisOptionError('heartbeatIntervalMs', 'must be at most half of livenessTtlMs');
  if (numbers.streamTtlMs !== 0 && numbers.streamTtlMs < numbers.maxAgeMs) throw new InvalidRedisOptionError('streamTtlMs', 'must be 0 or at least maxAgeMs');
  if (numbers.runRecordTtlMs < 2 * numbers.livenessTtlMs) throw new InvalidRedisOptionError('runRecordTtlMs', 'must be at least twice livenessTtlMs');
  return {
    ...numbers,
    keyPrefix,
    connectTo,
    processId,
    reconnectDelay: options.reconnectDelay ?? defaultReconnectDelay,
    now: options.now ?? Date.now,
    onError: options.onError ?? noop,
    onListenerError: options.onListenerError ?? noop,
    onStatusChange: options.onStatusChange ?? noop,
  };
}

/**
 * Options from agentwire's settings: AGENTWIRE_REDIS_URL, AGENTWIRE_REDIS_KEY_PREFIX, the replay
 * limits, and process liveness from AGENTWIRE_RUN_DEAD_AFTER_MS (a dead process's runs are found
 * within it: liveness TTL half of it, orphan sweeps every quarter). Generates one processId, so
 * pass the result to the backplane, the run directory and the control bus alike. Throws
 * RedisNotConfiguredError when no Redis URL is set and no client is given in `overrides`.
 */
export function redisOptionsFromConfig(config: AppConfig, overrides: Partial<RedisBackplaneOptions> = {}): RedisBackplaneOptions {
  if (config.redisUrl === null && overrides.client === undefined) throw new RedisNotConfiguredError();
  const livenessTtlMs = Math.max(MINIMUM.livenessTtlMs, Math.floor(config.runs.deadAfterMs / 2));
  return {
    ...(overrides.client === undefined && config.redisUrl !== null ? { url: config.redisUrl } : {}),
    keyPrefix: config.redisKeyPrefix,
    processId: generateProcessId(),
    maxEvents: config.replay.maxEvents,
    maxAgeMs: config.replay.maxAgeMs,
    streamTtlMs: Math.max(REDIS_DEFAULTS.streamTtlMs, config.replay.maxAgeMs ?? REDIS_DEFAULTS.maxAgeMs),
    livenessTtlMs,
    heartbeatIntervalMs: Math.max(MINIMUM.heartbeatIntervalMs, Math.floor(livenessTtlMs / 4)),
    orphanSweepIntervalMs: Math.max(MINIMUM.orphanSweepIntervalMs, Math.floor(config.runs.deadAfterMs / 4)),
    runRecordTtlMs: Math.max(REDIS_DEFAULTS.runRecordTtlMs, config.runs.retentionMs ?? 0, 2 * livenessTtlMs),
    ...overrides,
  };
}
