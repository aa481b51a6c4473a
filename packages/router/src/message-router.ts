import { ErrorCode, RequestIdSchema, isProtocolExtensions, isWireErrorCode } from '@agentwirejs/protocols';
import type {
  AppMessageOf,
  AppMessageType,
  ClientMessageOf,
  ClientMessageType,
  NoProtocolExtensions,
  OutboundMessage,
  ProtocolExtensions,
  WireErrorCode,
} from '@agentwirejs/protocols';
import { generateRequestId } from '@agentwirejs/types';
import { MessageTypes, Refusal, decodeFrame, validateMessage } from './decode-frame';
import { MessageRejectedError, RouterErrorCode, RouterSetupError, type RouteRejection } from './errors';
import type { RouteContext, RouterLogger } from './route-context';

/** The client message types a router with extensions X can route: the wire contract's and the app's. */
export type RoutableType<X extends ProtocolExtensions = NoProtocolExtensions> = ClientMessageType | AppMessageType<X>;

/**
 * What a handler may return to put into the request's `ack` (sent when the message carried a
 * request_id): the run a start_agent or user_message started.
 */
export interface RequestAck {
  readonly run_id?: string;
  readonly thread_id?: string;
}

/** Handles one validated client message of built-in type T for the connection described by the context. */
export type RouteHandler<T extends ClientMessageType, C extends RouteContext = RouteContext> = (
  message: ClientMessageOf<T>,
  context: C,
) => void | RequestAck | Promise<unknown>;

/** Handles one client message of app type T (extensions X), as parsed by the app's schema of T. */
export type AppRouteHandler<X extends ProtocolExtensions, T extends AppMessageType<X>, C extends RouteContext = RouteContext> = (
  message: AppMessageOf<X, T>,
  context: C,
) => void | RequestAck | Promise<unknown>;

/**
 * Runs on every frame before it is parsed (so a rate limit counts garbage too). Returns a
 * RouteRejection to refuse the frame, or nothing to let it through.
 */
export type RouteMiddleware<C extends RouteContext = RouteContext> = (
  context: C,
  frame: unknown,
) => RouteRejection | void | Promise<RouteRejection | void>;

/** What became of one frame, for the gateway's metrics and logs; T is the router's RoutableType. */
export type RouteOutcome<T extends string = ClientMessageType> =
  /** A handler ran and returned normally. */
  | { readonly status: 'handled'; readonly type: T }
  /** The frame was refused with an error reply (a built-in code or the app's own); `type` is set once the frame named a known type. */
  | { readonly status: 'rejected'; readonly code: WireErrorCode; readonly type?: T }
  /** A handler or middleware threw; the sender got internal_error with `ref`, the log has the details. */
  | { readonly status: 'error'; readonly code: typeof ErrorCode.InternalError; readonly ref: string; readonly type?: T };

export interface MessageRouterOptions<X extends ProtocolExtensions = NoProtocolExtensions> {
  /** Where handler failures (with their ref) and failed replies are logged. Required: failures are never silent. */
  readonly logger: RouterLogger;
  /**
   * The app's own client message types, made by `defineProtocolExtensions` in @agentwirejs/protocols
   * (default: none). Their frames are validated by their schemas and routed like built-in ones;
   * `on()` then accepts their types and types their handlers' messages.
   */
  readonly extensions?: X;
}

type AnyHandler<C> = (message: { readonly type: string }, context: C) => unknown;

/** The request_id a frame carries, read without trusting anything else in it (undefined when none or not one). */
function peekRequestId(frame: unknown): string | undefined {
  if (typeof frame !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(frame);
    const id = typeof value === 'object' && value !== null ? (value as { request_id?: unknown }).request_id : undefined;
    return RequestIdSchema.safeParse(id).success ? (id as string) : undefined;
  } catch {
    return undefined;
  }
}

/** The run ids a handler's result names, for the ack. */
function ackDetails(result: unknown): RequestAck {
  if (typeof result !== 'object' || result === null) return {};
  const { run_id: runId, thread_id: threadId } = result as { run_id?: unknown; thread_id?: unknown };
  return { ...(typeof runId === 'string' ? { run_id: runId } : {}), ...(typeof threadId === 'string' ? { thread_id: threadId } : {}) };
}

/**
 * The one router of client messages. A gateway creates one, registers its handlers and
 * middleware, then calls `route(context, frame)` for every inbound frame of every connection.
 * Nothing is global: handlers live on this instance, and a handler sees only the context of
 * the connection that sent the frame. The first `route()` seals the router, so no connection
 * can add a handler that would run for other users (legacy defect §8.5).
 *
 * Per frame, in order: middleware (first rejection wins) → JSON (invalid_json) → object with
 * a known `type`, built in or added by the router's extensions (invalid_message /
 * unknown_message_type) → a handler for that type (unknown_message_type) → the type's schema
 * (invalid_message, naming the path) → the handler.
 * A refusal is answered with one `error` message to the sending connection only. A message that
 * carries a `request_id` gets exactly one answer naming it: that `error`, or an `ack` once its
 * handler has returned (with the run ids the handler returned, RequestAck).
 * When every middleware is synchronous, the handler is invoked before `route()` first yields,
 * so handlers are called in frame order even if the caller does not await.
 */
export class MessageRouter<C extends RouteContext = RouteContext, X extends ProtocolExtensions = NoProtocolExtensions> {
  // keyed by plain string, so a router with extensions is still a MessageRouter<C, ProtocolExtensions>
  private readonly handlers = new Map<string, AnyHandler<C>>();
  private readonly middleware: RouteMiddleware<C>[] = [];
  private readonly logger: RouterLogger;
  private readonly types: MessageTypes;
  private sealed = false;

  constructor(options: MessageRouterOptions<X>) {
    if (typeof options?.logger?.error !== 'function' || typeof options.logger.warn !== 'function') {
      throw new RouterSetupError(RouterErrorCode.InvalidOption, 'MessageRouter needs a logger with error() and warn()');
    }
    if (options.extensions !== undefined && !isProtocolExtensions(options.extensions)) {
      throw new RouterSetupError(RouterErrorCode.InvalidOption, 'extensions must be made by defineProtocolExtensions (@agentwirejs/protocols), which checks them');
    }
    this.logger = options.logger;
    this.types = new MessageTypes(options.extensions);
  }

  /**
   * Registers the handler of one client message type (one per type): a built-in type, or one the
   * router's extensions add. Returns the router for chaining.
   */
  on<T extends ClientMessageType>(type: T, handler: RouteHandler<T, C>): this;
  on<T extends AppMessageType<X>>(type: T, handler: AppRouteHandler<X, T, C>): this;
  on(type: string, handler: (message: never, context: C) => void | Promise<unknown>): this {
    this.assertOpen(`on('${String(type)}')`);
    if (typeof type !== 'string' || !this.types.has(type)) {
      throw new RouterSetupError(RouterErrorCode.UnknownType, `'${String(type)}' is not a client message type of this router (${this.types.list})`);
    }
    if (typeof handler !== 'function') throw new RouterSetupError(RouterErrorCode.InvalidOption, `the handler of '${type}' must be a function`);
    if (this.handlers.has(type)) throw new RouterSetupError(RouterErrorCode.HandlerConflict, `'${type}' already has a handler`);
    this.handlers.set(type, handler as AnyHandler<C>);
    return this;
  }

  /** Adds a middleware; middleware run in the order they were added, before parsing. */
  use(middleware: RouteMiddleware<C>): this {
    this.assertOpen('use()');
    if (typeof middleware !== 'function') throw new RouterSetupError(RouterErrorCode.InvalidOption, 'a middleware must be a function');
    this.middleware.push(middleware);
    return this;
  }

  /** The message types this router has handlers for, in registration order. */
  get handledTypes(): readonly RoutableType<X>[] {
    return [...this.handlers.keys()] as RoutableType<X>[];
  }

  /** True once `route()` has been called: `on()` and `use()` then throw ROUTER_SEALED. */
  get isSealed(): boolean {
    return this.sealed;
  }

  /**
   * Routes one inbound frame of the connection `context` describes. `frame` is the text of a
   * text frame; anything else (a Buffer of a binary frame, an ArrayBuffer) is answered with
   * invalid_message. Never throws or rejects: every failure becomes an error reply and an outcome.
   */
  async route(context: C, frame: unknown): Promise<RouteOutcome<RoutableType<X>>> {
    this.sealed = true;
    let type: RoutableType<X> | undefined;
    let requestId: string | undefined;
    try {
      // Indexed: for-of made an iterator for every frame here (an async function: not optimized away).
      for (let index = 0; index < this.middleware.length; index += 1) {
        const pending = (this.middleware[index] as RouteMiddleware<C>)(context, frame);
        const verdict = isPromiseLike(pending) ? await pending : pending;
        if (verdict) return await this.refuse(context, verdict, undefined, peekRequestId(frame));
      }
      const decoded = decodeFrame(frame, this.types);
      if (decoded instanceof Refusal) return await this.refuse(context, decoded, undefined, peekRequestId(frame));
      type = decoded.type as RoutableType<X>;
      const claimed = decoded.body['request_id'];
      if (claimed !== undefined) {
        if (!RequestIdSchema.safeParse(claimed).success) {
          return await this.refuse(context, { code: ErrorCode.InvalidMessage, message: 'request_id: must be 1 to 64 visible ASCII characters' }, type);
        }
        requestId = claimed as string;
      }
      const handler = this.handlers.get(type);
      if (handler === undefined) {
        return await this.refuse(context, { code: ErrorCode.UnknownMessageType, message: `this server does not handle "${type}" messages` }, type, requestId);
      }
      const validated = validateMessage(decoded, this.types);
      if (validated instanceof Refusal) return await this.refuse(context, validated, type, requestId);
      const pending = handler(validated, context);
      const result: unknown = isPromiseLike(pending) ? await pending : pending;
      if (requestId !== undefined) await this.send(context, { type: 'ack', payload: { request_id: requestId, ...ackDetails(result) } }, type);
      return { status: 'handled', type };
    } catch (error) {
      if (error instanceof MessageRejectedError && isWireErrorCode(error.code)) {
        return await this.refuse(context, { code: error.code, message: error.message }, type, requestId);
      }
      return await this.fail(context, error, type, requestId);
    }
  }

  private assertOpen(what: string): void {
    if (this.sealed) {
      throw new RouterSetupError(RouterErrorCode.Sealed, `${what} after the first route(): register every handler and middleware before serving connections`);
    }
  }

  private async refuse(context: C, rejection: RouteRejection, type?: RoutableType<X>, requestId?: string): Promise<RouteOutcome<RoutableType<X>>> {
    if (!isWireErrorCode(rejection.code)) {
      return this.fail(context, new TypeError(`rejection with unknown error code ${JSON.stringify(rejection.code)}`), type, requestId);
    }
    await this.reply(context, { code: rejection.code, message: String(rejection.message), ...(requestId === undefined ? {} : { request_id: requestId }) }, type);
    return type === undefined ? { status: 'rejected', code: rejection.code } : { status: 'rejected', code: rejection.code, type };
  }

  private async fail(context: C, error: unknown, type?: RoutableType<X>, requestId?: string): Promise<RouteOutcome<RoutableType<X>>> {
    const ref = generateRequestId();
    this.log('error', { err: error, ref, userId: context.userId, connectionId: context.connectionId, type }, 'routing a message failed');
    await this.reply(context, { code: ErrorCode.InternalError, message: `internal error (ref ${ref})`, ref, ...(requestId === undefined ? {} : { request_id: requestId }) }, type);
    const outcome = { status: 'error', code: ErrorCode.InternalError, ref } as const;
    return type === undefined ? outcome : { ...outcome, type };
  }

  /** Sends an error to the sending connection only; a failed send is logged, not thrown. */
  private async reply(context: C, payload: { code: WireErrorCode; message: string; ref?: string; request_id?: string }, type?: RoutableType<X>): Promise<void> {
    await this.send(context, { type: 'error', payload }, type, { code: payload.code });
  }

  /** Sends a connection-scoped answer (error, ack) to the sending connection only; a failed send is logged, not thrown. */
  private async send(context: C, message: OutboundMessage, type?: RoutableType<X>, details: object = {}): Promise<void> {
    try {
      const pending = context.reply(message);
      if (isPromiseLike(pending)) await pending;
    } catch (error) {
      this.log('warn', { err: error, ...details, userId: context.userId, connectionId: context.connectionId, type }, `${message.type} reply could not be sent`);
    }
  }

  private log(level: 'error' | 'warn', details: object, message: string): void {
    try {
      this.logger[level](details, message);
    } catch {
      // A broken logger must not turn one bad frame into an escaped exception.
    }
  }
}

/** Awaiting only real promises keeps the synchronous path synchronous (and frame order intact). */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}
