import type { BackplaneStatus } from '@agentwirejs/protocols';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { BackplaneUnavailableError } from './errors';
import type { AppCluster, ResolvedRedisOptions } from './options';

/**
 * Opens one ioredis connection with the settings every component here relies on: commands
 * wait while Redis is unreachable and go out in order on reconnect (maxRetriesPerRequest
 * null, the offline queue), commands unanswered when the connection dropped are sent again
 * (the append script is idempotent for that), and connection errors are reported, never
 * thrown or left as an unhandled 'error' event. The name shows in CLIENT LIST.
 */
export function createRedisClient(options: ResolvedRedisOptions, role: string, autoResubscribe: boolean, shardedSubscriber = false): Redis {
  const settings: RedisOptions = {
    connectionName: `agentwire-${role}-${options.processId}`,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    autoResubscribe,
    retryStrategy: (attempt) => options.reconnectDelay(attempt),
    // How long a dropped connection's socket may take to close before it is destroyed.
    disconnectTimeout: options.closeTimeoutMs,
    // connects now, whatever the app's client does
    lazyConnect: false,
  };
  // An app's client may carry settings that would break what this package relies on: its key
  // prefix (ioredis prefixes KEYS[] but not the names the scripts build; the prefix here is
  // keyPrefix, AGENTWIRE_REDIS_KEY_PREFIX) and a command timeout (commands wait out an outage).
  const overApp: RedisOptions = { ...settings, keyPrefix: '', commandTimeout: undefined };
  const { connectTo } = options;
  const client = 'url' in connectTo ? new Redis(connectTo.url, settings) : 'client' in connectTo ? connectTo.client.duplicate(overApp) : duplicateCluster(connectTo.cluster, settings, shardedSubscriber);
  client.on('error', (error: unknown) => options.onError(error, `redis ${role} connection`));
  return client;
}

/**
 * A connection to the app's Redis Cluster with the same guarantees: the app's nodes and options
 * (password, TLS) with this package's laid over them, commands queued while the cluster is
 * unreachable, reads and writes on primaries only (a replica may lag behind an append). ioredis's
 * Cluster offers the commands used here (scripts and pipelines are routed by their keys, which
 * all share the prefix's hash slot), so it is used as a Redis.
 */
function duplicateCluster(cluster: AppCluster, settings: RedisOptions, shardedSubscriber: boolean): Redis {
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...nodeSettings } = settings;
  const overApp: ClusterOptions = {
    keyPrefix: '',
    enableOfflineQueue,
    lazyConnect,
    scaleReads: 'master',
    // SSUBSCRIBE on connections of their own, one per shard (see the control bus)
    shardedSubscribers: shardedSubscriber,
    clusterRetryStrategy: (attempt) => retryStrategy?.(attempt) ?? null,
    redisOptions: { ...cluster.options.redisOptions, ...nodeSettings, keyPrefix: '', commandTimeout: undefined },
  };
  return new Cluster([...cluster.startupNodes], { ...cluster.options, ...overApp }) as unknown as Redis;
}

/**
 * The status of a group of connections: ready when all are, degraded while any is not,
 * closed after close(). Reports changes and counts reconnects.
 */
export class ConnectionStatus {
  reconnects = 0;
  private current: BackplaneStatus = 'degraded';

  constructor(
    private readonly clients: readonly Redis[],
    private readonly onChange: (status: BackplaneStatus) => void,
  ) {
    const update = (): void => this.update();
    for (const client of clients) {
      client.on('ready', update);
      client.on('close', update);
      client.on('end', update);
      client.on('reconnecting', () => {
        this.reconnects += 1;
        update();
      });
    }
    this.update();
  }

  get status(): BackplaneStatus {
    return this.current;
  }

  /** Resolves once every connection is ready; rejects with BackplaneUnavailableError after timeoutMs. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const ready = Promise.all(
      this.clients.map((client) =>
        client.status === 'ready' ? undefined : new Promise<void>((resolve) => client.once('ready', () => resolve())),
      ),
    );
    await withTimeout(ready, timeoutMs, 'connecting');
  }

  /** Marks the group closed (status 'closed' from now on). */
  markClosed(): void {
    this.set('closed');
  }

  private update(): void {
    if (this.current === 'closed') return;
    this.set(this.clients.every((client) => client.status === 'ready') ? 'ready' : 'degraded');
  }

  private set(status: BackplaneStatus): void {
    if (status === this.current) return;
    this.current = status;
    this.onChange(status);
  }
}

/** Rejects with BackplaneUnavailableError when `promise` takes longer than timeoutMs. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BackplaneUnavailableError(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Quits each connection (QUIT goes after the commands already sent); drops it after timeoutMs or when it is not connected. */
export async function closeClients(clients: readonly Redis[], timeoutMs: number): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      if (client.status !== 'ready') {
        client.disconnect();
        return;
      }
      try {
        await withTimeout(client.quit(), timeoutMs, 'quit');
      } catch {
        client.disconnect();
      }
    }),
  );
}

/** Runs `task` every `intervalMs` (unref'd, so it never keeps the process alive); 0 = never. Returns the stopper. */
export function every(intervalMs: number, task: () => void): () => void {
  if (intervalMs <= 0) return () => undefined;
  const timer = setInterval(task, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
