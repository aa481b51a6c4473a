import type { RawData, WebSocket } from 'ws';
import { type AgentExecutionTracker, getExecutionTracker } from '@agentwire/execution-tracker';
import type { UnifiedWebSocketManager, WebSocketManagerFactory } from '@agentwire/manager';
import { CloseCode, type OutboundMessage } from '@agentwire/protocols';
import type { MessageRouter } from '@agentwire/router';
import { type ConnectionId, UserExecutionContext, type UserId, generateConnectionId, generateRunId, generateThreadId } from '@agentwire/types';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { Identity } from './auth';
import type { GatewayRouteContext } from './handlers';
import type { GatewayMetrics } from './metrics';

export interface SessionDeps {
  readonly container: DependencyContainer;
  readonly factory: WebSocketManagerFactory;
  readonly router: MessageRouter<GatewayRouteContext>;
  readonly forgetRateLimit: (connectionId: ConnectionId) => void;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly now: () => number;
}

/** Where a socket points to its session, so every socket shares the same two listeners. */
const kSession = Symbol('agentwire.gatewaySession');
type SessionSocket = WebSocket & { [kSession]?: GatewaySession };

/**
 * One authenticated WebSocket connection: registered with a manager bound to its user, routed
 * through the gateway's router (it is the route context handlers receive), closed with 1008
 * once its token has expired (see closeExpiredSessions), logged when it opens and closes.
 * Frames that arrive while registration is in progress are kept and routed after it, in order.
 * A gateway holds one per socket, so its state is a few fields, its behaviour lives on the
 * prototype, its socket listeners are shared by all sessions, and the tracker view is made
 * only when the connection first uses it.
 */
class GatewaySession implements GatewayRouteContext {
  readonly connectionId: ConnectionId;
  readonly userId: UserId;
  readonly userContext: UserExecutionContext;
  private readonly openedAt: number;
  private readonly validUntil: number;
  private manager: UnifiedWebSocketManager | null = null;
  private trackerView: AgentExecutionTracker | null = null;
  /** Registration is over: frames are routed as they come. */
  private registered = false;
  /** Frames that came while registering (allocated only if one does). */
  private early: { data: RawData; isBinary: boolean }[] | null = null;

  constructor(
    private readonly socket: WebSocket,
    identity: Identity,
    private readonly deps: SessionDeps,
  ) {
    this.openedAt = deps.now();
    this.connectionId = generateConnectionId();
    this.userId = identity.userId;
    this.validUntil = identity.validUntil;
    this.userContext = new UserExecutionContext({ userId: this.userId, threadId: generateThreadId(), runId: generateRunId(), connectionId: this.connectionId });
  }

  get tracker(): AgentExecutionTracker {
    this.trackerView ??= getExecutionTracker(this.userContext, this.deps.container);
    return this.trackerView;
  }

  reply(message: OutboundMessage): Promise<boolean> {
    return (this.manager as UnifiedWebSocketManager).sendToConnection(this.connectionId, message);
  }

  resume(afterSeq: number): Promise<unknown> {
    return (this.manager as UnifiedWebSocketManager).resume(this.connectionId, afterSeq);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  receive(data: RawData, isBinary: boolean): void {
    if (!this.registered) {
      (this.early ??= []).push({ data, isBinary });
      return;
    }
    void this.deps.router.route(this, isBinary ? data : data.toString()).then((outcome) => {
      this.deps.metrics.messagesIn.inc({ type: outcome.status === 'handled' ? outcome.type : 'refused' });
      if (outcome.status !== 'handled') this.deps.metrics.errorsSent.inc({ code: outcome.code });
    });
  }

  /** Closes the connection with 1008 if its token is no longer valid at `now`; true if it did (once: a closing socket is left alone). */
  expireAt(now: number): boolean {
    if (now < this.validUntil || this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.close(CloseCode.PolicyViolation, 'token expired');
    return true;
  }

  closed(code: number, reason: Buffer): void {
    (this.socket as SessionSocket)[kSession] = undefined;
    this.deps.forgetRateLimit(this.connectionId);
    this.deps.logger.info(
      { event: 'connection_closed', userId: this.userId, connectionId: this.connectionId, durationMs: this.deps.now() - this.openedAt, closeCode: code, reason: reason.toString('utf8') || undefined },
      'connection closed',
    );
  }

  async register(afterSeq: number | undefined): Promise<void> {
    const { deps } = this;
    try {
      this.manager = deps.factory.createManager(this.userContext);
      await this.manager.addConnection(this.socket, { userId: this.userId, connectionId: this.connectionId, ...(afterSeq === undefined ? {} : { afterSeq }) });
    } catch (error) {
      const limited = (error as { code?: unknown }).code === 'LIMIT_EXCEEDED';
      deps.logger.warn({ err: error, event: 'connection_refused', userId: this.userId, connectionId: this.connectionId }, 'connection refused');
      this.socket.close(limited ? CloseCode.TryAgainLater : CloseCode.InternalError, limited ? 'connection limit reached' : 'internal error');
      if (this.manager !== null) await deps.factory.disposeManager(this.manager).catch(() => undefined);
      return;
    }
    deps.metrics.connectionsOpened.inc();
    deps.logger.info({ event: 'connection_opened', userId: this.userId, connectionId: this.connectionId, afterSeq }, 'connection opened');
    if (this.expireAt(deps.now())) return;
    this.registered = true;
    const early = this.early ?? [];
    this.early = null;
    for (const frame of early) this.receive(frame.data, frame.isBinary);
  }
}

function onSessionMessage(this: SessionSocket, data: RawData, isBinary: boolean): void {
  this[kSession]?.receive(data, isBinary);
}

function onSessionClose(this: SessionSocket, code: number, reason: Buffer): void {
  this[kSession]?.closed(code, reason);
}

/**
 * Serves one authenticated WebSocket connection until it closes. The socket's listeners are
 * attached before anything awaits, so no frame is lost while the connection is being registered.
 */
export async function openSession(socket: WebSocket, identity: Identity, afterSeq: number | undefined, deps: SessionDeps): Promise<void> {
  const session = new GatewaySession(socket, identity, deps);
  (socket as SessionSocket)[kSession] = session;
  socket.on('message', onSessionMessage);
  socket.on('close', onSessionClose);
  await session.register(afterSeq);
}

/**
 * Closes with 1008 every connection whose token has expired; returns how many. The gateway
 * calls it on a short interval for all its sockets: one timer for the process instead of one
 * per connection, at the cost of closing up to one interval after the expiry.
 */
export function closeExpiredSessions(sockets: Iterable<WebSocket>, now: number): number {
  let expired = 0;
  for (const socket of sockets) if ((socket as SessionSocket)[kSession]?.expireAt(now) === true) expired += 1;
  return expired;
}
