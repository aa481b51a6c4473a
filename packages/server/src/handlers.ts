import { type AgentExecutionTracker, TrackerErrorCode } from '@agentwirejs/execution-tracker';
import { type AgentInput, ErrorCode, type ProtocolExtensions, isWireErrorCode } from '@agentwirejs/protocols';
import { MessageRejectedError, MessageRouter, type RequestAck, type RouteContext, answerPing, createRateLimit } from '@agentwirejs/router';
import { ManagerErrorCode } from '@agentwirejs/manager';
import { type ConnectionId, TypesErrorCode, type UserExecutionContext } from '@agentwirejs/types';
import type { Logger } from 'pino';
import type { RoutedAnswer, RunCoordination, WireRefusal } from './run-coordination';
import { RunRequestRefusedError, type RunStarterDeps, startCatalogRun } from './start-run';
import { type Authentication, AuthenticationError, type Identity } from './auth';

/** What a handler knows about the connection that sent the message. */
export interface GatewayRouteContext extends RouteContext {
  readonly userContext: UserExecutionContext;
  readonly tracker: AgentExecutionTracker;
  resume(afterSeq: number): Promise<unknown>;
  /**
   * Ends the connection for abuse: closes it with 1008, stops reading from it (frames it still
   * sends are not routed), destroys its TCP socket if the peer does not finish the close
   * promptly, and refuses the user's new connections for a while (see abuse-cooldown.ts).
   */
  cutOff(reason: string): void;
  /**
   * Moves the connection's expiry to `validUntil` (epoch ms: a refreshed token's exp plus the
   * clock skew) when that is later than the current one. Returns the expiry now in force, or null
   * when the connection has already expired or is closing: a refresh cannot revive it.
   */
  extendValidity(validUntil: number): number | null;
  /** Closes the connection with 1008 and `reason` (once); frames it still sends are not routed. */
  closeForPolicy(reason: string): void;
}

/** The gateway's router: the built-in client messages plus the app's own (ProtocolExtensions). */
export type GatewayMessageRouter = MessageRouter<GatewayRouteContext, ProtocolExtensions>;

/** An app's own client message types and CUSTOM events, and the handlers of those messages. */
export interface AppProtocol {
  /** Made by defineProtocolExtensions (@agentwirejs/protocols). */
  readonly extensions: ProtocolExtensions;
  /** Adds a handler (router.on) for each of the app's client message types. */
  readonly routes?: (router: GatewayMessageRouter) => void;
}

/**
 * An AppProtocol whose handlers are typed from the extensions' schemas: `router.on('ask', (message) => …)`
 * gets `message` as the 'ask' schema parses it.
 */
export function defineAppProtocol<X extends ProtocolExtensions>(extensions: X, routes?: (router: MessageRouter<GatewayRouteContext, X>) => void): AppProtocol {
  if (routes === undefined) return { extensions };
  // The gateway builds its router with exactly these extensions, so the router it passes is a MessageRouter<…, X>.
  return { extensions, routes: routes as unknown as (router: GatewayMessageRouter) => void };
}

/** The run starter's needs (catalog, run claims and routing of cancel_run and answers, input limit, outcomes) and the router's. */
export interface HandlerDeps extends RunStarterDeps {
  /** The app's own message types and their handlers (default none: their frames get unknown_message_type). */
  readonly app?: AppProtocol;
  /** Verifies refresh_token tokens, with the same rules as at the upgrade (absent: refreshes are refused). */
  readonly verifyToken: Authentication['verifyToken'];
  /** The agent a `user_message` starts. */
  readonly userMessageAgent: string;
  readonly logger: Logger;
  readonly rateLimit: { readonly perSecond: number; readonly burst: number; readonly closeAfterRejections: number };
  onRateLimited(): void;
}

// Errors of the execution tracker (and the ids it parses) are recognised by their stable codes.
const TRACKER_REJECTIONS: ReadonlyMap<string, ErrorCode> = new Map<TrackerErrorCode | TypesErrorCode, ErrorCode>([
  [TrackerErrorCode.RunLimitExceeded, ErrorCode.LimitExceeded],
  [TrackerErrorCode.TrackerShutDown, ErrorCode.LimitExceeded],
  [TrackerErrorCode.RunNotFound, ErrorCode.NotFound],
  [TrackerErrorCode.InterruptNotFound, ErrorCode.NotFound],
  [TrackerErrorCode.InvalidAnswer, ErrorCode.InvalidMessage],
  [TypesErrorCode.InvalidId, ErrorCode.InvalidMessage],
]);

/** The wire error a refused tracker call is answered with, or null for an error that is not a refusal (a bug: it propagates). */
export function trackerRefusal(error: unknown): WireRefusal | null {
  const code = (error as { code?: unknown } | null)?.code;
  const wireCode = typeof code === 'string' ? TRACKER_REJECTIONS.get(code) : undefined;
  if (wireCode === undefined) return null;
  const message = code === TrackerErrorCode.TrackerShutDown ? 'the gateway is shutting down; try again shortly' : (error as Error).message;
  return { code: wireCode, message };
}

function rejectTrackerError(error: unknown): never {
  const refusal = trackerRefusal(error);
  if (refusal !== null) throw new MessageRejectedError(refusal.code, refusal.message, { cause: error });
  throw error;
}

/** The gateway's router: every client message type of the wire contract, behind the rate limit. */
export function createGatewayRouter(deps: HandlerDeps): { router: GatewayMessageRouter; forget(connectionId: ConnectionId): void } {
  const rateLimit = createRateLimit<GatewayRouteContext>({
    ...deps.rateLimit,
    onSustainedAbuse: (context, rejections) => {
      deps.logger.warn({ userId: context.userId, connectionId: context.connectionId, rejections }, 'closing a connection for sustained abuse of the rate limit');
      context.cutOff('rate limit exceeded');
    },
  });
  const router: GatewayMessageRouter = new MessageRouter<GatewayRouteContext, ProtocolExtensions>({
    logger: deps.logger,
    ...(deps.app === undefined ? {} : { extensions: deps.app.extensions }),
  });
  router.use((context, frame) => {
    const verdict = rateLimit.middleware(context, frame);
    if (verdict) deps.onRateLimited();
    return verdict;
  });

  /** Starts a run for the sender; its ids go into the request's ack. */
  const startRun = (context: GatewayRouteContext, agentName: string, input: AgentInput, threadId: string | undefined): RequestAck => {
    try {
      const started = startCatalogRun(deps, context.tracker, context.userId, agentName, input, threadId);
      return { run_id: started.runId, thread_id: started.threadId };
    } catch (error) {
      if (error instanceof RunRequestRefusedError) throw new MessageRejectedError(error.refusal.code, error.refusal.message);
      rejectTrackerError(error);
    }
  };

  const routeAnswer = async (...args: Parameters<RunCoordination['routeAnswer']>): Promise<RoutedAnswer> => {
    try {
      return await deps.runs.routeAnswer(...args);
    } catch (error) {
      deps.logger.warn({ err: error, runId: args[1] }, 'the gateway process running the run did not answer a routed answer_interrupt');
      throw new MessageRejectedError(ErrorCode.Unavailable, 'the gateway process running this run did not answer in time; send the answer again');
    }
  };

  router
    .on('user_message', (message, context) => startRun(context, deps.userMessageAgent, message.text, message.thread_id))
    .on('start_agent', (message, context) => startRun(context, message.agent, message.input, message.thread_id))
    .on('cancel_run', async (message, context) => {
      try {
        await context.tracker.cancel(message.run_id, 'cancelled by the user');
      } catch (error) {
        // not here: it may run in another gateway process
        if ((error as { code?: unknown }).code === TrackerErrorCode.RunNotFound && (await deps.runs.routeCancel(context.userId, message.run_id))) return;
        rejectTrackerError(error);
      }
    })
    .on('answer_interrupt', async (message, context) => {
      try {
        context.tracker.answerInterrupt(message.run_id, message.interrupt_id, message.value);
      } catch (error) {
        // not here: the run may be running in another gateway process, which checks the answer
        if ((error as { code?: unknown }).code !== TrackerErrorCode.RunNotFound) rejectTrackerError(error);
        const routed = await routeAnswer(context.userId, message.run_id, message.interrupt_id, message.value);
        if (!routed.routed) rejectTrackerError(error);
        if (routed.refusal !== null) {
          const { code, message: text } = routed.refusal;
          throw new MessageRejectedError(isWireErrorCode(code) ? code : ErrorCode.Unavailable, text);
        }
      }
    })
    .on('ping', answerPing)
    .on('resume', async (message, context) => {
      try {
        await context.resume(message.after_seq);
      } catch (error) {
        // Over the connection's replay budget, or a replay already running: nothing was replayed, the same resume works later.
        if ((error as { code?: unknown } | null)?.code === ManagerErrorCode.ReplayLimited) throw new MessageRejectedError(ErrorCode.RateLimited, (error as Error).message, { cause: error });
        throw error;
      }
    })
    .on('refresh_token', async (message, context) => {
      // The token itself is never logged or echoed: only why it was refused.
      const refused = { event: 'token_refresh_refused', userId: context.userId, connectionId: context.connectionId };
      if (deps.verifyToken === undefined) {
        throw new MessageRejectedError(ErrorCode.Unauthorized, 'this server does not take tokens over an open connection; reconnect with a fresh token before this one expires');
      }
      let identity: Identity;
      try {
        identity = await deps.verifyToken(message.token);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        deps.logger.info({ ...refused, reason: error.reason }, 'token refresh refused; the connection keeps its expiry');
        throw new MessageRejectedError(ErrorCode.Unauthorized, `token refresh refused: ${error.message}; the connection keeps its current expiry`);
      }
      // A connection is one user's for its whole life: another user's token ends it.
      if (identity.userId !== context.userId) {
        deps.logger.warn({ ...refused, reason: 'other_user' }, 'token refresh with a token of another user; closing the connection');
        context.closeForPolicy('token is for another user');
        return;
      }
      const expiresAt = context.extendValidity(identity.validUntil);
      if (expiresAt === null) return;
      deps.logger.debug({ event: 'token_refreshed', userId: context.userId, connectionId: context.connectionId, expiresAt }, 'token refreshed');
      await context.reply({ type: 'token_refreshed', payload: { expires_at: new Date(expiresAt).toISOString() } });
    });
  deps.app?.routes?.(router);
  return { router, forget: (connectionId) => rateLimit.forget(connectionId) };
}
