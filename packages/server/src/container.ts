import 'reflect-metadata';
import { RedisBackplane, type RedisBackplaneOptions, RedisControlBus, RedisRunDirectory, redisOptionsFromConfig } from '@agentwirejs/backplane-redis';
import type { AppConfig } from '@agentwirejs/config';
import { EXECUTION_TRACKER_REGISTRY, type ExecutionTrackerRegistry, getExecutionTracker, registerExecutionTracker, trackerOptionsFromConfig } from '@agentwirejs/execution-tracker';
import { InMemoryBackplane, WebSocketManagerFactory, managerOptionsFromConfig, registerWebSocketManagerFactory } from '@agentwirejs/manager';
import { type Backplane, chooseWireProtocol, validateCustomEventValue } from '@agentwirejs/protocols';
import { type ConnectionId, UserExecutionContext } from '@agentwirejs/types';
import { type DependencyContainer, type InjectionToken, instanceCachingFactory, container as rootContainer } from 'tsyringe';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AgentCatalog, type CatalogEntry, withRemoteAgents } from './agents/catalog';
import { ExternalRunFeeds } from './agents/external-run';
import { remoteAgentEndpoints } from './agents/remote-agent';
import { type Authentication, TokenService, checkedAuthentication, jwtAuthentication } from './auth';
import { type AppProtocol, type GatewayMessageRouter, createGatewayRouter } from './handlers';
import { type ServerHttpHandler, createServerHttpHandler } from './http-routes';
import { DEFAULT_API_RATE_LIMIT, type ServerApiOptions } from './api/options';
import { createServerApi } from './api/server-api';
import { createLogger } from './logger';
import { GatewayMetrics } from './metrics';
import { type GatewayPeers, NoPeers, RedisPeers } from './peers';
import { LocalRunCoordination, RedisRunCoordination, type RunCoordination } from './run-coordination';
import { runEndedSummary, runSettledHandler } from './start-run';

export type GatewayPhase = 'starting' | 'ready' | 'draining' | 'stopped';

/** Where the gateway is in its life: /ready and the upgrade handler read it. */
export class GatewayLifecycle {
  phase: GatewayPhase = 'starting';

  constructor(private readonly backplane: Backplane) {}

  /** Why the gateway is not ready, or null when it is. */
  notReadyReason(): string | null {
    if (this.phase !== 'ready') return this.phase;
    const backplane = this.backplane.status();
    return backplane === 'ready' ? null : `backplane ${backplane}`;
  }
}

export interface GatewayRouter {
  readonly router: GatewayMessageRouter;
  forget(connectionId: ConnectionId): void;
}

/** The Redis parts of a scaled-out gateway: they share one process id. */
export interface RedisParts {
  readonly backplane: RedisBackplane;
  readonly runs: RedisRunDirectory;
  readonly control: RedisControlBus;
}

/** Container tokens of the gateway's parts (the packages register their own: WebSocketManagerFactory, the tracker registry). */
export const GatewayTokens = {
  Config: Symbol('agentwire.gateway.Config') as InjectionToken<AppConfig>,
  Logger: Symbol('agentwire.gateway.Logger') as InjectionToken<Logger>,
  Clock: Symbol('agentwire.gateway.Clock') as InjectionToken<() => number>,
  Backplane: Symbol('agentwire.gateway.Backplane') as InjectionToken<Backplane>,
  /** The Redis parts when AGENTWIRE_REDIS_URL is set, else null. */
  Redis: Symbol('agentwire.gateway.Redis') as InjectionToken<RedisParts | null>,
  RunCoordination: Symbol('agentwire.gateway.RunCoordination') as InjectionToken<RunCoordination>,
  /** The other gateway processes the server API asks for their part of a call (none without Redis). */
  Peers: Symbol('agentwire.gateway.Peers') as InjectionToken<GatewayPeers>,
  /** The external runs (events sent through the server API) this process holds. */
  ExternalRuns: Symbol('agentwire.gateway.ExternalRuns') as InjectionToken<ExternalRunFeeds>,
  Lifecycle: Symbol('agentwire.gateway.Lifecycle') as InjectionToken<GatewayLifecycle>,
  Agents: Symbol('agentwire.gateway.Agents') as InjectionToken<AgentCatalog>,
  /** The JWT service when the server authenticates with JWTs (no authenticate option), else null. */
  Tokens: Symbol('agentwire.gateway.Tokens') as InjectionToken<TokenService | null>,
  Authentication: Symbol('agentwire.gateway.Authentication') as InjectionToken<Authentication>,
  Metrics: Symbol('agentwire.gateway.Metrics') as InjectionToken<GatewayMetrics>,
  Router: Symbol('agentwire.gateway.Router') as InjectionToken<GatewayRouter>,
  WebSocketServer: Symbol('agentwire.gateway.WebSocketServer') as InjectionToken<WebSocketServer>,
  /** The server's HTTP routes (health, readiness, metrics, dev tokens, the server API). */
  HttpRoutes: Symbol('agentwire.gateway.HttpRoutes') as InjectionToken<ServerHttpHandler>,
  /** The server API's request handler (api/server-api.ts); it answers 404 for /api/ while AGENTWIRE_API_KEYS is unset. */
  ServerApi: Symbol('agentwire.gateway.ServerApi') as InjectionToken<ReturnType<typeof createServerApi>>,
} as const;

/** The agent a user_message starts when the app names none (the gateway's demo agent). */
export const DEFAULT_USER_MESSAGE_AGENT = 'demo';

/**
 * Events of one run at the manager at once (the tracker's maxEventsInFlight), in batches
 * (emitAgentEvents): over Redis they share round trips, where one event at a time took one each.
 * A user's batch over Redis holds what gathered while the one before was out, which this bounds:
 * 128 made the Redis benchmark's gateways write 42% and 45% less often and its ratio by CPU of
 * every process rose from 0.54× to 0.585×, but one fast run's gateway over Redis then peaked at
 * 183–196 MB of RSS against 154–155 with 32 (the gateway's pacing spec allows twice the in-memory
 * run's 111–113), so it was not kept (see the bench README, issue 19, 2026-12-07).
 */
export const RUN_EVENTS_IN_FLIGHT = 32;

/**
 * Batches of one run at the manager at once (the tracker's maxBatchesInFlight): the manager
 * sequences its calls in call order, so a run's events are handed over at the end of the turn
 * that reported them, while its earlier batches are still out, rather than waiting in the
 * tracker's queue for them. Over Redis they then wait as envelope bytes in the append buffer, not
 * as events on the heap through young collections: the producing gateway spent less CPU per event
 * (see the bench README, issue 19, 2026-12-07). As many as events in flight: a batch holds at least one.
 */
export const RUN_BATCHES_IN_FLIGHT = RUN_EVENTS_IN_FLIGHT;

/**
 * Events of one run waiting in the tracker behind those in flight at which its agent's reporter
 * calls start to wait (the tracker's eventHighWater, 64 on its own). Since a run's events go to the
 * manager as they are reported (RUN_BATCHES_IN_FLIGHT), what waits here is only what came while 32
 * were out: it bounds what a run has outstanding (40), not the size of a batch over Redis, which
 * holds what a user's appends gathered while the one before was out (the backplane's append buffer).
 */
export const RUN_EVENT_HIGH_WATER = 8;

/** What createAgentwireServer takes (README of @agentwirejs/server: every option, its default). */
export interface AgentwireServerOptions {
  /** Settings: `loadConfig(process.env)` of @agentwirejs/config (limits, replay, Redis URL, …). */
  readonly config: AppConfig;
  /**
   * Who an upgrade request is (Authentication.authenticate). Default: JWTs signed with
   * config.jwtSecret (HS256, `sub` = user id), from `Authorization: Bearer` or the
   * `bearer.<token>` subprotocol.
   */
  readonly authenticate?: Authentication['authenticate'];
  /** Checks a token sent over an open connection (refresh_token). Default: the JWT check when `authenticate` is not given, else none (refreshes refused). */
  readonly verifyToken?: Authentication['verifyToken'];
  /** The agents clients may start, by their runner's name; the remote agents of config.remoteAgents are added. Default: none. */
  readonly agents?: readonly CatalogEntry[];
  /**
   * Serve POST /dev/token, which issues a token for any user name it is given: for a development
   * gateway's demo page only. Also needs the default JWT authentication and development mode
   * (config.devTokenEndpoint). Default false: an app that mounts the server never exposes it by
   * leaving AGENTWIRE_ENV unset.
   */
  readonly devTokenEndpoint?: boolean;
  /** The agent a `user_message {text}` starts (with the text as its input). Default DEFAULT_USER_MESSAGE_AGENT, `demo`. */
  readonly userMessageAgent?: string;
  /** The backplane: default the Redis one when `redis` or config.redisUrl is given, else in memory (one process). */
  readonly backplane?: Backplane;
  /** The app's ioredis client to share Redis settings with (duplicated per component; see RedisBackplaneOptions.client). */
  readonly redis?: RedisBackplaneOptions['client'];
  /** A pino logger. Default: JSON logs on stdout at config.logLevel. */
  readonly logger?: Logger;
  /** A prom-client registry the server's metrics join. Default: a registry of its own, with the process's default metrics. */
  readonly metricsRegistry?: Registry;
  readonly tokenClockToleranceSeconds?: number;
  readonly now?: () => number;
  /** The app's own client message types (with their handlers) and CUSTOM event types. */
  readonly app?: AppProtocol;
  /** Tuning of the server API (its rate limit per key). */
  readonly serverApi?: ServerApiOptions;
}

function singleton<T>(build: (resolver: DependencyContainer) => T): { useFactory: (resolver: DependencyContainer) => T } {
  return { useFactory: instanceCachingFactory(build) };
}

/**
 * One child container per gateway with every part registered in it: config, logger, clock,
 * backplane, WebSocket manager factory, execution tracker, agents, token service, metrics,
 * router, WebSocket server and HTTP server. Nothing is a module-level singleton, so two
 * gateways in one process share nothing.
 */
export function buildGatewayContainer(options: AgentwireServerOptions): DependencyContainer {
  const { config } = options;
  const container = rootContainer.createChildContainer();
  const logger = options.logger ?? createLogger(config.logLevel);
  container.register(GatewayTokens.Config, { useValue: config });
  container.register(GatewayTokens.Logger, { useValue: logger });
  container.register(GatewayTokens.Clock, { useValue: options.now ?? Date.now });
  container.register(
    GatewayTokens.Redis,
    singleton(() => {
      if ((config.redisUrl === null && options.redis === undefined) || options.backplane !== undefined) return null;
      const redisOptions = {
        ...redisOptionsFromConfig(config, options.redis === undefined ? {} : { client: options.redis }),
        onError: (error: unknown, context: string) => logger.warn({ err: error, context }, 'redis backplane failure'),
      };
      return { backplane: new RedisBackplane(redisOptions), runs: new RedisRunDirectory(redisOptions), control: new RedisControlBus(redisOptions) };
    }),
  );
  container.register(
    GatewayTokens.Backplane,
    singleton(
      (r) =>
        options.backplane ??
        r.resolve(GatewayTokens.Redis)?.backplane ??
        new InMemoryBackplane({ maxEvents: config.replay.maxEvents, maxAgeMs: config.replay.maxAgeMs }),
    ),
  );
  container.register(
    GatewayTokens.RunCoordination,
    singleton((r) => {
      const redis = r.resolve(GatewayTokens.Redis);
      return redis === null ? new LocalRunCoordination() : new RedisRunCoordination(redis.runs, redis.control, logger);
    }),
  );
  container.register(
    GatewayTokens.Peers,
    singleton((r) => {
      const redis = r.resolve(GatewayTokens.Redis);
      return redis === null ? new NoPeers() : new RedisPeers(redis.control, redis.runs);
    }),
  );
  container.register(GatewayTokens.ExternalRuns, singleton(() => new ExternalRunFeeds(logger)));
  registerWebSocketManagerFactory(container, {
    ...managerOptionsFromConfig(config),
    backplane: container.resolve(GatewayTokens.Backplane),
    onError: (error, context) => logger.warn({ err: error, context }, 'manager background failure'),
  });
  const appExtensions = options.app?.extensions;
  registerExecutionTracker(container, {
    ...trackerOptionsFromConfig(config),
    maxEventsInFlight: RUN_EVENTS_IN_FLIGHT,
    maxBatchesInFlight: RUN_BATCHES_IN_FLIGHT,
    eventHighWater: RUN_EVENT_HIGH_WATER,
    // An agent's CUSTOM events must be ones the app registered, with valid values.
    ...(appExtensions === undefined ? {} : { checkCustomEvent: (name: string, value: unknown) => validateCustomEventValue(appExtensions, name, value) }),
    sink: container.resolve(WebSocketManagerFactory).getUnifiedManager(),
    logger,
    now: container.resolve(GatewayTokens.Clock),
  });
  container.register(GatewayTokens.Lifecycle, singleton((r) => new GatewayLifecycle(r.resolve(GatewayTokens.Backplane))));
  container.register(
    GatewayTokens.Agents,
    singleton(() => {
      return new AgentCatalog(withRemoteAgents(options.agents ?? [], remoteAgentEndpoints(config.remoteAgents), logger));
    }),
  );
  container.register(
    GatewayTokens.Tokens,
    singleton((r) =>
      options.authenticate === undefined ? new TokenService({ secret: config.jwtSecret, clockToleranceSeconds: options.tokenClockToleranceSeconds ?? 30, now: r.resolve(GatewayTokens.Clock) }) : null,
    ),
  );
  container.register(
    GatewayTokens.Authentication,
    singleton((r) => {
      const tokens = r.resolve(GatewayTokens.Tokens);
      const jwt = tokens === null ? null : jwtAuthentication(tokens);
      const authenticate = options.authenticate ?? jwt?.authenticate;
      if (authenticate === undefined) throw new Error('unreachable: JWT authentication exists whenever no authenticate option is given');
      const verifyToken = options.verifyToken ?? jwt?.verifyToken;
      return checkedAuthentication({ authenticate, ...(verifyToken === undefined ? {} : { verifyToken }) }, r.resolve(GatewayTokens.Clock));
    }),
  );
  container.register(
    GatewayTokens.Metrics,
    singleton((r) => {
      const factory = r.resolve(WebSocketManagerFactory);
      const tracker: ExecutionTrackerRegistry = r.resolve(EXECUTION_TRACKER_REGISTRY);
      const unified = () => factory.getUnifiedManager().getStats();
      // The Redis backplane's counters, whether the server built it or the app passed one.
      const backplane = r.resolve(GatewayTokens.Backplane);
      return new GatewayMetrics(
        {
        ...(backplane instanceof RedisBackplane ? { backplaneStats: () => backplane.stats() } : {}),
        connections: () => unified().connections,
        users: () => unified().users,
        messagesOut: () => unified().messagesSent,
        sendQueueDepth: () => unified().queuedFrames,
        droppedEvents: () => unified().messagesDropped,
        managersActive: () => factory.getMetrics().managersActive,
        limitHits: () => factory.getMetrics().limitHitsTotal,
        isolationViolations: () => factory.getMetrics().isolationViolations,
        runsByState: () => {
          const { live, ended } = tracker.metrics();
          return { ...live, ...ended };
        },
        },
        options.metricsRegistry,
      );
    }),
  );
  container.register(
    GatewayTokens.Router,
    singleton((r) => {
      const metrics = r.resolve(GatewayTokens.Metrics);
      const runs = r.resolve(GatewayTokens.RunCoordination);
      return createGatewayRouter({
        catalog: r.resolve(GatewayTokens.Agents),
        ...(options.app === undefined ? {} : { app: options.app }),
        runs,
        verifyToken: r.resolve(GatewayTokens.Authentication).verifyToken,
        userMessageAgent: options.userMessageAgent ?? DEFAULT_USER_MESSAGE_AGENT,
        logger,
        maxInputChars: config.limits.maxInputChars,
        rateLimit: config.rateLimit,
        onRateLimited: () => metrics.rateLimitHits.inc(),
        onRunSettled: runSettledHandler(runs, (outcome) => {
          metrics.observeRunDuration(outcome.state, outcome.durationMs / 1000);
          // Asked first: the line's object is built for every run otherwise, logged or not.
          if (logger.isLevelEnabled('info')) logger.info({ event: 'run_ended', ...runEndedSummary(outcome) }, 'run ended');
        }),
      });
    }),
  );
  container.register(
    GatewayTokens.WebSocketServer,
    singleton(
      () =>
        new WebSocketServer({
          noServer: true,
          // The server keeps its open sockets itself (OpenSockets): ws's tracking would cost every connection a listener.
          clientTracking: false,
          maxPayload: config.maxPayloadBytes,
          perMessageDeflate: false,
          // The answer names our newest protocol the client offered, never the bearer.<token> entry.
          handleProtocols: (protocols) => chooseWireProtocol(protocols) ?? false,
        }),
    ),
  );
  container.register(
    GatewayTokens.ServerApi,
    singleton((r) => {
      const metrics = r.resolve(GatewayTokens.Metrics);
      const factory = r.resolve(WebSocketManagerFactory);
      const runs = r.resolve(GatewayTokens.RunCoordination);
      return createServerApi(
        { apiKeys: config.apiKeys, maxBodyBytes: config.maxPayloadBytes, rateLimit: options.serverApi?.rateLimit ?? DEFAULT_API_RATE_LIMIT },
        {
          manager: () => factory.getUnifiedManager(),
          tracker: (userId) => getExecutionTracker(new UserExecutionContext({ userId }), container),
          catalog: r.resolve(GatewayTokens.Agents),
          runs,
          peers: r.resolve(GatewayTokens.Peers),
          externalRuns: r.resolve(GatewayTokens.ExternalRuns),
          runRegistry: r.resolve(EXECUTION_TRACKER_REGISTRY),
          maxInputChars: config.limits.maxInputChars,
          maxEventBytes: config.maxPayloadBytes,
          logger,
          onRunSettled: runSettledHandler(runs, (outcome) => {
            metrics.observeRunDuration(outcome.state, outcome.durationMs / 1000);
            if (logger.isLevelEnabled('info')) logger.info({ event: 'run_ended', source: 'server_api', ...runEndedSummary(outcome) }, 'run ended');
          }),
        },
      );
    }),
  );
  container.register(
    GatewayTokens.HttpRoutes,
    singleton((r) => {
      const factory = r.resolve(WebSocketManagerFactory);
      const lifecycle = r.resolve(GatewayTokens.Lifecycle);
      const backplane = r.resolve(GatewayTokens.Backplane);
      const tokens = r.resolve(GatewayTokens.Tokens);
      return createServerHttpHandler({
        metrics: r.resolve(GatewayTokens.Metrics),
        // development tokens: asked for by the app, JWT authentication, development mode; all three
        devTokens: options.devTokenEndpoint === true && tokens !== null && config.devTokenEndpoint ? { tokens, ttlSeconds: config.tokenTtlSeconds } : null,
        startedAt: r.resolve(GatewayTokens.Clock)(),
        connections: () => factory.getUnifiedManager().getConnectionCount(),
        notReadyReason: () => lifecycle.notReadyReason(),
        backplaneStatus: () => backplane.status(),
        serverApi: r.resolve(GatewayTokens.ServerApi),
      });
    }),
  );
  return container;
}
