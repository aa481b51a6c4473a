import type { RawData, WebSocket } from 'ws';
import type { UnifiedWebSocketManager, WebSocketManagerFactory } from '@agentwire/manager';
import { getExecutionTracker } from '@agentwire/execution-tracker';
import { CloseCode } from '@agentwire/protocols';
import type { MessageRouter } from '@agentwire/router';
import { type ConnectionId, UserExecutionContext, generateConnectionId, generateRunId, generateThreadId } from '@agentwire/types';
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

// setTimeout takes at most 2^31-1 ms; a token valid for longer is re-armed when that passes.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One authenticated WebSocket connection: registered with a manager bound to its user, routed
 * through the gateway's router, closed with 1008 when its token expires, logged when it opens
 * and closes. Frames that arrive while registration is in progress are kept and routed after it,
 * in order.
 */
export async function openSession(socket: WebSocket, identity: Identity, afterSeq: number | undefined, deps: SessionDeps): Promise<void> {
  const openedAt = deps.now();
  const connectionId = generateConnectionId();
  const log = deps.logger.child({ userId: identity.userId, connectionId });
  const early: { data: RawData; isBinary: boolean }[] = [];
  let route: ((data: RawData, isBinary: boolean) => void) | null = null;
  socket.on('message', (data, isBinary) => (route === null ? early.push({ data, isBinary }) : route(data, isBinary)));

  let expiryTimer: NodeJS.Timeout | undefined;
  const armExpiry = (): void => {
    const remaining = identity.validUntil - deps.now();
    if (remaining <= 0) return socket.close(CloseCode.PolicyViolation, 'token expired');
    expiryTimer = setTimeout(armExpiry, Math.min(remaining, MAX_TIMER_MS));
    expiryTimer.unref();
  };

  let manager: UnifiedWebSocketManager | null = null;
  socket.once('close', (code, reason) => {
    clearTimeout(expiryTimer);
    deps.forgetRateLimit(connectionId);
    log.info({ event: 'connection_closed', durationMs: deps.now() - openedAt, closeCode: code, reason: reason.toString('utf8') || undefined }, 'connection closed');
  });

  const userContext = new UserExecutionContext({ userId: identity.userId, threadId: generateThreadId(), runId: generateRunId(), connectionId });
  try {
    manager = deps.factory.createManager(userContext);
    await manager.addConnection(socket, { userId: identity.userId, connectionId, ...(afterSeq === undefined ? {} : { afterSeq }) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const limited = code === 'LIMIT_EXCEEDED';
    log.warn({ err: error, event: 'connection_refused' }, 'connection refused');
    socket.close(limited ? CloseCode.TryAgainLater : CloseCode.InternalError, limited ? 'connection limit reached' : 'internal error');
    if (manager !== null) await deps.factory.disposeManager(manager).catch(() => undefined);
    return;
  }
  deps.metrics.connectionsOpened.inc();
  log.info({ event: 'connection_opened', afterSeq }, 'connection opened');
  armExpiry();

  const bound = manager;
  const context: GatewayRouteContext = {
    userId: identity.userId,
    connectionId,
    userContext,
    tracker: getExecutionTracker(userContext, deps.container),
    reply: (message) => bound.sendToConnection(connectionId, message),
    resume: (position) => bound.resume(connectionId, position),
    close: (code, reason) => socket.close(code, reason),
  };
  route = (data, isBinary) => {
    void deps.router.route(context, isBinary ? data : data.toString()).then((outcome) => {
      deps.metrics.messagesIn.inc({ type: outcome.status === 'handled' ? outcome.type : 'refused' });
      if (outcome.status !== 'handled') deps.metrics.errorsSent.inc({ code: outcome.code });
    });
  };
  for (const frame of early.splice(0)) route(frame.data, frame.isBinary);
}
