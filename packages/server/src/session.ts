import type { RawData, WebSocket } from 'ws';
import { type AgentExecutionTracker, getExecutionTracker } from '@agentwirejs/execution-tracker';
import { ManagerErrorCode, type UnifiedWebSocketManager, type WebSocketManagerFactory } from '@agentwirejs/manager';
import { CloseCode, type ConnectionTransport, DEFAULT_WIRE_PROTOCOL, type OutboundMessage, chooseWireProtocol } from '@agentwirejs/protocols';
import { type ConnectionId, UserExecutionContext, type UserId, generateConnectionId, generateRequestId } from '@agentwirejs/types';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { AbuseCooldown } from './abuse-cooldown';
import type { Identity } from './auth';
import type { GatewayMessageRouter, GatewayRouteContext } from './handlers';
import type { GatewayMetrics } from './metrics';

export interface SessionDeps {
  readonly container: DependencyContainer;
  readonly factory: WebSocketManagerFactory;
  readonly router: GatewayMessageRouter;
  readonly forgetRateLimit: (connectionId: ConnectionId) => void;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Users cut off for abuse: their new connections are refused at the upgrade for a while. */
  readonly abuse: AbuseCooldown;
  /** The server's open sockets: a socket leaves them when it has closed. */
  readonly sockets: OpenSockets;
}

/**
 * The server's open WebSockets, kept by the server rather than by ws (`clientTracking: false`):
 * ws would add a 'close' listener of its own to every socket, a third one after the session's and
 * the manager's, and EventEmitter grows a list of three listeners to nineteen slots, a 176-byte
 * array on every idle connection where two listeners take 32 (measured with heap snapshots of a
 * gateway before and after 2,000 idle connections). The session's close handler takes a socket out.
 */
export class OpenSockets {
  private readonly sockets = new Set<WebSocket>();
  private emptied: (() => void) | null = null;

  get size(): number {
    return this.sockets.size;
  }

  add(socket: WebSocket): void {
    this.sockets.add(socket);
  }

  delete(socket: WebSocket): void {
    if (!this.sockets.delete(socket) || this.sockets.size > 0) return;
    const emptied = this.emptied;
    this.emptied = null;
    emptied?.();
  }

  [Symbol.iterator](): IterableIterator<WebSocket> {
    return this.sockets.values();
  }

  /** Resolves once every socket has closed (at once when none is open). */
  allClosed(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const before = this.emptied;
      this.emptied = () => {
        before?.();
        resolve();
      };
    });
  }
}

/**
 * How long a connection the gateway closes gets to finish the closing handshake before its TCP
 * socket is destroyed: a peer that never answers the close frame must not keep its socket (and
 * the gateway reading from it) for ws's own 30 s close timeout.
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2000;

/** Frames a connection may send before its registration is done; more is abuse (the rate limit's burst is far below it). */
const MAX_EARLY_FRAMES = 256;

/** WebSocket.OPEN */
const OPEN = 1;

/**
 * The close code ws sends when it refuses an inbound frame, by the code of the error it emits
 * (its 'close' event then usually reports 1006: it stops reading and never sees the echo).
 */
const WS_ERROR_CLOSE_CODES = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
  WS_ERR_INVALID_UTF8: 1007,
} as const satisfies Readonly<Record<string, number>>;
/** What ws sends for every other frame it refuses. */
const WS_PROTOCOL_ERROR_CLOSE_CODE = 1002;

function wsErrorCloseCode(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(WS_ERROR_CLOSE_CODES, code) ? WS_ERROR_CLOSE_CODES[code as keyof typeof WS_ERROR_CLOSE_CODES] : WS_PROTOCOL_ERROR_CLOSE_CODE;
}

/**
 * Starts the closing handshake and destroys the socket if it has not closed within
 * CLOSE_HANDSHAKE_TIMEOUT_MS, whatever the peer does. Never throws.
 */
function closeWithin(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.CLOSED) return;
  try {
    socket.close(code, reason);
  } catch {
    socket.terminate();
    return;
  }
  const timer = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Contains a failure in one connection's handling: it is logged with a ref, the connection is
 * closed with 1011 naming the ref, and nothing reaches the process. Never throws.
 */
function containFailure(socket: WebSocket, error: unknown, stage: string, details: { userId: UserId; connectionId?: ConnectionId }, logger: Logger): string {
  const ref = generateRequestId();
  try {
    logger.error({ err: error, ref, event: 'connection_failed', stage, ...details }, 'a connection failed; it was closed with 1011');
  } catch {
    // A broken logger must not turn one failed connection into a failed process.
  }
  closeWithin(socket, CloseCode.InternalError, `internal error (ref ${ref})`);
  return ref;
}

/** Where a connecting client asked to resume: `?after_seq=`, and `?epoch=` of the stream that position was counted in. */
export interface ResumePoint {
  readonly afterSeq: number;
  readonly epoch?: string;
}

/** Where a socket points to its session, so every socket shares the same listeners. */
const kSession = Symbol('agentwire.gatewaySession');

/** How a session counts a routed frame's outcome, or fails the connection when routing itself failed. */
interface RouteHandlers {
  readonly routed: (outcome: Awaited<ReturnType<GatewayMessageRouter['route']>>) => void;
  readonly failed: (error: unknown) => void;
}
type SessionSocket = WebSocket & { [kSession]?: GatewaySession };

/**
 * One authenticated WebSocket connection: registered with a manager bound to its user, routed
 * through the gateway's router (it is the route context handlers receive), closed with 1008
 * once its token has expired (see closeExpiredSessions; a refresh_token moves the expiry),
 * logged when it opens and closes.
 * Frames that arrive while registration is in progress are kept and routed after it, in order.
 * Once the connection is closing (whoever closed it) its frames are dropped before any work.
 * A failure anywhere in its handling closes it with 1011 and a logged ref (containFailure).
 * A gateway holds one per socket, so its state is a few fields, its behaviour lives on the
 * prototype, its socket listeners are shared by all sessions, and the tracker view is made
 * only when the connection first uses it.
 */
class GatewaySession implements GatewayRouteContext {
  // Ids and the opening time live in the context only: a gateway holds one session per idle
  // connection, so every field counts (a time of day is a boxed number of its own).
  readonly userContext: UserExecutionContext;
  /** Epoch ms after which the connection closes with 1008; a refresh_token moves it later (extendValidity). */
  private validUntil: number;
  private manager: UnifiedWebSocketManager | null = null;
  private trackerView: AgentExecutionTracker | null = null;
  /** Registration is over: frames are routed as they come. */
  private registered = false;
  /** Frames that came while registering (allocated only if one does). */
  private early: { data: RawData; isBinary: boolean }[] | null = null;
  /** The close code and reason the gateway sent, when it closed the connection (the peer may never echo them). */
  private sentClose: { code: number; reason: string } | null = null;
  /** What each frame's route() is settled with: made at the first frame and kept (two closures a frame otherwise); null while none came. */
  private routeHandlers: RouteHandlers | null = null;

  constructor(
    private readonly socket: WebSocket,
    identity: Identity,
    private readonly deps: SessionDeps,
  ) {
    this.validUntil = identity.validUntil;
    this.userContext = new UserExecutionContext({
      // A connection has no thread or run: each run owns its ids (a thread_id from the client, or a new one).
      userId: identity.userId,
      connectionId: generateConnectionId(),
      createdAt: deps.now(),
    });
  }

  get connectionId(): ConnectionId {
    return this.userContext.connectionId as ConnectionId;
  }

  get userId(): UserId {
    return this.userContext.userId;
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

  cutOff(reason: string): void {
    this.deps.abuse.start(this.userId);
    this.shut(CloseCode.PolicyViolation, reason);
    // Stop reading: whatever the peer keeps sending stays in the kernel until the socket is destroyed.
    this.socket.pause();
  }

  receive(data: RawData, isBinary: boolean): void {
    // A closing connection is done: its frames cost nothing more, however many it still sends.
    if (this.socket.readyState !== OPEN) return;
    if (!this.registered) {
      const early = (this.early ??= []);
      if (early.length >= MAX_EARLY_FRAMES) this.cutOff('rate limit exceeded');
      else early.push({ data, isBinary });
      return;
    }
    // One then with both handlers, not then and catch: a promise and its reaction fewer per frame.
    const { routed, failed } = (this.routeHandlers ??= this.makeRouteHandlers());
    this.deps.router.route(this, isBinary ? data : data.toString()).then(routed, failed);
  }

  private makeRouteHandlers(): RouteHandlers {
    return {
      routed: (outcome) => {
        try {
          this.deps.metrics.countMessageIn(outcome.status === 'handled' ? outcome.type : 'refused');
          if (outcome.status !== 'handled') this.deps.metrics.errorsSent.inc({ code: outcome.code });
        } catch (error) {
          this.fail(error, 'routing');
        }
      },
      failed: (error) => this.fail(error, 'routing'),
    };
  }

  /** Closes the connection with 1008 if its token is no longer valid at `now`; true if it did (once: a closing socket is left alone). */
  expireAt(now: number): boolean {
    if (now < this.validUntil || this.socket.readyState !== OPEN) return false;
    this.shut(CloseCode.PolicyViolation, 'token expired');
    return true;
  }

  extendValidity(validUntil: number): number | null {
    // Expired (the periodic check may not have run yet) or closing: a refresh cannot revive it.
    if (this.expireAt(this.deps.now()) || this.socket.readyState !== OPEN) return null;
    // The later of the two, so refreshes that finish verifying out of order never shorten it.
    this.validUntil = Math.max(this.validUntil, validUntil);
    return this.validUntil;
  }

  closeForPolicy(reason: string): void {
    this.shut(CloseCode.PolicyViolation, reason);
  }

  /** The manager closed the connection with `code` (the peer may never echo it). */
  managerClosed(code: number, reason: string): void {
    this.sentClose ??= { code, reason };
  }

  /** ws refused an inbound frame (too large, bad UTF-8, a protocol error) and is closing with the matching code. */
  refusedFrame(error: unknown): void {
    this.sentClose ??= { code: wsErrorCloseCode(error), reason: error instanceof Error ? error.message : 'invalid frame' };
    closeWithin(this.socket, this.sentClose.code, '');
  }

  closed(code: number, reason: Buffer): void {
    (this.socket as SessionSocket)[kSession] = undefined;
    this.deps.sockets.delete(this.socket);
    this.deps.forgetRateLimit(this.connectionId);
    // When the gateway closed the connection, its code is what the connection closed with, even if the peer never echoed it.
    const sent = this.sentClose;
    this.deps.logger.info(
      {
        event: 'connection_closed',
        userId: this.userId,
        connectionId: this.connectionId,
        durationMs: this.deps.now() - this.userContext.createdAt,
        closeCode: sent?.code ?? code,
        reason: (sent?.reason ?? reason.toString('utf8')) || undefined,
      },
      'connection closed',
    );
  }

  /** Registers the connection and routes what it sent meanwhile. Never rejects: a failure closes the connection with 1011. */
  async register(resumeFrom: ResumePoint | undefined): Promise<void> {
    const { deps } = this;
    try {
      this.manager = deps.factory.createManager(this.userContext);
      await this.manager.addConnection(this.socket, {
        userId: this.userId,
        connectionId: this.connectionId,
        // The manager's own closes (1013 slow consumer, 1011 send failed, 1001 shutdown) are logged with the code it sent.
        onManagerClose: onSessionManagerClose,
        // ws confirmed what handleProtocols chose; '' (no subprotocol: a token in the Authorization header) means v1.
        protocol: chooseWireProtocol([this.socket.protocol]) ?? DEFAULT_WIRE_PROTOCOL,
        ...(resumeFrom === undefined ? {} : { afterSeq: resumeFrom.afterSeq }),
        ...(resumeFrom?.epoch === undefined ? {} : { afterEpoch: resumeFrom.epoch }),
      });
    } catch (error) {
      await this.refused(error);
      return;
    }
    try {
      deps.metrics.connectionsOpened.inc();
      deps.logger.info({ event: 'connection_opened', userId: this.userId, connectionId: this.connectionId, afterSeq: resumeFrom?.afterSeq }, 'connection opened');
      if (this.expireAt(deps.now())) return;
      this.registered = true;
      const early = this.early ?? [];
      this.early = null;
      for (const frame of early) this.receive(frame.data, frame.isBinary);
    } catch (error) {
      this.fail(error, 'registration');
    }
  }

  /** Registration was refused: 1013 for a connection limit, nothing for a client that already left, 1011 and a ref for anything else. */
  private async refused(error: unknown): Promise<void> {
    const { deps } = this;
    try {
      if ((error as { code?: unknown } | null)?.code === ManagerErrorCode.LimitExceeded) {
        deps.logger.warn({ err: error, event: 'connection_refused', userId: this.userId, connectionId: this.connectionId }, 'connection refused');
        this.shut(CloseCode.TryAgainLater, 'connection limit reached');
      } else if (this.socket.readyState === OPEN) {
        this.fail(error, 'registration');
      }
      if (this.manager !== null) await deps.factory.disposeManager(this.manager);
    } catch (failure) {
      this.fail(failure, 'registration');
    }
  }

  /** Closes the connection with 1011 and a logged ref (containFailure). */
  private fail(error: unknown, stage: string): void {
    const ref = containFailure(this.socket, error, stage, { userId: this.userId, connectionId: this.connectionId }, this.deps.logger);
    this.sentClose ??= { code: CloseCode.InternalError, reason: `internal error (ref ${ref})` };
  }

  /** Closes with `code` (once), remembering it for the log, and destroys the socket if the close does not complete promptly. */
  private shut(code: number, reason: string): void {
    if (this.sentClose !== null || this.socket.readyState !== OPEN) return;
    this.sentClose = { code, reason };
    closeWithin(this.socket, code, reason);
  }
}

function onSessionMessage(this: SessionSocket, data: RawData, isBinary: boolean): void {
  this[kSession]?.receive(data, isBinary);
}

function onSessionClose(this: SessionSocket, code: number, reason: Buffer): void {
  this[kSession]?.closed(code, reason);
}

function onSessionManagerClose(this: ConnectionTransport, code: number, reason: string): void {
  (this as SessionSocket)[kSession]?.managerClosed(code, reason);
}

function onSessionError(this: SessionSocket, error: Error): void {
  this[kSession]?.refusedFrame(error);
}

/**
 * Serves one authenticated WebSocket connection until it closes. The socket's listeners are
 * attached before anything awaits, so no frame is lost while the connection is being registered.
 * Never rejects: a failure in setting the connection up closes it with 1011 and a logged ref.
 */
export async function openSession(socket: WebSocket, identity: Identity, resumeFrom: ResumePoint | undefined, deps: SessionDeps): Promise<void> {
  // First of all, so an 'error' from a bad frame can never be an unhandled event.
  socket.on('error', onSessionError);
  let session: GatewaySession;
  try {
    session = new GatewaySession(socket, identity, deps);
  } catch (error) {
    // No session to take the socket out of the open ones when it closes: a listener of its own.
    socket.once('close', () => deps.sockets.delete(socket));
    containFailure(socket, error, 'setup', { userId: identity.userId }, deps.logger);
    return;
  }
  (socket as SessionSocket)[kSession] = session;
  socket.on('message', onSessionMessage);
  socket.on('close', onSessionClose);
  await session.register(resumeFrom);
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
