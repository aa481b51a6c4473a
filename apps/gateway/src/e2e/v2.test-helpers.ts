import { EventSchemas } from '@ag-ui/core/schemas';
import {
  CONNECTION_SCOPED_MESSAGE_TYPES,
  EventType,
  RUN_EVENT_TYPES,
  RunEventEnvelopeSchema,
  SERVER_MESSAGE_SCHEMAS,
  ServerEnvelopeSchema,
  type ServerEnvelope,
  V2ReplayGapSchema,
  V2ServerMessageSchema,
  WireProtocol,
} from '@agentwirejs/protocols';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import Redis from 'ioredis';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway, GatewayOptions } from '../gateway';
import { TestClient, deleteRedisKeys, isRunEnd, startTestGateway } from './harness.test-helpers';

/**
 * Shared helpers of the agentwire.v2 end-to-end specs (streaming, interrupts, app-defined types):
 * a pool of real ws clients whose every message is checked against the wire contract (run events
 * against @ag-ui/core's EventSchemas), readers of streamed text, and gateways over the real Redis.
 */

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A stream envelope as agentwire.v2 writes it: a compacted delta also carries `first_seq`. */
export type V2Envelope = ServerEnvelope & { readonly first_seq?: number };

const CONNECTION_MESSAGE_TYPES: ReadonlySet<string> = new Set(CONNECTION_SCOPED_MESSAGE_TYPES);

/**
 * What is wrong with the messages one client received, one line per problem (empty when all is
 * well). Every AG-UI run event's payload must pass `EventSchemas` from @ag-ui/core/schemas and
 * carry the envelope's type; on v2 the envelope must be a run event envelope (or a replay gap);
 * agentwire's own messages must fit their schema; anything else (an app's reply) must at least be
 * an envelope.
 */
export function wireProblems(messages: readonly ServerEnvelope[], protocol: WireProtocol): string[] {
  const problems: string[] = [];
  const problem = (index: number, message: ServerEnvelope, what: string) => problems.push(`#${index} ${message.type} (seq ${String(message.seq)}): ${what}`);
  messages.forEach((message, index) => {
    if (RUN_EVENT_TYPES.has(message.type)) {
      const event = EventSchemas.safeParse(message.payload);
      if (!event.success) problem(index, message, `payload is not an AG-UI event: ${event.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      if (message.payload['type'] !== message.type) problem(index, message, `payload.type is ${String(message.payload['type'])}`);
      const gap = message.type === EventType.CUSTOM && message.payload['name'] === 'agentwire.replay_gap';
      const envelope = (gap ? V2ReplayGapSchema : RunEventEnvelopeSchema).safeParse(message);
      if (!envelope.success) problem(index, message, `not a v2 run event envelope: ${envelope.error.issues.map((issue) => issue.message).join('; ')}`);
      return;
    }
    if (protocol === WireProtocol.V2 && CONNECTION_MESSAGE_TYPES.has(message.type)) {
      const parsed = V2ServerMessageSchema.safeParse(message);
      if (!parsed.success) problem(index, message, 'not a valid v2 connection message');
      return;
    }
    const schema = protocol === WireProtocol.V1 ? (SERVER_MESSAGE_SCHEMAS as Readonly<Record<string, { safeParse(value: unknown): { success: boolean } }>>)[message.type] : undefined;
    if (schema !== undefined) {
      if (!schema.safeParse(message).success) problem(index, message, 'not a valid v1 message');
      return;
    }
    if (!ServerEnvelopeSchema.safeParse(message).success) problem(index, message, 'not an envelope');
  });
  return problems;
}

/** The clients one spec opened: each is checked against the wire contract and closed after every test. */
export class ClientPool {
  private readonly open: { client: TestClient; protocol: WireProtocol }[] = [];

  async connect(gateway: Gateway, tokens: TokenService, userId: string, options: { query?: string; protocol?: WireProtocol } = {}): Promise<TestClient> {
    const client = await TestClient.connect(gateway, tokens, userId, options);
    this.open.push({ client, protocol: options.protocol ?? WireProtocol.V2 });
    return client;
  }

  /** Problems of every message every client received (see wireProblems). */
  problems(): string[] {
    return this.open.flatMap(({ client, protocol }, index) => wireProblems(client.messages, protocol).map((line) => `client ${index} (${protocol}): ${line}`));
  }

  /** Terminates every client (a paused one cannot finish a close handshake) and returns the problems of what they received. */
  finish(): string[] {
    const problems = this.problems();
    for (const { client } of this.open.splice(0)) client.socket.terminate();
    return problems;
  }
}

/** Stops reading the client's socket: the server's frames pile up in the kernel, then in the server's send queue. */
export function stopReading(client: TestClient): void {
  client.socket.pause();
}

export function startReading(client: TestClient): void {
  client.socket.resume();
}

/** The stream envelopes a client received (seq not null), as v2 writes them. */
export function streamOf(client: TestClient, from = 0): V2Envelope[] {
  return client.messages.slice(from).filter((message) => message.seq !== null) as V2Envelope[];
}

export function isContent(message: ServerEnvelope): boolean {
  return message.type === EventType.TEXT_MESSAGE_CONTENT;
}

/** The text the TEXT_MESSAGE_CONTENT envelopes among `messages` spell, in the order received. */
export function textOf(messages: readonly ServerEnvelope[]): string {
  return messages
    .filter(isContent)
    .map((message) => message.payload['delta'] as string)
    .join('');
}

/** The position a client keeps after an envelope: its seq (a compacted envelope's seq is the last position it covers). */
export function lastSeqOf(client: TestClient): number {
  return Math.max(0, ...streamOf(client).map((message) => message.seq as number));
}

/** The epoch connection_established named (the last one, after reconnects on the same client object there is one each). */
export function epochOf(client: TestClient): string {
  const greeting = client.ofType('connection_established').at(-1);
  return String(greeting?.payload['epoch']);
}

/** A run's terminal event (RUN_FINISHED or RUN_ERROR): harness.test-helpers' isRunEnd, under the name these suites use. */
export const isTerminal = (message: ServerEnvelope): boolean => isRunEnd(message);

/**
 * Checks a client's stream positions: strictly increasing, and every position from the first
 * received to the last is accounted for, alone or inside a compacted envelope's first_seq..seq.
 * Returns the problems (empty when the bookkeeping holds).
 */
export function seqProblems(envelopes: readonly V2Envelope[]): string[] {
  const problems: string[] = [];
  let previous: number | null = null;
  for (const envelope of envelopes) {
    const seq = envelope.seq as number;
    const first = envelope.first_seq ?? seq;
    if (first > seq) problems.push(`first_seq ${first} above seq ${seq}`);
    if (previous !== null && seq <= previous) problems.push(`seq ${seq} after ${previous}`);
    if (previous !== null && first !== previous + 1) problems.push(`seq ${first}..${seq} after ${previous}: positions missing or repeated`);
    previous = seq;
  }
  return problems;
}

/** The unified manager's counters of a gateway started in this process. */
export function managerStats(gateway: Gateway) {
  return gateway.server.container.resolve(WebSocketManagerFactory).getUnifiedManager().getStats();
}

/** Gateways in this process sharing the real Redis under one key prefix, as separate processes would (each has its own process id and Redis connections). */
export class RedisGateways {
  readonly prefix: string;
  private readonly started: Gateway[] = [];
  private tokenService: TokenService | null = null;

  constructor(name: string) {
    this.prefix = `agentwire-test:${name}-${process.pid}-${Date.now()}:`;
  }

  async start(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<Gateway> {
    const { gateway, tokens } = await startTestGateway({ AGENTWIRE_REDIS_URL: REDIS_URL, AGENTWIRE_REDIS_KEY_PREFIX: this.prefix, ...env }, options);
    this.started.push(gateway);
    this.tokenService = tokens;
    return gateway;
  }

  get tokens(): TokenService {
    if (this.tokenService === null) throw new Error('no gateway started yet');
    return this.tokenService;
  }

  /** Stops every gateway and deletes every key they wrote. */
  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((gateway) => gateway.stop()));
    const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    try {
      await deleteRedisKeys(admin, this.prefix);
    } finally {
      await admin.quit();
    }
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
