import 'reflect-metadata';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppConfig } from '@agentwire/config';
import { EXECUTION_TRACKER_REGISTRY, type ExecutionTrackerRegistry, getExecutionTracker } from '@agentwire/execution-tracker';
import { WebSocketManagerFactory } from '@agentwire/manager';
import { AgentErrorCode, type Backplane } from '@agentwire/protocols';
import { UserExecutionContext, generateRunId, generateThreadId } from '@agentwire/types';
import type { DependencyContainer } from 'tsyringe';
import type { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { AuthenticationError, type Identity, type TokenService, presentedToken } from './auth';
import { type GatewayContainerOptions, type GatewayLifecycle, type GatewayRouter, GatewayTokens, buildGatewayContainer } from './container';
import type { GatewayMetrics } from './metrics';
import type { RunCoordination } from './run-coordination';
import { type SessionDeps, closeExpiredSessions, openSession } from './session';

export type GatewayOptions = GatewayContainerOptions;

/** How often open connections are checked for an expired token (they close at most this long after it). */
const TOKEN_EXPIRY_CHECK_MS = 500;

function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * The agentwire gateway: HTTP (health, readiness, metrics, the browser page, dev tokens) and the
 * /ws endpoint. Every part comes from one tsyringe child container per instance (see
 * buildGatewayContainer), so nothing is shared between two gateways in one process.
 */
export class Gateway {
  private stopping: Promise<void> | null = null;
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly factory: WebSocketManagerFactory;
  private readonly tracker: ExecutionTrackerRegistry;
  private readonly backplane: Backplane;
  private readonly lifecycle: GatewayLifecycle;
  private readonly tokens: TokenService;
  private readonly router: GatewayRouter;
  private readonly now: () => number;
  private readonly runs: RunCoordination;
  /** What every connection's session shares. */
  private readonly sessionDeps: SessionDeps;
  private expiryCheck: NodeJS.Timeout | null = null;

  private constructor(readonly container: DependencyContainer) {
    this.config = container.resolve(GatewayTokens.Config);
    this.logger = container.resolve(GatewayTokens.Logger);
    this.metrics = container.resolve(GatewayTokens.Metrics);
    this.server = container.resolve(GatewayTokens.HttpServer);
    this.wss = container.resolve(GatewayTokens.WebSocketServer);
    this.factory = container.resolve(WebSocketManagerFactory);
    this.tracker = container.resolve(EXECUTION_TRACKER_REGISTRY);
    this.backplane = container.resolve(GatewayTokens.Backplane);
    this.lifecycle = container.resolve(GatewayTokens.Lifecycle);
    this.tokens = container.resolve(GatewayTokens.Tokens);
    this.router = container.resolve(GatewayTokens.Router);
    this.now = container.resolve(GatewayTokens.Clock);
    this.runs = container.resolve(GatewayTokens.RunCoordination);
    this.sessionDeps = {
      container,
      factory: this.factory,
      router: this.router.router,
      forgetRateLimit: (connectionId) => this.router.forget(connectionId),
      metrics: this.metrics,
      logger: this.logger,
      now: this.now,
    };
  }

  /** Builds the container, listens on config.host:config.port and resolves once ready. */
  static async start(config: AppConfig, options: GatewayOptions = {}): Promise<Gateway> {
    const gateway = new Gateway(buildGatewayContainer(config, options));
    const redis = gateway.container.resolve(GatewayTokens.Redis);
    if (redis !== null) await Promise.all([redis.backplane.connect(), redis.runs.connect(), redis.control.connect()]);
    gateway.runs.start({
      cancelLocal: async (userId, runId) => {
        const context = new UserExecutionContext({ userId, threadId: generateThreadId(), runId: generateRunId() });
        await getExecutionTracker(context, gateway.container).cancel(runId, 'cancelled by the user');
      },
      endOrphan: async (run) => {
        await gateway.factory.getUnifiedManager().emitAgentEvent(run.userId, {
          type: 'agent_error',
          run_id: run.runId,
          thread_id: run.threadId,
          payload: { code: AgentErrorCode.Dead, message: 'the gateway process running this run stopped' },
        });
        gateway.logger.info({ event: 'run_ended', runId: run.runId, userId: run.userId, agent: run.agentName, outcome: 'dead', durationMs: gateway.now() - run.claimedAt, errorCode: AgentErrorCode.Dead }, 'run ended');
      },
    });
    const { server } = gateway;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void gateway.upgrade(request, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    gateway.lifecycle.phase = 'ready';
    gateway.expiryCheck = setInterval(() => closeExpiredSessions(gateway.wss.clients, gateway.now()), TOKEN_EXPIRY_CHECK_MS);
    gateway.expiryCheck.unref();
    gateway.logger.info(
      { event: 'gateway_started', url: gateway.url, env: config.env, backplane: redis === null ? 'memory' : 'redis', processId: redis?.backplane.processId },
      `agentwire gateway listening; open ${gateway.url}`,
    );
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
    return this.lifecycle.notReadyReason();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found', '{"error":"not_found","message":"the WebSocket endpoint is /ws"}');
    if (this.lifecycle.phase !== 'ready') return refuseUpgrade(socket, 503, 'Service Unavailable', '{"error":"unavailable","message":"the gateway is not accepting connections"}');
    const afterSeqText = url.searchParams.get('after_seq');
    if (afterSeqText !== null && !/^\d{1,15}$/.test(afterSeqText)) {
      return refuseUpgrade(socket, 400, 'Bad Request', '{"error":"invalid_request","message":"after_seq must be a whole number"}');
    }
    let identity: Identity;
    try {
      identity = await this.tokens.verify(presentedToken(request.headers).token);
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : 'malformed_token';
      this.metrics.authFailures.inc({ reason });
      this.logger.info({ event: 'auth_failed', reason, remote: (socket as Socket).remoteAddress }, 'upgrade refused: not authenticated');
      return refuseUpgrade(socket, 401, 'Unauthorized', JSON.stringify({ error: 'unauthorized', message: error instanceof Error ? error.message : 'unauthorized' }));
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      void openSession(ws, identity, afterSeqText === null ? undefined : Number(afterSeqText), this.sessionDeps);
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
    this.lifecycle.phase = 'draining';
    this.logger.info({ event: 'gateway_draining', graceMs: this.config.shutdownGraceMs }, 'draining');
    // Keep listening while runs finish, so probes see /ready answer 503 and new upgrades get 503.
    const report = await this.tracker.shutdown({ graceMs: this.config.shutdownGraceMs });
    await this.factory.shutdown();
    if (this.expiryCheck !== null) clearInterval(this.expiryCheck);
    this.wss.close();
    await this.runs.close();
    await this.backplane.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.lifecycle.phase = 'stopped';
    this.logger.info({ event: 'gateway_stopped', ...report }, 'stopped');
  }
}
