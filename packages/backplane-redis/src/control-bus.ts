import type { BackplaneStatus } from '@agentwire/protocols';
import { RunIdSchema, UserIdSchema } from '@agentwire/types';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConnectionStatus, closeClients, createRedisClient, withTimeout } from './connections';
import { InvalidBackplaneArgumentError, RedisComponentClosedError } from './errors';
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

/** What travels on a process's control channel. */
const ControlWireSchema = z.object({ from: z.string(), command: ControlCommandSchema });

/** Handles a command another process sent here; `from` is the sender's processId. */
export type ControlHandler = (command: ControlCommand, from: string) => void;

/**
 * Commands routed to one process (e.g. cancel_run for the process that runs the run; find it
 * with RedisRunDirectory.owner). Each process listens on its own channel. Delivery is pub/sub,
 * at most once: send resolves with the number of processes that received the command, so 0
 * means nobody listens under that id (the process is gone: the run is an orphan, which the run
 * directory's takeover ends). Received commands are validated; invalid ones go to onError.
 */
export class RedisControlBus {
  readonly options: ResolvedRedisOptions;
  private readonly keys: RedisKeys;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly connection: ConnectionStatus;
  private readonly handlers = new Set<ControlHandler>();
  private readonly listening: Promise<unknown>;
  private closed = false;

  constructor(options: RedisBackplaneOptions) {
    this.options = resolveRedisOptions(options);
    this.keys = new RedisKeys(this.options.keyPrefix);
    this.publisher = createRedisClient(this.options, 'control', false);
    // ioredis subscribes the channel again after each reconnect.
    this.subscriber = createRedisClient(this.options, 'control-sub', true);
    this.connection = new ConnectionStatus([this.publisher, this.subscriber], () => undefined);
    const channel = this.keys.control(this.options.processId);
    this.subscriber.on('message', (from: string, payload: string) => {
      if (from === channel) this.receive(payload);
    });
    this.listening = this.subscriber.subscribe(channel);
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
    if (this.closed) throw new RedisComponentClosedError('control bus');
    const parsed = ControlCommandSchema.safeParse(command);
    if (!parsed.success) throw new InvalidBackplaneArgumentError('command', parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    const payload = JSON.stringify({ from: this.processId, command: parsed.data });
    return withTimeout(this.publisher.publish(this.keys.control(processId), payload), this.options.requestTimeoutMs, `sending ${command.type}`);
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
    this.connection.markClosed();
    await closeClients([this.publisher, this.subscriber], this.options.closeTimeoutMs);
  }

  private receive(payload: string): void {
    let parsed: z.infer<typeof ControlWireSchema>;
    try {
      parsed = ControlWireSchema.parse(JSON.parse(payload));
    } catch (error) {
      this.options.onError(error, 'control command');
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
}
