import { once } from 'node:events';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@agentwirejs/config';
import { type AgentRunRequest, EventType, type ServerEnvelope, WireProtocol, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { AuthenticationError, type Identity, presentedToken } from '../auth';
import type { CatalogEntry } from '../agents/catalog';
import type { AgentwireServerOptions } from '../container';
import { type AgentwireServer, createAgentwireServer } from '../server';

/**
 * The contract every way of mounting @agentwirejs/server must keep (node:http, Express, Fastify),
 * in one process and with two servers over the real Redis on 127.0.0.1:6379: real `ws` clients
 * on loopback, an app's own authenticate callback with the user ids identity providers issue,
 * and a streaming agent. Each mount spec calls describeServerContract with its own mount.
 */

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A server mounted in an app on 127.0.0.1: the app also answers GET /app itself. */
export interface MountedServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly server: AgentwireServer;
  /** The app's HTTP server the agentwire server is attached to. */
  readonly http: Server;
  /** Drains the server, then closes the app's HTTP server. */
  stop(): Promise<void>;
}

/** Plain node:http: the server attached to the app's http.Server, its routes tried before the app's own (/app, /api/app). */
export const mountInNodeHttp: Mount = async (options) => {
  const server = createAgentwireServer(options);
  const http = createServer((request, response) => {
    if (server.handleRequest(request, response)) return;
    if (request.url === '/app' || request.url === '/api/app') return void response.end('app');
    response.writeHead(404).end();
  });
  server.attach(http);
  await server.start();
  return listening(server, http.listen(0, '127.0.0.1'));
};

/** The mounted server once `http` (listening on 127.0.0.1) is up; stop() closes the server, then the app's http.Server. */
export async function listening(server: AgentwireServer, http: Server): Promise<MountedServer> {
  if (!http.listening) await once(http, 'listening');
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    server,
    http,
    async stop() {
      await server.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** Mounts a server created with `options` into a framework's app listening on 127.0.0.1 (an ephemeral port). */
export type Mount = (options: AgentwireServerOptions) => Promise<MountedServer>;

/** User ids as identity providers issue them: all must work, and none may see another's data. */
export const PROVIDER_USER_IDS = ['1', 'test', 'auth0|65f0c2a1b', 'google-oauth2|1184', 'a+b@x.com', 'José', 'default', 'demo'] as const;

/** The test app's token: the user id, base64url (an opaque token the app's own authenticate reads; no JWT). */
export const tokenOf = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');

/** The app's authenticate: the bearer token is base64url of the user id; `nobody` and anything unreadable are refused. */
export async function appAuthenticate(request: IncomingMessage): Promise<Identity> {
  const { token } = presentedToken(request.headers);
  const userId = Buffer.from(token, 'base64url').toString('utf8');
  if (userId === '' || userId === 'nobody' || tokenOf(userId) !== token) throw new AuthenticationError('bad_signature', 'unknown token');
  return { userId: userId as Identity['userId'], validUntil: Number.POSITIVE_INFINITY };
}

/** Streams `words` words of text, `interval_ms` apart: `w0 w1 …`. */
export const streamerAgent: CatalogEntry = {
  runner: {
    name: 'streamer',
    async run({ input, signal, reporter }: AgentRunRequest) {
      const { words = 5, interval_ms: intervalMs = 2 } = input as { words?: number; interval_ms?: number };
      const text = reporter.startText();
      for (let index = 0; index < words; index += 1) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        signal.throwIfAborted();
        await text.append(`w${index} `);
      }
      await text.end();
      return {};
    },
  },
  tools: new Map(),
};

export const streamedWords = (words: number): string => Array.from({ length: words }, (_, index) => `w${index} `).join('');

/** Server options for the contract: the app's authenticate, the streamer agent, `env` over test settings. */
export function contractOptions(env: Record<string, string> = {}, extra: Partial<AgentwireServerOptions> = {}): AgentwireServerOptions {
  const config = loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: 'server-contract-secret-of-32-characters!', AGENTWIRE_LOG_LEVEL: 'silent', ...env });
  return { config, authenticate: appAuthenticate, agents: [streamerAgent], ...extra };
}

/** A real ws client of one user; every message it receives is kept, parsed. */
export class ContractClient {
  readonly messages: ServerEnvelope[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as ServerEnvelope));
  }

  /**
   * Opens a connection for `userId` (subprotocol auth, agentwire.v2). `onOpen` is sent the moment
   * the socket opens, before the greeting has arrived (a client that does not wait).
   */
  static async open(origin: string, userId: string, options: { query?: string; onOpen?: readonly unknown[] } = {}): Promise<ContractClient> {
    const url = `${origin.replace(/^http/, 'ws')}/ws${options.query === undefined ? '' : `?${options.query}`}`;
    const socket = new WebSocket(url, [WireProtocol.V2, `bearer.${tokenOf(userId)}`]);
    const client = new ContractClient(socket);
    socket.once('open', () => {
      for (const message of options.onOpen ?? []) socket.send(JSON.stringify(message));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await client.waitFor((message) => message.type === 'connection_established');
    return client;
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  get stream(): ServerEnvelope[] {
    return this.messages.filter((message) => message.seq !== null);
  }

  async waitFor(predicate: (message: ServerEnvelope) => boolean, timeoutMs = 10_000): Promise<ServerEnvelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out; received ${this.messages.map((message) => message.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = once(this.socket, 'close');
    this.socket.close();
    await closed;
  }
}

const isTerminal = (message: ServerEnvelope): boolean => message.type === EventType.RUN_FINISHED || message.type === EventType.RUN_ERROR;
const terminalOf = (client: ContractClient, runId: string): ServerEnvelope | undefined => client.messages.find((message) => message.run_id === runId && isTerminal(message));

/** The answer text of `runId` as one client received it (its deltas, compacted or not). */
export function textOf(client: ContractClient, runId: string): string {
  return client.stream
    .filter((message) => message.run_id === runId && message.type === EventType.TEXT_MESSAGE_CONTENT)
    .map((message) => String(message.payload['delta']))
    .join('');
}

/** Every key under `prefix` in the test Redis, deleted. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Checks everything one client received: its user's, in order without holes, each run's events well formed. */
function contractProblems(client: ContractClient, userId: string): string[] {
  return [...checkUserStream(client.messages, userId).problems, ...checkEventStreams(client.stream).problems];
}

/** Starts a run on `client` and resolves with the run id its ack names. */
async function startRun(client: ContractClient, requestId: string, input: Record<string, unknown>): Promise<string> {
  client.send({ type: 'start_agent', agent: 'streamer', input, request_id: requestId });
  const ack = await client.waitFor((message) => message.type === 'ack' && message.payload['request_id'] === requestId);
  return String(ack.payload['run_id']);
}

/**
 * Two tabs of `userId` on two servers sharing Redis: a run started on the first reaches both,
 * whole, in order and once; cancel_run sent to the second cancels a run the first owns, and both
 * see its one terminal event at the same seq.
 */
export async function expectRunsAcrossServers(onA: ContractClient, onB: ContractClient, userId: string): Promise<void> {
  const runId = await startRun(onA, 'x1', { words: 20 });
  await Promise.all([onA, onB].map((client) => client.waitFor((message) => message.run_id === runId && isTerminal(message))));
  expect([textOf(onA, runId), textOf(onB, runId)]).toEqual([streamedWords(20), streamedWords(20)]);
  expect([...contractProblems(onA, userId), ...contractProblems(onB, userId)]).toEqual([]);

  const long = await startRun(onA, 'x2', { words: 10_000, interval_ms: 5 });
  await onB.waitFor((message) => message.run_id === long && message.type === EventType.TEXT_MESSAGE_CONTENT);
  onB.send({ type: 'cancel_run', run_id: long, request_id: 'c1' });
  const verdict = await onB.waitFor((message) => (message.type === 'ack' || message.type === 'error') && message.payload['request_id'] === 'c1');
  expect(verdict.type).toBe('ack');
  const ended = await onA.waitFor((message) => message.run_id === long && isTerminal(message));
  expect(ended.payload['outcome']).toMatchObject({ type: 'cancelled' });
  expect(terminalOf(onB, long) ?? (await onB.waitFor((message) => message.run_id === long && isTerminal(message)))).toMatchObject({ seq: ended.seq });
}

/** The contract, for one way of mounting the server. */
export function describeServerContract(framework: string, mount: Mount): void {
  describe(`@agentwirejs/server mounted in ${framework}, one process`, () => {
    let mounted: MountedServer;
    const clients: ContractClient[] = [];
    const open = async (userId: string, options: Parameters<typeof ContractClient.open>[2] = {}): Promise<ContractClient> => {
      const client = await ContractClient.open(mounted.origin, userId, options);
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      mounted = await mount(contractOptions());
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    });
    afterAll(async () => {
      await mounted?.stop();
    });

    it("serves its routes through the app and leaves the app's own routes to it", async () => {
      const health = await fetch(`${mounted.origin}/health`);
      expect({ status: health.status, body: (await health.json()) as unknown }).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect((await fetch(`${mounted.origin}/ready`)).status).toBe(200);
      expect(await (await fetch(`${mounted.origin}/metrics`)).text()).toContain('agentwire_connections ');
      expect(await (await fetch(`${mounted.origin}/app`)).text()).toBe('app');
      // the app's own /api/… routes stay the app's (the server API is /api/v1/, and off without keys)
      expect(await (await fetch(`${mounted.origin}/api/app`)).text()).toBe('app');
      // the development token endpoint is not served by a mounted server
      expect((await fetch(`${mounted.origin}/dev/token`, { method: 'POST', body: '{"user":"victim"}' })).status).toBe(404);
    });

    it('refuses an upgrade its authenticate refuses with 401, before any socket opens', async () => {
      const socket = new WebSocket(`${mounted.origin.replace(/^http/, 'ws')}/ws`, [WireProtocol.V2, `bearer.${tokenOf('nobody')}`]);
      const [, response] = (await once(socket, 'unexpected-response')) as [unknown, IncomingMessage];
      expect(response.statusCode).toBe(401);
      socket.on('error', () => undefined); // ws reports the refused handshake once more as it is torn down
      socket.terminate();
    });

    it('takes the user ids identity providers issue, and a run started the moment each socket opens gets its whole answer, once', async () => {
      const started = await Promise.all(
        PROVIDER_USER_IDS.map((userId) => open(userId, { onOpen: [{ type: 'start_agent', agent: 'streamer', input: { words: 6 }, request_id: 'r1' }] })),
      );
      for (const [index, client] of started.entries()) {
        const ack = await client.waitFor((message) => message.type === 'ack' && message.payload['request_id'] === 'r1');
        const runId = String(ack.payload['run_id']);
        await client.waitFor((message) => message.run_id === runId && isTerminal(message));
        expect({ user: PROVIDER_USER_IDS[index], text: textOf(client, runId), terminals: client.messages.filter((message) => message.run_id === runId && isTerminal(message)).length }).toEqual({
          user: PROVIDER_USER_IDS[index],
          text: streamedWords(6),
          terminals: 1,
        });
        expect(contractProblems(client, PROVIDER_USER_IDS[index] as string)).toEqual([]);
        // nobody received another user's run
        expect(client.stream.every((message) => message.user_id === PROVIDER_USER_IDS[index])).toBe(true);
      }
    });

    it('thirty connections that send on open all get their runs', async () => {
      const many = await Promise.all(
        Array.from({ length: 30 }, (_, index) => open(`early-${index % 10}`, { onOpen: [{ type: 'start_agent', agent: 'streamer', input: { words: 3 }, request_id: `early-${index}` }] })),
      );
      const runIds = await Promise.all(
        many.map(async (client, index) => String((await client.waitFor((message) => message.type === 'ack' && message.payload['request_id'] === `early-${index}`)).payload['run_id'])),
      );
      await Promise.all(many.map((client, index) => client.waitFor((message) => message.run_id === runIds[index] && isTerminal(message))));
      expect(new Set(runIds).size).toBe(30);
      expect(many.map((client, index) => textOf(client, runIds[index] as string))).toEqual(Array.from({ length: 30 }, () => streamedWords(3)));
    });

    it('a second tab sees the run; a drop resumed with after_seq and epoch loses and repeats nothing; cancel from the other tab ends it once', async () => {
      const first = await open('tabs-user');
      const second = await open('tabs-user');
      const runId = await startRun(first, 's1', { words: 40, interval_ms: 5 });
      await second.waitFor((message) => message.run_id === runId && message.type === EventType.TEXT_MESSAGE_CONTENT);
      // the second tab drops mid-answer and resumes where it was
      const greeting = second.messages[0] as ServerEnvelope;
      const lastSeq = Math.max(...second.stream.map((message) => Number(message.seq)));
      const seenBefore = second.stream.length;
      await second.close();
      const resumed = await open('tabs-user', { query: `after_seq=${lastSeq}&epoch=${String(greeting.payload['epoch'])}` });
      await resumed.waitFor((message) => message.run_id === runId && isTerminal(message));
      await first.waitFor((message) => message.run_id === runId && isTerminal(message));
      expect(seenBefore).toBeGreaterThan(0);
      expect(textOf(second, runId) + textOf(resumed, runId)).toBe(streamedWords(40));
      expect(textOf(first, runId)).toBe(streamedWords(40));
      expect(checkUserStream(resumed.messages, 'tabs-user', { afterSeq: lastSeq }).problems).toEqual([]);

      // a long run, cancelled from the tab that did not start it
      const long = await startRun(first, 's2', { words: 10_000, interval_ms: 5 });
      await resumed.waitFor((message) => message.run_id === long && message.type === EventType.TEXT_MESSAGE_CONTENT);
      resumed.send({ type: 'cancel_run', run_id: long, request_id: 'c1' });
      await resumed.waitFor((message) => message.type === 'ack' && message.payload['request_id'] === 'c1');
      const ended = await first.waitFor((message) => message.run_id === long && isTerminal(message));
      expect(ended.payload['outcome']).toMatchObject({ type: 'cancelled' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([first, resumed].map((client) => client.messages.filter((message) => message.run_id === long && isTerminal(message)).length)).toEqual([1, 1]);
    });
  });

  describe(`@agentwirejs/server mounted in ${framework}, two servers over Redis (the app's ioredis client)`, () => {
    const prefix = `aw-contract-${framework.replace(/[^a-z]/gi, '').toLowerCase()}-${process.pid}:`;
    const apps: { mounted: MountedServer; redis: Redis }[] = [];
    const clients: ContractClient[] = [];
    const open = async (index: number, userId: string, options: Parameters<typeof ContractClient.open>[2] = {}): Promise<ContractClient> => {
      const client = await ContractClient.open(apps[index]?.mounted.origin ?? '', userId, options);
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      await deleteKeys(prefix);
      for (let index = 0; index < 2; index += 1) {
        // the app's own client, with settings of its own; the server duplicates it per component
        // (without the app's key prefix and command timeout) and never closes it
        const redis = new Redis(REDIS_URL, { lazyConnect: true, keyPrefix: `${prefix}app:`, commandTimeout: 1 });
        const mounted = await mount(contractOptions({ AGENTWIRE_REDIS_KEY_PREFIX: prefix }, { redis }));
        apps.push({ mounted, redis });
      }
    }, 30_000);
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    });
    afterAll(async () => {
      for (const { mounted, redis } of apps) {
        await mounted.stop();
        redis.disconnect();
      }
      await deleteKeys(prefix);
    }, 30_000);

    it("runs on one server reach the user's tabs on the other, in order and once; cancel_run sent to the other server cancels it", async () => {
      expect(apps.map(({ mounted }) => mounted.server.processId)).toEqual([expect.any(String), expect.any(String)]);
      await expectRunsAcrossServers(await open(0, 'auth0|cross'), await open(1, 'auth0|cross'), 'auth0|cross');
      // the streams live under AGENTWIRE_REDIS_KEY_PREFIX, not under the app client's own prefix
      const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        expect({ agentwire: (await admin.keys(`${prefix}u:*`)).length > 0, appPrefix: await admin.keys(`${prefix}app:*`) }).toEqual({ agentwire: true, appPrefix: [] });
      } finally {
        admin.disconnect();
      }
    }, 30_000);

    it('thirty connections spread over both servers that send on open all get their runs, and no user sees another', async () => {
      const many = await Promise.all(
        Array.from({ length: 30 }, (_, index) => open(index % 2, `google-oauth2|${index % 6}`, { onOpen: [{ type: 'start_agent', agent: 'streamer', input: { words: 3 }, request_id: `e${index}` }] })),
      );
      const runIds = await Promise.all(
        many.map(async (client, index) => String((await client.waitFor((message) => message.type === 'ack' && message.payload['request_id'] === `e${index}`)).payload['run_id'])),
      );
      await Promise.all(many.map((client, index) => client.waitFor((message) => message.run_id === runIds[index] && isTerminal(message))));
      expect(many.map((client, index) => textOf(client, runIds[index] as string))).toEqual(Array.from({ length: 30 }, () => streamedWords(3)));
      for (const [index, client] of many.entries()) expect(client.stream.every((message) => message.user_id === `google-oauth2|${index % 6}`)).toBe(true);
    }, 30_000);
  });
}
