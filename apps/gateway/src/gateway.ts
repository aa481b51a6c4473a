import 'reflect-metadata';
import { type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppConfig } from '@agentwire/config';
import { type ExecutionTrackerRegistry, registerExecutionTracker, trackerOptionsFromConfig } from '@agentwire/execution-tracker';
import { WebSocketManagerFactory, managerOptionsFromConfig, registerWebSocketManagerFactory } from '@agentwire/manager';
import { type Backplane, InMemoryBackplane, PROTOCOL_VERSION } from '@agentwire/protocols';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { AgentCatalog, type CatalogEntry, builtInAgents } from './agents/catalog';
import { AuthenticationError, type Identity, TokenService, presentedToken } from './auth';
import { createGatewayRouter } from './handlers';
import { createHttpHandler } from './http-routes';
import { createLogger } from './logger';
import { GatewayMetrics } from './metrics';
import { openSession } from './session';

/** Container tokens of the gateway's own parts (the packages register theirs). */
export const GATEWAY_CONFIG = Symbol('agentwire.gateway.config');
export const GATEWAY_LOGGER = Symbol('agentwire.gateway.logger');
export const GATEWAY_BACKPLANE = Symbol('agentwire.gateway.backplane');

export interface GatewayOptions {
  /** Where logs go (default: pino on stdout at config.logLevel). */
  readonly logger?: Logger;
  /** Replaces the built-in agents (demo, burst). */
  readonly agents?: readonly CatalogEntry[];
  /** Allowed clock skew for token exp, in seconds (default 30). */
  readonly tokenClockToleranceSeconds?: number;
  /** The backplane (default: in memory). */
  readonly backplane?: Backplane;
  /** Clock (epoch ms). */
  readonly now?: () => number;
}

type Phase = 'starting' | 'ready' | 'draining' | 'stopped';

function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * The agentwire gateway: HTTP (health, readiness, metrics, the browser page, dev tokens) and the
 * /ws endpoint, wired in one tsyringe child container per instance so nothing is shared between
 * two gateways in one process.
 */
export class Gateway {
  private phase: Phase = 'starting';
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly container: DependencyContainer,
    readonly config: AppConfig,
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly factory: WebSocketManagerFactory,
    private readonly tracker: ExecutionTrackerRegistry,
    private readonly backplane: Backplane,
    readonly metrics: GatewayMetrics,
    readonly logger: Logger,
  ) {}

  /** Builds the container, listens on config.host:config.port and resolves once ready. */
  static async start(config: AppConfig, options: GatewayOptions = {}): Promise<Gateway> {
    const now = options.now ?? Date.now;
    const logger = options.logger ?? createLogger(config.logLevel);
    const container = rootContainer.createChildContainer();
    const backplane = options.backplane ?? new InMemoryBackplane({ maxEvents: config.replay.maxEvents, maxAgeMs: config.replay.maxAgeMs });
    container.register(GATEWAY_CONFIG, { useValue: config });
    container.register(GATEWAY_LOGGER, { useValue: logger });
    container.register(GATEWAY_BACKPLANE, { useValue: backplane });
    registerWebSocketManagerFactory(container, {
      ...managerOptionsFromConfig(config),
      backplane,
      onError: (error, context) => logger.warn({ err: error, context }, 'manager background failure'),
    });
    const factory = container.resolve(WebSocketManagerFactory);
    const tracker = registerExecutionTracker(container, {
      ...trackerOptionsFromConfig(config),
      sink: factory.getUnifiedManager(),
      logger,
      now,
    });
    const catalog = new AgentCatalog(options.agents ?? builtInAgents(config.burst));
    const tokens = new TokenService({ secret: config.jwtSecret, clockToleranceSeconds: options.tokenClockToleranceSeconds ?? 30, now });
    const startedAt = now();
    let gateway: Gateway | null = null;
    const metrics = new GatewayMetrics({
      connections: () => factory.getUnifiedManager().getConnectionCount(),
      users: () => factory.getUnifiedManager().getStats().users,
      messagesOut: () => factory.getUnifiedManager().getStats().messagesSent,
      sendQueueDepth: () => factory.getUnifiedManager().getStats().queuedFrames,
      managersActive: () => factory.getMetrics().managersActive,
      limitHits: () => factory.getMetrics().limitHitsTotal,
      isolationViolations: () => factory.getMetrics().isolationViolations,
      droppedEvents: () => factory.getUnifiedManager().getStats().messagesDropped,
      runsByState: () => {
        const { live, ended } = tracker.metrics();
        return { ...live, ...ended };
      },
    });
    const { router, forget } = createGatewayRouter({
      catalog,
      logger,
      maxInputChars: config.limits.maxInputChars,
      rateLimit: config.rateLimit,
      onRateLimited: () => metrics.rateLimitHits.inc(),
      onRunEnded: (run) => {
        metrics.runDuration.observe({ outcome: run.outcome }, run.durationMs / 1000);
        logger.info({ event: 'run_ended', ...run }, 'run ended');
      },
    });
    const server = createServer(
      createHttpHandler({
        metrics,
        tokens,
        devTokenTtlSeconds: config.devTokenEndpoint ? config.tokenTtlSeconds : null,
        startedAt,
        connections: () => factory.getUnifiedManager().getConnectionCount(),
        notReadyReason: () => (gateway === null ? 'starting' : gateway.notReadyReason()),
        backplaneStatus: () => backplane.status(),
      }),
    );
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxPayloadBytes,
      perMessageDeflate: false,
      // The answer names agentwire.v1 only, never the bearer.<token> entry.
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_VERSION) ? PROTOCOL_VERSION : false),
    });
    gateway = new Gateway(container, config, server, wss, factory, tracker, backplane, metrics, logger);
    const self = gateway;
    server.on('upgrade', (request, socket, head) => {
      void self.upgrade(request, socket, head, tokens, { router, forgetRateLimit: forget, now });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    gateway.phase = 'ready';
    logger.info({ event: 'gateway_started', url: gateway.url, env: config.env, backplane: config.redisUrl === null ? 'memory' : 'redis' }, `agentwire gateway listening; open ${gateway.url}`);
    return gateway;
  }

  /** Where the gateway listens, e.g. http://127.0.0.1:8080/ */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Why /ready answers 503, or null when ready. */
  notReadyReason(): string | null {
    if (this.phase !== 'ready') return this.phase;
    const backplane = this.backplane.status();
    return backplane === 'ready' ? null : `backplane ${backplane}`;
  }

  private async upgrade(
    request: import('node:http').IncomingMessage,
    socket: Duplex,
    head: Buffer,
    tokens: TokenService,
    session: { router: Parameters<typeof openSession>[3]['router']; forgetRateLimit: Parameters<typeof openSession>[3]['forgetRateLimit']; now: () => number },
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found', '{"error":"not_found","message":"the WebSocket endpoint is /ws"}');
    if (this.phase !== 'ready') return refuseUpgrade(socket, 503, 'Service Unavailable', '{"error":"unavailable","message":"the gateway is not accepting connections"}');
    const afterSeqText = url.searchParams.get('after_seq');
    if (afterSeqText !== null && !/^\d{1,15}$/.test(afterSeqText)) {
      return refuseUpgrade(socket, 400, 'Bad Request', '{"error":"invalid_request","message":"after_seq must be a whole number"}');
    }
    let identity: Identity;
    try {
      identity = await tokens.verify(presentedToken(request.headers).token);
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : 'malformed_token';
      this.metrics.authFailures.inc({ reason });
      this.logger.info({ event: 'auth_failed', reason, remote: (socket as Socket).remoteAddress }, 'upgrade refused: not authenticated');
      return refuseUpgrade(socket, 401, 'Unauthorized', JSON.stringify({ error: 'unauthorized', message: error instanceof Error ? error.message : 'unauthorized' }));
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      void openSession(ws, identity, afterSeqText === null ? undefined : Number(afterSeqText), {
        container: this.container,
        factory: this.factory,
        router: session.router,
        forgetRateLimit: session.forgetRateLimit,
        metrics: this.metrics,
        logger: this.logger,
        now: session.now,
      });
    });
  }

  /**
   * Drains: stops accepting, marks not ready, lets running runs finish within the grace period
   * (the rest end with agent_error code shutdown), closes every socket with 1001, then closes
   * the backplane and the server. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    this.phase = 'draining';
    this.logger.info({ event: 'gateway_draining', graceMs: this.config.shutdownGraceMs }, 'draining');
    // Keep listening while runs finish, so probes see /ready answer 503 and new upgrades get 503.
    const report = await this.tracker.shutdown({ graceMs: this.config.shutdownGraceMs });
    await this.factory.shutdown();
    this.wss.close();
    await this.backplane.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.phase = 'stopped';
    this.logger.info({ event: 'gateway_stopped', ...report }, 'stopped');
  }
}
