import type { BackplaneStatus } from '@agentwirejs/protocols';
import { RunIdSchema, UserIdSchema, generateRequestId } from '@agentwirejs/types';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConnectionStatus, closeClients, createRedisClient, withTimeout } from './connections';
import { BackplaneUnavailableError, InvalidBackplaneArgumentError, RedisComponentClosedError } from './errors';
import { RedisKeys } from './keys';
import { type RedisBackplaneOptions, type ResolvedRedisOptions, resolveRedisOptions } from './options';

/** A command for another process, e.g. `{type: 'cancel_run', userId, runId}`. */
export const ControlCommandSchema = z.object({
  type: z.string().min(1).max(64),
  userId: UserIdSchema.optional(),
  runId: RunIdSchema.optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
});
export type ControlCommand = z.infer<typeof ControlCommandSchema>;

/** What a process answers to a request: the value its handler resolved with, or why it could not answer. */
export type ControlAnswer =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly message: string };

const ControlAnswerSchema = z.union([
  z.object({ ok: z.literal(true), value: z.record(z.string(), z.unknown()) }),
  z.object({ ok: z.literal(false), code: z.string().max(64), message: z.string().max(1000) }),
]);

/** What travels on a control channel: a command (a request when it carries request_id), or the answer to a request. */
const ControlWireSchema = z.union([
  z.object({ from: z.string(), command: ControlCommandSchema, request_id: z.string().max(64).optional() }),
  z.object({ from: z.string(), reply_to: z.string().max(64), answer: ControlAnswerSchema }),
]);

/** Handles a command another process sent here; `from` is the sender's processId. */
export type ControlHandler = (command: ControlCommand, from: string) => void;

/**
 * Answers a request of one type; what it resolves with goes back to the requester. A rejection
 * with an error that has a string `code` is answered as {ok: false, code, message}; any other
 * rejection as code `internal_error` (and reported to onError).
 */
export type RequestHandler = (command: ControlCommand, from: string) => Promise<Record<string, unknown>>;

/** The answers to a request sent to every other process: `asked` processes received it. */
export interface ControlAnswers {
  readonly asked: number;
  readonly answers: readonly { readonly from: string; readonly answer: ControlAnswer }[];
}

/** The code of the answer of a process that has no handler for a request's type. */
export const UNKNOWN_REQUEST_CODE = 'unknown_request';
const INTERNAL_ERROR_CODE = 'internal_error';

/** A request waiting for its answers. */
interface PendingRequest {
  expected: number;
  readonly answers: { from: string; answer: ControlAnswer }[];
  readonly done: () => void;
}

/**
 * Commands routed to one process (e.g. cancel_run for the process that runs the run; find it
 * with RedisRunDirectory.owner). Each process listens on its own channel. Delivery is pub/sub,
 * at most once: send resolves with the number of processes that received the command, so 0
 * means nobody listens under that id (the process is gone: the run is an orphan, which the run
 * directory's takeover ends). Received commands are validated; invalid ones go to onError.
 *
 * Requests are commands that get an answer: `request` asks one process, `requestOthers` every
 * other live process (through a channel all of them listen on; PUBLISH tells how many received
 * it, so the answers to wait for are known). Each waits at most requestTimeoutMs.
 */
export class RedisControlBus {
  readonly options: ResolvedRedisOptions;
  private readonly keys: RedisKeys;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  /** On a Redis Cluster: sharded pub/sub. */
  private readonly sharded: boolean;
  private readonly connection: ConnectionStatus;
  private readonly handlers = new Set<ControlHandler>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly listening: Promise<unknown>;
  private closed = false;

  constructor(options: RedisBackplaneOptions) {
    this.options = resolveRedisOptions(options);
    this.keys = new RedisKeys(this.options.keyPrefix);
    // On a Cluster a classic PUBLISH reports only the subscribers of the node it reached, so
    // "nobody listens under that id" would be wrong: sharded pub/sub (SPUBLISH, SSUBSCRIBE) sends
    // every control channel, which shares the prefix's hash slot, through the one shard that owns it.
    this.sharded = 'cluster' in this.options.connectTo;
    this.publisher = createRedisClient(this.options, 'control', false);
    // ioredis subscribes the channel again after each reconnect.
    this.subscriber = createRedisClient(this.options, 'control-sub', true, this.sharded);
    this.connection = new ConnectionStatus([this.publisher, this.subscriber], () => undefined);
    const channel = this.keys.control(this.options.processId);
    const everyone = this.keys.controlAll();
    this.subscriber.on(this.sharded ? 'smessage' : 'message', (from: string, payload: string) => {
      if (from === channel || from === everyone) this.receive(payload);
    });
    this.listening = this.sharded ? this.subscriber.ssubscribe(channel, everyone) : this.subscriber.subscribe(channel, everyone);
    this.listening.catch((error: unknown) => this.options.onError(error, 'control subscribe'));
  }

  get processId(): string {
    return this.options.processId;
  }

  /** Resolves once connected and listening; rejects with BackplaneUnavailableError after connectTimeoutMs. */
  async connect(): Promise<void> {
    await this.connection.waitUntilReady(this.options.connectTimeoutMs);
    await withTimeout(this.listening, this.options.connectTimeoutMs, 'listening for commands');
  }

  status(): BackplaneStatus {
    return this.closed ? 'closed' : this.connection.status;
  }

  /** Sends a command to a process; resolves with how many received it (0 or 1). Throws InvalidBackplaneArgumentError for a malformed command. */
  async send(processId: string, command: ControlCommand): Promise<number> {
    return this.publish(this.keys.control(processId), command, undefined);
  }

  /**
   * Asks one process; resolves with its answer, or null when no process listens under that id.
   * Rejects with BackplaneUnavailableError when no answer comes within requestTimeoutMs.
   */
  async request(processId: string, command: ControlCommand): Promise<ControlAnswer | null> {
    const { answers, asked } = await this.ask(this.keys.control(processId), command, 0);
    if (asked === 0) return null;
    const first = answers[0];
    if (first === undefined) throw new BackplaneUnavailableError(`process ${processId} did not answer ${command.type} within ${this.options.requestTimeoutMs} ms`);
    return first.answer;
  }

  /**
   * Asks every other live process; resolves with the answers that came within requestTimeoutMs
   * (fewer than `asked` when a process did not answer in time).
   */
  async requestOthers(command: ControlCommand): Promise<ControlAnswers> {
    // this process listens on the shared channel too, and ignores its own requests there
    return this.ask(this.keys.controlAll(), command, 1);
  }

  /** Registers the handler of one request type (one per type); returns the function that removes it. */
  onRequest(type: string, handler: RequestHandler): () => void {
    if (this.requestHandlers.has(type)) throw new InvalidBackplaneArgumentError('request type', `${type} already has a handler`);
    this.requestHandlers.set(type, handler);
    return () => {
      if (this.requestHandlers.get(type) === handler) this.requestHandlers.delete(type);
    };
  }

  /** Registers a handler for commands sent to this process; returns the function that removes it. */
  onCommand(handler: ControlHandler): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.requestHandlers.clear();
    for (const request of this.pending.values()) request.done();
    this.connection.markClosed();
    await closeClients([this.publisher, this.subscriber], this.options.closeTimeoutMs);
  }

  /** PUBLISH (SPUBLISH on a Cluster); resolves with the number of receivers. */
  private publishTo(channel: string, payload: string): Promise<number> {
    return this.sharded ? this.publisher.spublish(channel, payload).then(Number) : this.publisher.publish(channel, payload);
  }

  private async publish(channel: string, command: ControlCommand, requestId: string | undefined): Promise<number> {
    if (this.closed) throw new RedisComponentClosedError('control bus');
    const parsed = ControlCommandSchema.safeParse(command);
    if (!parsed.success) throw new InvalidBackplaneArgumentError('command', parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    const payload = JSON.stringify({ from: this.processId, command: parsed.data, ...(requestId === undefined ? {} : { request_id: requestId }) });
    return withTimeout(this.publishTo(channel, payload), this.options.requestTimeoutMs, `sending ${command.type}`);
  }

  /** Publishes a request and collects answers until all `receivers - ignoredReceivers` answered or requestTimeoutMs passed. */
  private async ask(channel: string, command: ControlCommand, ignoredReceivers: number): Promise<ControlAnswers> {
    const requestId = generateRequestId();
    let timer: NodeJS.Timeout | undefined;
    let finish = (): void => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    // Registered before publishing: an answer may arrive before PUBLISH's reply does.
    const request: PendingRequest = { expected: Number.POSITIVE_INFINITY, answers: [], done: () => finish() };
    this.pending.set(requestId, request);
    try {
      const receivers = await this.publish(channel, command, requestId);
      request.expected = Math.max(0, receivers - ignoredReceivers);
      if (request.answers.length < request.expected) {
        timer = setTimeout(finish, this.options.requestTimeoutMs);
        await finished;
      }
      return { asked: request.expected, answers: request.answers.slice(0, request.expected) };
    } finally {
      clearTimeout(timer);
      this.pending.delete(requestId);
    }
  }

  private receive(payload: string): void {
    let parsed: z.infer<typeof ControlWireSchema>;
    try {
      parsed = ControlWireSchema.parse(JSON.parse(payload));
    } catch (error) {
      this.options.onError(error, 'control command');
      return;
    }
    if ('reply_to' in parsed) {
      const request = this.pending.get(parsed.reply_to);
      if (request === undefined) return; // answered after its timeout
      request.answers.push({ from: parsed.from, answer: parsed.answer });
      if (request.answers.length >= request.expected) request.done();
      return;
    }
    if (parsed.request_id !== undefined) {
      if (parsed.from !== this.processId) this.answer(parsed.command, parsed.from, parsed.request_id);
      return;
    }
    for (const handler of this.handlers) {
      try {
        handler(parsed.command, parsed.from);
      } catch (error) {
        this.options.onError(error, `control handler ${parsed.command.type}`);
      }
    }
  }

  /** Runs the request's handler and publishes its answer on the requester's channel. */
  private answer(command: ControlCommand, from: string, requestId: string): void {
    const handler = this.requestHandlers.get(command.type);
    const answering: Promise<ControlAnswer> =
      handler === undefined
        ? Promise.resolve({ ok: false, code: UNKNOWN_REQUEST_CODE, message: `process ${this.processId} answers no ${command.type} request` })
        : handler(command, from).then(
            (value): ControlAnswer => ({ ok: true, value }),
            (error: unknown): ControlAnswer => {
              const code = (error as { code?: unknown } | null)?.code;
              if (typeof code === 'string' && code.length <= 64) return { ok: false, code, message: error instanceof Error ? error.message.slice(0, 1000) : code };
              this.options.onError(error, `control request ${command.type}`);
              return { ok: false, code: INTERNAL_ERROR_CODE, message: `process ${this.processId} failed to answer ${command.type}` };
            },
          );
    void answering
      .then(async (answer) => {
        if (this.closed) return;
        const payload = JSON.stringify({ from: this.processId, reply_to: requestId, answer });
        await withTimeout(this.publishTo(this.keys.control(from), payload), this.options.requestTimeoutMs, `answering ${command.type}`);
      })
      .catch((error: unknown) => this.options.onError(error, `control answer ${command.type}`));
  }
}
