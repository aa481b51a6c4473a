import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppConfig } from '@agentwirejs/config';
import { EXECUTION_TRACKER_REGISTRY, type ExecutionTrackerRegistry, getExecutionTracker } from '@agentwirejs/execution-tracker';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import { AgentErrorCode, type Backplane, CloseCode, EventType } from '@agentwirejs/protocols';
import { UserExecutionContext, generateRequestId } from '@agentwirejs/types';
import type { DependencyContainer } from 'tsyringe';
import type { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { AbuseCooldown } from './abuse-cooldown';
import { type Authentication, AuthenticationError, type Identity, type TokenService } from './auth';
import { type AgentwireServerOptions, type GatewayLifecycle, type GatewayRouter, GatewayTokens, buildGatewayContainer } from './container';
import type { ServerHttpHandler } from './http-routes';
import type { GatewayMetrics } from './metrics';
import type { RunCoordination } from './run-coordination';
import { trackerRefusal } from './handlers';
import { OpenSockets, type SessionDeps, closeExpiredSessions, openSession } from './session';

/** The WebSocket endpoint's path. */
export const WEBSOCKET_PATH = '/ws';

/** How often open connections are checked for an expired token (they close at most this long after it). */
const TOKEN_EXPIRY_CHECK_MS = 500;
/**
 * How long a client gets at shutdown to answer the 1001 close frame before its socket is
 * terminated: a peer that never reads or never answers must not hold the drain for `ws`'s own
 * 30 s close timeout.
 */
const SHUTDOWN_CLOSE_TIMEOUT_MS = 2000;
/** How long a terminated socket gets to emit 'close' (ws first reads what it already holds). */
const TERMINATED_CLOSE_WAIT_MS = 500;

/** Resolves true once `promise` settles, or false after `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string, headers: Readonly<Record<string, string>> = {}): void {
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
}

function ignoreSocketError(): void {
  // the socket is destroyed by its own error; the upgrade path notices it is no longer writable
}

/** How many times `name` (lower case) appears in a request's raw header list. */
function countHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) if (rawHeaders[index]?.toLowerCase() === name) count += 1;
  return count;
}

/**
 * Upgrades admitted but not yet registered with the manager, per user: they count against the
 * connection limits, so a burst of parallel upgrades cannot slip past them.
 */
class AdmissionCounts {
  private readonly byUser = new Map<string, number>();
  total = 0;

  of(userId: string): number {
    return this.byUser.get(userId) ?? 0;
  }

  /** Counts one admission; the returned function (idempotent) un-counts it. */
  hold(userId: string): () => void {
    this.byUser.set(userId, this.of(userId) + 1);
    this.total += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.total -= 1;
      const left = this.of(userId) - 1;
      if (left > 0) this.byUser.set(userId, left);
      else this.byUser.delete(userId);
    };
  }
}

/**
 * The agentwire server: the /ws endpoint (upgrade, authentication, admission, sessions), the
 * runs and their coordination across processes (Redis), and its HTTP routes (health, readiness,
 * metrics, the server API, development tokens). It does not own an HTTP server: attach it to
 * one, or hand it upgrades and requests from Express, Fastify or plain node:http. Every part
 * comes from one tsyringe child container per instance, so two servers in one process share
 * nothing. Create it with createAgentwireServer.
 */
export class AgentwireServer {
  private stopping: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  private readonly wss: WebSocketServer;
  private readonly factory: WebSocketManagerFactory;
  private readonly tracker: ExecutionTrackerRegistry;
  private readonly backplane: Backplane;
  private readonly lifecycle: GatewayLifecycle;
  private readonly authentication: Authentication;
  private readonly router: GatewayRouter;
  private readonly httpRoutes: ServerHttpHandler;
  private readonly now: () => number;
  private readonly runs: RunCoordination;
  /** What every connection's session shares. */
  private readonly sessionDeps: SessionDeps;
  private expiryCheck: NodeJS.Timeout | null = null;
  private readonly admitting = new AdmissionCounts();
  /** The 'upgrade' listener added to each attached HTTP server (removed when the server has closed). */
  private readonly attached = new Map<Server, (request: IncomingMessage, socket: Duplex, head: Buffer) => void>();

  /** @internal Use createAgentwireServer. */
  constructor(
    /** @internal The server's own container (tests look inside; apps never need it). */
    readonly container: DependencyContainer,
  ) {
    this.config = container.resolve(GatewayTokens.Config);
    this.logger = container.resolve(GatewayTokens.Logger);
    this.metrics = container.resolve(GatewayTokens.Metrics);
    this.wss = container.resolve(GatewayTokens.WebSocketServer);
    this.factory = container.resolve(WebSocketManagerFactory);
    this.tracker = container.resolve(EXECUTION_TRACKER_REGISTRY);
    this.backplane = container.resolve(GatewayTokens.Backplane);
    this.lifecycle = container.resolve(GatewayTokens.Lifecycle);
    this.authentication = container.resolve(GatewayTokens.Authentication);
    this.router = container.resolve(GatewayTokens.Router);
    this.httpRoutes = container.resolve(GatewayTokens.HttpRoutes);
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
      abuse: new AbuseCooldown(this.now),
      sockets: new OpenSockets(),
    };
  }

  /** The JWT service of the default authentication (issues development tokens), or null with an app's `authenticate`. */
  get tokens(): TokenService | null {
    return this.container.resolve(GatewayTokens.Tokens);
  }

  /**
   * Connects to Redis (when configured) and starts taking connections: /ready answers 200 and
   * upgrades are admitted from here on. Idempotent.
   */
  start(): Promise<void> {
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const redis = this.container.resolve(GatewayTokens.Redis);
    if (redis !== null) await Promise.all([redis.backplane.connect(), redis.runs.connect(), redis.control.connect()]);
    this.runs.start({
      cancelLocal: async (userId, runId) => {
        const context = new UserExecutionContext({ userId });
        await getExecutionTracker(context, this.container).cancel(runId, 'cancelled by the user');
      },
      answerLocal: async (userId, runId, interruptId, value) => {
        const context = new UserExecutionContext({ userId });
        try {
          getExecutionTracker(context, this.container).answerInterrupt(runId, interruptId, value);
          return null;
        } catch (error) {
          const refusal = trackerRefusal(error);
          if (refusal === null) throw error;
          return refusal;
        }
      },
      endOrphan: async (run) => {
        await this.factory.getUnifiedManager().emitAgentEvent(run.userId, {
          type: EventType.RUN_ERROR,
          run_id: run.runId,
          thread_id: run.threadId,
          payload: { type: EventType.RUN_ERROR, code: AgentErrorCode.Dead, message: 'the gateway process running this run stopped' },
        });
        this.logger.info({ event: 'run_ended', runId: run.runId, userId: run.userId, agent: run.agentName, outcome: 'dead', durationMs: this.now() - run.claimedAt, errorCode: AgentErrorCode.Dead }, 'run ended');
      },
    });
    if (this.stopping !== null) return;
    this.lifecycle.phase = 'ready';
    this.expiryCheck = setInterval(() => closeExpiredSessions(this.sessionDeps.sockets, this.now()), TOKEN_EXPIRY_CHECK_MS);
    this.expiryCheck.unref();
    this.logger.info({ event: 'server_started', env: this.config.env, backplane: redis === null ? 'memory' : 'redis', processId: redis?.backplane.processId }, 'agentwire server started');
  }

  /**
   * Serves every WebSocket upgrade of `server` (the endpoint is /ws; other paths are answered
   * 404). For a server that also carries other WebSocket endpoints, call handleUpgrade from your
   * own 'upgrade' listener instead.
   */
  attach(server: Server): this {
    if (this.attached.has(server)) return this;
    const listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => this.handleUpgrade(request, socket, head);
    this.attached.set(server, listener);
    server.on('upgrade', listener);
    return this;
  }

  /**
   * Serves one upgrade request (the 'upgrade' event's arguments). Whatever goes wrong in it is
   * answered (or the socket destroyed) and logged with a ref; nothing escapes into the process.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.upgrade(request, socket, head);
  }

  /**
   * Serves the server's HTTP routes: GET /health, /ready, /metrics, the server API under
   * /api/v1/ (with config.apiKeys), POST /dev/token (development, JWT authentication). Returns
   * false for any other request, leaving it to the app (Express: call next()).
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    try {
      return this.httpRoutes(request, response);
    } catch (error) {
      // whatever a request carries, it is answered here and never thrown into the app's HTTP server (an uncaught throw there ends the process)
      const ref = generateRequestId();
      this.logger.error({ err: error, ref, event: 'request_failed' }, 'an HTTP request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: 'internal_error', message: `internal error (ref ${ref})`, ref }));
      return true;
    }
  }

  /** This process's id in Redis, or null without the Redis backplane. */
  get processId(): string | null {
    return this.container.resolve(GatewayTokens.Redis)?.backplane.processId ?? null;
  }

  /** Open WebSocket connections of this process. */
  connectionCount(): number {
    return this.factory.getUnifiedManager().getConnectionCount();
  }

  /** Why /ready answers 503, or null when ready. */
  notReadyReason(): string | null {
    return this.lifecycle.notReadyReason();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A peer that resets while the token is being verified must not raise an unhandled 'error'.
    socket.on('error', ignoreSocketError);
    try {
      await this.admit(request, socket, head);
    } catch (error) {
      const ref = generateRequestId();
      this.logger.error({ err: error, ref, event: 'upgrade_failed' }, 'an upgrade request failed');
      if (socket.writable) refuseUpgrade(socket, 500, 'Internal Server Error', JSON.stringify({ error: 'internal_error', message: `internal error (ref ${ref})`, ref }));
      else socket.destroy();
    }
  }
  private async admit(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // RFC 6455 4.1: the opening handshake is an HTTP/1.1 request with exactly one Host header.
    if (request.httpVersion !== '1.1') {
      return refuseUpgrade(socket, 400, 'Bad Request', '{"error":"invalid_request","message":"a WebSocket upgrade must be an HTTP/1.1 request"}');
    }
    if (countHeader(request.rawHeaders, 'host') !== 1) {
      return refuseUpgrade(socket, 400, 'Bad Request', '{"error":"invalid_request","message":"a WebSocket upgrade must carry exactly one Host header"}');
    }
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== WEBSOCKET_PATH) return refuseUpgrade(socket, 404, 'Not Found', `{"error":"not_found","message":"the WebSocket endpoint is ${WEBSOCKET_PATH}"}`);
    if (this.lifecycle.phase !== 'ready') return refuseUpgrade(socket, 503, 'Service Unavailable', '{"error":"unavailable","message":"the gateway is not accepting connections"}');
    const afterSeqText = url.searchParams.get('after_seq');
    if (afterSeqText !== null && !/^\d{1,15}$/.test(afterSeqText)) {
      return refuseUpgrade(socket, 400, 'Bad Request', '{"error":"invalid_request","message":"after_seq must be a whole number"}');
    }
    const epoch = url.searchParams.get('epoch');
    if (epoch !== null && (afterSeqText === null || !/^[\x21-\x7e]{1,64}$/.test(epoch))) {
      return refuseUpgrade(socket, 400, 'Bad Request', '{"error":"invalid_request","message":"epoch goes with after_seq and is the epoch of connection_established (1 to 64 visible ASCII characters)"}');
    }
    let identity: Identity;
    try {
      identity = await this.authentication.authenticate(request);
    } catch (error) {
      // an app's authenticate that fails otherwise (its store is down) is the server's failure: 500 with a ref
      if (!(error instanceof AuthenticationError)) throw error;
      const { reason } = error;
      this.metrics.authFailures.inc({ reason });
      this.logger.info({ event: 'auth_failed', reason, remote: (socket as Socket).remoteAddress }, 'upgrade refused: not authenticated');
      return refuseUpgrade(socket, 401, 'Unauthorized', JSON.stringify({ error: 'unauthorized', message: error.message }));
    }
    const coolingDown = this.sessionDeps.abuse.retryAfterSeconds(identity.userId);
    if (coolingDown > 0) {
      this.metrics.connectionsRefused.inc({ reason: 'abuse_cooldown' });
      return refuseUpgrade(socket, 429, 'Too Many Requests', '{"error":"rate_limited","message":"a connection of this user was just closed for abuse; try again later"}', { 'Retry-After': String(coolingDown) });
    }
    // Connection limits are answered here, before the socket opens: a client told 429 or 503 backs off,
    // where one upgraded and then closed just reconnects.
    const { maxConnections, maxConnectionsPerUser } = this.factory.options; // the limits the manager applies (its defaults when unset)
    const unified = this.factory.getUnifiedManager();
    if (unified.getUserConnections(identity.userId).length + this.admitting.of(identity.userId) >= maxConnectionsPerUser) {
      this.metrics.connectionsRefused.inc({ reason: 'user_limit' });
      return refuseUpgrade(
        socket,
        429,
        'Too Many Requests',
        JSON.stringify({ error: 'limit_exceeded', message: `this user already has ${maxConnectionsPerUser} connections (AGENTWIRE_MAX_CONNECTIONS_PER_USER)` }),
        { 'Retry-After': '5' },
      );
    }
    // A replay costs what history holds, whatever the request's size: the user's replay budget
    // spans reconnections, so a client reconnecting with ?after_seq in a loop waits for it.
    const replayWaitMs = afterSeqText === null ? 0 : unified.getReplayWaitMs(identity.userId);
    if (replayWaitMs > 0) {
      this.metrics.connectionsRefused.inc({ reason: 'replay_budget' });
      const retryAfter = String(Math.ceil(replayWaitMs / 1000));
      return refuseUpgrade(
        socket,
        429,
        'Too Many Requests',
        JSON.stringify({ error: 'rate_limited', message: `this user's replay budget is used up; reconnect with after_seq in ${retryAfter} s (nothing is lost meanwhile)` }),
        { 'Retry-After': retryAfter },
      );
    }
    if (unified.getConnectionCount() + this.admitting.total >= maxConnections) {
      this.metrics.connectionsRefused.inc({ reason: 'process_limit' });
      return refuseUpgrade(socket, 503, 'Service Unavailable', '{"error":"unavailable","message":"this gateway process is at its connection limit; try another or again shortly"}', { 'Retry-After': '5' });
    }
    const release = this.admitting.hold(identity.userId);
    // ws calls back only for a handshake it completes; one it refuses (a bad Sec-WebSocket-Key or
    // version, a peer already gone) just closes the socket, which must give the admission back.
    socket.once('close', release);
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      // ws handles the socket's errors from here on; a second listener would cost every idle connection an array
      socket.removeListener('error', ignoreSocketError);
      socket.removeListener('close', release);
      this.sessionDeps.sockets.add(ws);
      const resumeFrom = afterSeqText === null ? undefined : { afterSeq: Number(afterSeqText), ...(epoch === null ? {} : { epoch }) };
      void openSession(ws, identity, resumeFrom, this.sessionDeps).finally(release);
    });
  }

  /**
   * Drains: stops accepting, marks not ready, lets running runs finish within the grace period
   * (the rest end with agent_error code shutdown), closes every socket with 1001, then closes
   * the backplane. The HTTP server is the app's to close. Safe to call more than once.
   */
  close(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    this.lifecycle.phase = 'draining';
    this.logger.info({ event: 'server_draining', graceMs: this.config.shutdownGraceMs }, 'draining');
    // Keep listening while runs finish, so probes see /ready answer 503 and new upgrades get 503.
    const report = await this.tracker.shutdown({ graceMs: this.config.shutdownGraceMs });
    await this.factory.shutdown();
    if (this.expiryCheck !== null) clearInterval(this.expiryCheck);
    await this.closeSockets();
    await this.runs.close();
    await this.backplane.close();
    for (const [server, listener] of this.attached) server.off('upgrade', listener);
    this.attached.clear();
    this.metrics.unregister();
    this.lifecycle.phase = 'stopped';
    this.logger.info({ event: 'server_stopped', ...report }, 'stopped');
  }

  /**
   * Closes every WebSocket with 1001 (the manager already did so for registered ones; this also
   * covers a socket still registering) and resolves once each has emitted 'close', so every
   * session logs its connection_closed. A socket that has not closed within
   * SHUTDOWN_CLOSE_TIMEOUT_MS is terminated; the wait is bounded whatever the peer does.
   */
  private async closeSockets(): Promise<void> {
    const { sockets } = this.sessionDeps;
    this.wss.close();
    const allClosed = sockets.allClosed();
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.close(CloseCode.GoingAway, 'server shutting down');
    if (await settlesWithin(allClosed, SHUTDOWN_CLOSE_TIMEOUT_MS)) return;
    this.logger.info({ event: 'connections_terminated', count: sockets.size }, 'terminating connections that did not answer the close frame');
    for (const socket of sockets) socket.terminate();
    await settlesWithin(allClosed, TERMINATED_CLOSE_WAIT_MS);
  }
}

/** Creates the server (nothing is started: call start(), then attach it or hand it upgrades). */
export function createAgentwireServer(options: AgentwireServerOptions): AgentwireServer {
  return new AgentwireServer(buildGatewayContainer(options));
}
