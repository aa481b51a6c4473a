import { type ChildProcess, spawn } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { EventSchemas } from '@ag-ui/core/schemas';
import { type AppConfig, loadConfig } from '@agentwirejs/config';
import {
  AgentwireCustomEvent,
  DELTA_EVENT_TYPES,
  EventType,
  RUN_EVENT_TYPES,
  RunEventEnvelopeSchema,
  CONNECTION_SCOPED_MESSAGE_TYPES,
  SERVER_MESSAGE_SCHEMAS,
  TERMINAL_RUN_EVENT_TYPES,
  ServerEnvelopeSchema,
  ServerMessageSchema,
  type ServerEnvelope,
  V2ReplayGapSchema,
  WireProtocol,
} from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import { TokenService } from '@agentwirejs/server';
import { Gateway, type GatewayOptions } from '../gateway';

export const TEST_SECRET = 'test-secret-of-at-least-32-characters!';

/** A gateway on 127.0.0.1, port 0, test mode, silent logs (unless given a logger). */
export async function startTestGateway(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<{ gateway: Gateway; config: AppConfig; tokens: TokenService }> {
  const config = loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_PORT: '0', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_LOG_LEVEL: 'silent', ...env });
  const gateway = await Gateway.start(config, { logger: pino({ level: 'silent' }), ...options });
  return { gateway, config, tokens: new TokenService({ secret: TEST_SECRET }) };
}

export function wsUrl(gateway: Gateway, query = ''): string {
  return `${gateway.url.replace(/^http/, 'ws')}ws${query}`;
}

/** A real ws client that records every envelope it receives. */
export class TestClient {
  readonly messages: ServerEnvelope[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private constructor(
    readonly socket: WebSocket,
    /** The protocol this client asked for (what its messages are checked against). */
    readonly protocol: WireProtocol,
  ) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as ServerEnvelope));
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  /**
   * Opens a connection authenticated as `userId` with subprotocol auth, speaking `protocol`
   * (default agentwire.v2, the canonical one; agentwire.v1 for the translation at the edge).
   */
  static async connect(
    gateway: Gateway,
    tokens: TokenService,
    userId: string,
    options: { query?: string; ttlSeconds?: number; protocol?: WireProtocol } = {},
  ): Promise<TestClient> {
    const { token } = await tokens.issue(userId as UserId, options.ttlSeconds ?? 600);
    const protocol = options.protocol ?? WireProtocol.V2;
    const socket = new WebSocket(wsUrl(gateway, options.query), [protocol, `bearer.${token}`]);
    const client = new TestClient(socket, protocol);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await client.waitFor((m) => m.type === 'connection_established');
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Stream envelopes (seq not null). */
  get stream(): ServerEnvelope[] {
    return this.messages.filter((m) => m.seq !== null);
  }

  ofType(type: string): ServerEnvelope[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** Every message received that breaks the contract of this client's protocol (wireProblems); empty when all are valid. */
  wireProblems(): string[] {
    return wireProblems(this.messages, this.protocol);
  }

  /** Resolves with the first message (after `from`) matching, or rejects after `timeoutMs`. */
  async waitFor(predicate: (message: ServerEnvelope) => boolean, timeoutMs = 10_000, from = 0): Promise<ServerEnvelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out; received: ${summarizeTypes(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Resolves when `count` messages match. */
  async waitForCount(predicate: (message: ServerEnvelope) => boolean, count: number, timeoutMs = 20_000): Promise<ServerEnvelope[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.filter(predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`timed out with ${found.length} of ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async waitForClose(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      if (Date.now() > deadline) throw new Error('the connection did not close');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.closeCode;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close();
    await closed;
  }
}

/** The types of `messages` in order, each run of one type as `TYPE ×n` (so a long stream stays readable in a failure). */
export function summarizeTypes(messages: readonly { type: string }[]): string {
  const runs: [string, number][] = [];
  for (const { type } of messages) {
    const last = runs.at(-1);
    if (last !== undefined && last[0] === type) last[1] += 1;
    else runs.push([type, 1]);
  }
  return runs.map(([type, count]) => (count === 1 ? type : `${type} ×${count}`)).join(', ');
}

/** An agentwire.v2 run's terminal event: RUN_FINISHED (success or cancelled) or RUN_ERROR. */
export const isRunEnd = (message: { type: string }): boolean => TERMINAL_RUN_EVENT_TYPES.has(message.type);

/** An agentwire.v1 run's terminal event. */
export const isV1RunEnd = (message: { type: string }): boolean => ['agent_completed', 'agent_error', 'agent_cancelled'].includes(message.type);

/** RUN_FINISHED with the outcome `success` or `cancelled`. */
export const isRunFinished = (outcome: 'success' | 'cancelled') => (message: ServerEnvelope): boolean =>
  message.type === EventType.RUN_FINISHED && (message.payload['outcome'] as { type?: unknown } | undefined)?.type === outcome;

/**
 * What is wrong with `messages` by the contract of `protocol`, one line per problem (empty when
 * all are valid). Every AG-UI run event (in v2; in v1 those the edge forwards untranslated) must
 * carry an AG-UI event object valid against EventSchemas from @ag-ui/core/schemas, of the
 * envelope's type, in a run event envelope; a v2 replay gap is the CUSTOM agentwire.replay_gap;
 * v1 types are checked against v1's ServerMessageSchema (and must not reach a v2 client);
 * anything else (an application's sendToUser type) must be a well-formed envelope.
 */
export function wireProblems(messages: readonly unknown[], protocol: WireProtocol = WireProtocol.V2): string[] {
  const problems: string[] = [];
  messages.forEach((message, index) => {
    const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
    const at = `message ${index + 1} (${String(type)})`;
    const issue = (result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): string | null => {
      if (result.success) return null;
      const first = result.error?.issues[0];
      return `${(first?.path ?? []).map(String).join('.') || '(root)'}: ${first?.message ?? 'invalid'}`;
    };
    if (typeof type === 'string' && RUN_EVENT_TYPES.has(type)) {
      const payload = (message as { payload?: unknown }).payload;
      const event = issue(EventSchemas.safeParse(payload));
      if (event !== null) {
        problems.push(`${at}: payload is not a valid AG-UI event: ${event}`);
        return;
      }
      const isGap = type === EventType.CUSTOM && (payload as { name?: unknown } | undefined)?.name === AgentwireCustomEvent.ReplayGap;
      const envelope = issue((isGap ? V2ReplayGapSchema : RunEventEnvelopeSchema).safeParse(message));
      if (envelope !== null) problems.push(`${at}: ${envelope}`);
      if (isGap && protocol === WireProtocol.V1) problems.push(`${at}: a v1 client gets replay_gap, not the CUSTOM one`);
      return;
    }
    if (typeof type === 'string' && type in SERVER_MESSAGE_SCHEMAS) {
      const known = issue(ServerMessageSchema.safeParse(message));
      if (known !== null) problems.push(`${at}: ${known}`);
      const connectionScoped = CONNECTION_SCOPED_MESSAGE_TYPES.includes(type);
      if (protocol === WireProtocol.V2 && !connectionScoped) problems.push(`${at}: a v1 type on an agentwire.v2 connection`);
      return;
    }
    const generic = issue(ServerEnvelopeSchema.safeParse(message));
    if (generic !== null) problems.push(`${at}: ${generic}`);
  });
  return problems;
}

/** The stream positions `envelopes` stand for: seq, or first_seq..seq for a compacted delta. */
export function coveredSeqs(envelopes: readonly ServerEnvelope[]): number[] {
  const covered: number[] = [];
  for (const envelope of envelopes) {
    if (typeof envelope.seq !== 'number') continue;
    const first = (envelope as { first_seq?: unknown }).first_seq;
    for (let seq = typeof first === 'number' ? first : envelope.seq; seq <= envelope.seq; seq += 1) covered.push(seq);
  }
  return covered;
}

/** The concatenated deltas of `type` (TEXT_MESSAGE_CONTENT by default) in `envelopes`, of one run when `runId` is given. */
export function streamedText(envelopes: readonly ServerEnvelope[], type: string = EventType.TEXT_MESSAGE_CONTENT, runId?: string): string {
  return envelopes
    .filter((m) => m.type === type && (runId === undefined || m.run_id === runId))
    .map((m) => String(m.payload['delta']))
    .join('');
}

/**
 * The types of `envelopes` with each run of consecutive delta events of one type folded into
 * one: how many envelopes a streamed message takes depends on coalescing and compaction, its
 * place in the run does not.
 */
export function foldedTypes(envelopes: readonly { type: string }[]): string[] {
  const types: string[] = [];
  for (const { type } of envelopes) if (!(DELTA_EVENT_TYPES.has(type) && types.at(-1) === type)) types.push(type);
  return types;
}

/** The reasoning text of a REASONING_MESSAGE_CHUNK (what reporter.thinking sent). */
export const reasoningOf = (message: ServerEnvelope): string => String(message.payload['delta']);

/** Attempts an upgrade and reports the HTTP status the server answered (no socket on failure). */
export function tryUpgrade(url: string, protocols: string[], headers: IncomingHttpHeaders = {}): Promise<{ status: number; protocol?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers: headers as Record<string, string> });
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('open', () => {
      resolve({ status: 101, protocol: socket.protocol });
      socket.close();
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

/** A test agent that reports `ticks` reasoning steps `interval_ms` apart (so a run lasts long enough to disconnect or cancel mid-way). */
export const tickerAgent = {
  runner: {
    name: 'ticker',
    async run({ input, signal, reporter }: import('@agentwirejs/protocols').AgentRunRequest) {
      const { ticks = 10, interval_ms: intervalMs = 5 } = input as { ticks?: number; interval_ms?: number };
      for (let tick = 1; tick <= ticks; tick += 1) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        signal.throwIfAborted();
        reporter.thinking(`tick ${tick}`);
      }
      return { finalResponse: `${ticks} ticks` };
    },
  },
  tools: new Map(),
};

/** One JSON log line of the gateway. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A pino logger that keeps every line, to check what the gateway logged. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}


/** Deletes every Redis key under `prefix` (what a test run wrote), a batch at a time. */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A gateway started as a process of its own (apps/gateway/dist/main.js), for tests that kill one or run several over Redis. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly processId: string;
  output(): string;
}

const GATEWAY_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/**
 * Starts `node dist/main.js` in test mode on a free port with the test secret and `env` on top
 * (AGENTWIRE_REDIS_URL, a key prefix, …); resolves once it logged gateway_started, with its URL
 * and process id. The caller stops it (SIGTERM, or SIGKILL to play a dying process).
 */
export async function startGatewayProcess(env: Readonly<Record<string, string>>): Promise<GatewayProcess> {
  let output = '';
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    env: { PATH: process.env['PATH'] ?? '', AGENTWIRE_ENV: 'test', AGENTWIRE_PORT: '0', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const started = /"event":"gateway_started".*?"url":"([^"]+)".*?"processId":"([^"]+)"/.exec(output);
    if (started !== null) return { child, url: started[1] as string, processId: started[2] as string, output: () => output };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the gateway did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
