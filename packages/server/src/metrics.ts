import type { RedisBackplaneStats } from '@agentwirejs/backplane-redis';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Values the gateway reads from its parts when /metrics is scraped. */
export interface MetricsSources {
  connections(): number;
  users(): number;
  messagesOut(): number;
  sendQueueDepth(): number;
  droppedEvents(): number;
  runsByState(): Readonly<Record<string, number>>;
  managersActive(): number;
  limitHits(): number;
  isolationViolations(): number;
  /** The Redis backplane's counters, when the server runs on one (its metrics are registered only then). */
  readonly backplaneStats?: () => RedisBackplaneStats;
}

/**
 * A counter's collect() for a total its source keeps (since start, never falling): the counter
 * is set to it at each scrape, so it is exposed as a counter (`_total`), which rate() expects.
 */
function totalOf(read: () => number): (this: Counter) => void {
  return function collect(this: Counter) {
    this.reset();
    this.inc(read());
  };
}

/**
 * The Redis backplane's health, read from its stats() at each scrape. A gateway whose subscriber
 * connection falls behind is disconnected by Redis (client-output-buffer-limit pubsub): that
 * shows as a reconnect followed by recoveries, and what history no longer held as gap notices.
 */
function registerBackplaneMetrics(stats: () => RedisBackplaneStats, registers: Registry[]): void {
  const total = (name: string, help: string, read: (current: RedisBackplaneStats) => number): void => {
    new Counter({ name, help, registers, collect: totalOf(() => read(stats())) });
  };
  total('agentwire_backplane_reconnects_total', 'Times a Redis connection of the backplane started reconnecting', (current) => current.reconnects);
  total('agentwire_backplane_recoveries_total', "Times a user's missed entries were read from Redis's history (a seq jump, a reconnect, a lagging position)", (current) => current.recoveries);
  total('agentwire_backplane_gap_notices_total', 'replay_gap notices delivered for positions Redis no longer held', (current) => current.gapNotices);
  total('agentwire_backplane_stream_resets_total', 'Times a stored position was found below what had been delivered (Redis lost data)', (current) => current.streamResets);
  total('agentwire_backplane_position_lags_total', 'Recoveries started by the periodic position check (a publication that never arrived)', (current) => current.positionLags);
  total('agentwire_backplane_errors_total', 'Background failures of the backplane (each one logged)', (current) => current.errors);
  new Gauge({ name: 'agentwire_backplane_buffered_appends', help: 'Appends waiting for Redis or out at Redis', registers, collect() { this.set(stats().bufferedAppends); } });
  new Gauge({ name: 'agentwire_backplane_subscribed_users', help: "Users whose channel this process subscribes to (they have listeners here)", registers, collect() { this.set(stats().subscribedUsers); } });
}

/**
 * The server's Prometheus metrics: in the registry the app passes (its own /metrics then shows
 * them beside its other metrics, and collecting the process's default metrics is the app's
 * business), else in a registry of their own with the default metrics, never prom-client's
 * global one, so two servers in one process (tests) never share counters.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  readonly messagesIn: Counter<'type'>;
  readonly rateLimitHits: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly runDuration: Histogram<'outcome'>;
  readonly connectionsOpened: Counter;
  readonly connectionsRefused: Counter<'reason'>;
  readonly errorsSent: Counter<'code'>;

  /**
   * Client messages received, by type (a type the router knows, or 'refused'), counted here and
   * read into messagesIn when /metrics is scraped: a labelled inc() built its label set's key as
   * a string for every frame.
   */
  private readonly messagesInByType = new Map<string, number>();
  /** runDuration's child of each outcome, made at its first run: observing with labels made a function every time. */
  private readonly runDurationByOutcome = new Map<string, { observe(seconds: number): void }>();

  /** The names of the metrics this instance registered (removed from an app's registry by unregister). */
  private readonly own: readonly string[];

  constructor(sources: MetricsSources, registry?: Registry) {
    this.registry = registry ?? new Registry();
    const before = new Set(this.registry.getMetricsAsArray().map((metric) => metric.name));
    const registers = [this.registry];
    // prom-client's default names already start with process_ / nodejs_: the prefix only namespaces them.
    if (registry === undefined) collectDefaultMetrics({ register: this.registry, prefix: 'agentwire_' });
    const messagesInByType = this.messagesInByType;
    this.messagesIn = new Counter({
      name: 'agentwire_messages_in_total',
      help: 'Client messages received, by type (refused ones as "refused")',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, count] of messagesInByType) this.inc({ type }, count);
      },
    });
    this.rateLimitHits = new Counter({ name: 'agentwire_rate_limit_hits_total', help: 'Client messages refused by the rate limit', registers });
    this.authFailures = new Counter({ name: 'agentwire_auth_failures_total', help: 'Upgrades refused with 401, by reason', labelNames: ['reason'], registers });
    this.connectionsOpened = new Counter({ name: 'agentwire_connections_opened_total', help: 'WebSocket connections accepted', registers });
    this.connectionsRefused = new Counter({
      name: 'agentwire_connections_refused_total',
      help: 'Authenticated upgrades refused before the socket opened, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.errorsSent = new Counter({ name: 'agentwire_errors_sent_total', help: 'error messages sent to clients, by code', labelNames: ['code'], registers });
    this.runDuration = new Histogram({
      name: 'agentwire_run_duration_seconds',
      help: 'Agent run duration, by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Gauge({ name: 'agentwire_connections', help: 'Open WebSocket connections', registers, collect() { this.set(sources.connections()); } });
    new Gauge({ name: 'agentwire_users', help: 'Users with at least one open connection', registers, collect() { this.set(sources.users()); } });
    new Counter({ name: 'agentwire_messages_out_total', help: 'Envelopes written to sockets', registers, collect: totalOf(sources.messagesOut) });
    new Gauge({ name: 'agentwire_send_queue_depth', help: 'Envelopes queued behind slow sockets', registers, collect() { this.set(sources.sendQueueDepth()); } });
    new Counter({ name: 'agentwire_dropped_events_total', help: 'Stream frames folded into an earlier queued frame for slow consumers (deltas merged, snapshots superseded); no position is lost', registers, collect: totalOf(sources.droppedEvents) });
    new Gauge({ name: 'agentwire_managers_active', help: 'User-bound WebSocket managers alive', registers, collect() { this.set(sources.managersActive()); } });
    new Counter({ name: 'agentwire_limit_hits_total', help: 'Connections or managers refused by a limit in the manager', registers, collect: totalOf(sources.limitHits) });
    new Counter({ name: 'agentwire_isolation_violations_total', help: 'Attempts to reach another user through a user-bound manager', registers, collect: totalOf(sources.isolationViolations) });
    new Gauge({
      name: 'agentwire_runs',
      help: 'Agent runs by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(sources.runsByState())) this.set({ state }, count);
      },
    });
    const backplaneStats = sources.backplaneStats;
    if (backplaneStats !== undefined) registerBackplaneMetrics(backplaneStats, registers);
    this.own = this.registry.getMetricsAsArray().map((metric) => metric.name).filter((name) => !before.has(name));
  }

  /**
   * Removes this server's metrics from the registry (the server closed): an app's registry then
   * holds no collector of a closed server, and a new server can register the same names.
   */
  unregister(): void {
    for (const name of this.own) this.registry.removeSingleMetric(name);
  }

  /** Counts a client message of `type` in messagesIn. */
  countMessageIn(type: string): void {
    this.messagesInByType.set(type, (this.messagesInByType.get(type) ?? 0) + 1);
  }

  /** Counts a run that ended with `outcome` in runDuration. */
  observeRunDuration(outcome: string, seconds: number): void {
    let child = this.runDurationByOutcome.get(outcome);
    if (child === undefined) this.runDurationByOutcome.set(outcome, (child = this.runDuration.labels(outcome)));
    child.observe(seconds);
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
