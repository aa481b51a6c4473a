import type { IncomingHttpHeaders } from 'node:http';
import { type AppConfig, loadConfig } from '@agentwire/config';
import type { ServerEnvelope } from '@agentwire/protocols';
import type { UserId } from '@agentwire/types';
import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import { TokenService } from '../auth';
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
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as ServerEnvelope));
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  /** Opens a connection authenticated as `userId` (subprotocol auth unless `headers` says otherwise). */
  static async connect(gateway: Gateway, tokens: TokenService, userId: string, options: { query?: string; ttlSeconds?: number } = {}): Promise<TestClient> {
    const { token } = await tokens.issue(userId as UserId, options.ttlSeconds ?? 600);
    const socket = new WebSocket(wsUrl(gateway, options.query), ['agentwire.v1', `bearer.${token}`]);
    const client = new TestClient(socket);
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

  /** Resolves with the first message (after `from`) matching, or rejects after `timeoutMs`. */
  async waitFor(predicate: (message: ServerEnvelope) => boolean, timeoutMs = 10_000, from = 0): Promise<ServerEnvelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out; received: ${this.messages.map((m) => m.type).join(', ')}`);
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
    async run({ input, signal, reporter }: import('@agentwire/protocols').AgentRunRequest) {
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

/** Resolves with what `read` returns once it is not undefined; rejects after `timeoutMs` naming `what`. */
export async function eventually<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
