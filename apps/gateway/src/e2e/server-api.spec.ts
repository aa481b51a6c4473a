import { EventType } from '@agentwirejs/protocols';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import type { ConnectionId } from '@agentwirejs/types';
import { buildOpenApiDocument } from '@agentwirejs/server';
import { SERVER_API_ROUTES } from '@agentwirejs/server';
import { RunSnapshotSchema } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TestClient, isRunEnd, isRunFinished, startTestGateway, tickerAgent } from './harness.test-helpers';
import { RedisGateways } from './v2.test-helpers';

/**
 * The server API under /api/v1/ against real gateways on 127.0.0.1: API keys, limits, every
 * route's effect as real ws clients see it, and a publish across two gateway processes on Redis.
 */

const KEY = 'api-key-0123456789abcdef0123456789abcdef';
const OTHER_KEY = 'api-key-fedcba9876543210fedcba9876543210';
const ENV = { AGENTWIRE_API_KEYS: `${KEY},${OTHER_KEY}`, AGENTWIRE_MAX_PAYLOAD_BYTES: '2048' };

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

async function call(gateway: Gateway, method: 'GET' | 'POST', path: string, body?: unknown, key: string | null = KEY): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  const response = await fetch(new URL(path.slice(1), gateway.url), {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

/** POSTs an AG-UI SSE body (text/event-stream) to a run's events route. */
async function postEventStream(gateway: Gateway, runId: string, userId: string, body: string | ReadableStream<Uint8Array>): Promise<Answer> {
  const response = await fetch(new URL(`api/v1/runs/${runId}/events?user_id=${encodeURIComponent(userId)}`, gateway.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/event-stream' },
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

/** `events` as an SSE body, with a keep-alive comment between two of them. */
const sse = (events: readonly unknown[]): string => events.map((event, index) => `${index === 1 ? ': keep-alive\n\n' : ''}data: ${JSON.stringify(event)}\n\n`).join('');

/** AG-UI events of one streamed answer: START, one CONTENT per word, END. */
const answerEvents = (messageId: string, words: readonly string[]): Record<string, unknown>[] => [
  { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' },
  ...words.map((word) => ({ type: 'TEXT_MESSAGE_CONTENT', messageId, delta: word })),
  { type: 'TEXT_MESSAGE_END', messageId },
];
const runFinished = (runId: string, threadId: string, result?: string): Record<string, unknown> => ({ type: 'RUN_FINISHED', runId, threadId, ...(result === undefined ? {} : { result }) });

/** The text a client saw streamed in a run (its TEXT_MESSAGE_CONTENT deltas, coalesced or not). */
const streamedText = (client: TestClient, runId: string): string =>
  client.messages
    .filter((m) => m.run_id === runId && m.type === EventType.TEXT_MESSAGE_CONTENT)
    .map((m) => String(m.payload['delta']))
    .join('');

const errorCode = (answer: Answer): unknown => (answer.body['error'] as { code?: unknown } | undefined)?.code;
const errorMessage = (answer: Answer): string => String((answer.body['error'] as { message?: unknown } | undefined)?.message);

describe('the server API', () => {
  let gateway: Gateway;
  let tokens: Awaited<ReturnType<typeof startTestGateway>>['tokens'];
  const clients: TestClient[] = [];
  const connect = async (target: Gateway, userId: string): Promise<TestClient> => {
    const client = await TestClient.connect(target, tokens, userId);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ({ gateway, tokens } = await startTestGateway(ENV, { agents: [tickerAgent], serverApi: { rateLimit: { perSecond: 1000, burst: 1000 } } }));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await gateway.stop();
  });

  describe('authentication', () => {
    it('answers a call without a key with 401 unauthorized', async () => {
      const answer = await call(gateway, 'POST', '/api/v1/publish', { user_id: 'alice', message: { type: 'note', payload: {} } }, null);
      expect(answer.status).toBe(401);
      expect(errorCode(answer)).toBe('unauthorized');
    });

    it('answers a wrong key, a prefix of a key and a key with a suffix with 401', async () => {
      for (const wrong of ['not-a-key', KEY.slice(0, -1), `${KEY}0`]) {
        const answer = await call(gateway, 'GET', '/api/v1/users/alice/connections', undefined, wrong);
        expect([answer.status, errorCode(answer)]).toEqual([401, 'unauthorized']);
      }
    });

    it('accepts every configured key', async () => {
      for (const key of [KEY, OTHER_KEY]) expect((await call(gateway, 'GET', '/api/v1/users/alice/connections', undefined, key)).status).toBe(200);
    });

    it('serves the OpenAPI document without a key, generated from the route table', async () => {
      const answer = await call(gateway, 'GET', '/api/v1/openapi.json', undefined, null);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(buildOpenApiDocument(SERVER_API_ROUTES, '1.0.0'));
    });
  });

  describe('refusals', () => {
    it('answers a body over AGENTWIRE_MAX_PAYLOAD_BYTES with 413 payload_too_large', async () => {
      const answer = await call(gateway, 'POST', '/api/v1/publish', { user_id: 'alice', message: { type: 'note', payload: { text: 'x'.repeat(4096) } } });
      expect([answer.status, errorCode(answer)]).toEqual([413, 'payload_too_large']);
    });

    it('answers a body that is not JSON with 400 invalid_json', async () => {
      const answer = await call(gateway, 'POST', '/api/v1/publish', '{"user_id": ');
      expect([answer.status, errorCode(answer)]).toEqual([400, 'invalid_json']);
    });

    it('answers an invalid body with 400 invalid_message naming the field', async () => {
      const missing = await call(gateway, 'POST', '/api/v1/publish', { user_id: 'alice' });
      expect([missing.status, errorCode(missing)]).toEqual([400, 'invalid_message']);
      expect(errorMessage(missing)).toMatch(/^body\.message: /);
      const badThread = await call(gateway, 'POST', '/api/v1/runs', { user_id: 'alice', agent: 'ticker', input: {}, thread_id: 'no spaces allowed' });
      expect([badThread.status, errorCode(badThread)]).toEqual([400, 'invalid_message']);
      expect(errorMessage(badThread)).toMatch(/^body\.thread_id: /);
    });

    it('refuses to publish an AG-UI run event or a type the gateway reserves: run events go through runs', async () => {
      for (const type of [EventType.RUN_STARTED, EventType.TEXT_MESSAGE_CONTENT, 'agent_completed', 'connection_established', 'pong', 'error', 'token_refreshed', 'replay_gap']) {
        const answer = await call(gateway, 'POST', '/api/v1/publish', { user_id: 'alice', message: { type, payload: {} } });
        expect([type, answer.status, errorCode(answer)]).toEqual([type, 400, 'invalid_message']);
        expect(errorMessage(answer)).toMatch(/^body\.message\.type: /);
      }
    });

    it('answers an unknown agent with 400 invalid_message', async () => {
      const answer = await call(gateway, 'POST', '/api/v1/runs', { user_id: 'alice', agent: 'nobody', input: 'hi' });
      expect([answer.status, errorCode(answer)]).toEqual([400, 'invalid_message']);
      expect(errorMessage(answer)).toMatch(/unknown agent 'nobody'/);
    });

    it('answers an unknown route with 404 not_found', async () => {
      const answer = await call(gateway, 'GET', '/api/v1/nothing');
      expect([answer.status, errorCode(answer)]).toEqual([404, 'not_found']);
    });

    it('answers calls over a key rate limit with 429 rate_limited and Retry-After', async () => {
      const limited = await startTestGateway(ENV, { serverApi: { rateLimit: { perSecond: 0.5, burst: 2 } } });
      try {
        const statuses: number[] = [];
        let last: Answer | null = null;
        for (let attempt = 0; attempt < 3; attempt += 1) {
          last = await call(limited.gateway, 'GET', '/api/v1/users/alice/connections');
          statuses.push(last.status);
        }
        expect(statuses).toEqual([200, 200, 429]);
        expect(errorCode(last as Answer)).toBe('rate_limited');
        expect(Number((last as Answer).headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        // the other key has a bucket of its own
        expect((await call(limited.gateway, 'GET', '/api/v1/users/alice/connections', undefined, OTHER_KEY)).status).toBe(200);
      } finally {
        await limited.gateway.stop();
      }
    });
  });

  describe('publish', () => {
    it("puts the message into the user's stream on every connection, with the seq it answers", async () => {
      const tabs = [await connect(gateway, 'pub-alice'), await connect(gateway, 'pub-alice')];
      const bob = await connect(gateway, 'pub-bob');
      const answer = await call(gateway, 'POST', '/api/v1/publish', { user_id: 'pub-alice', message: { type: 'invoice_ready', payload: { invoice_id: 'inv_42' } } });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ seq: expect.any(Number) });
      for (const tab of tabs) {
        const received = await tab.waitFor((m) => m.type === 'invoice_ready');
        expect(received).toMatchObject({ seq: answer.body['seq'], user_id: 'pub-alice', payload: { invoice_id: 'inv_42' } });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bob.ofType('invoice_ready')).toEqual([]);
    });

    it('puts the message into the stream of every user in a room and answers how many', async () => {
      const alice = await connect(gateway, 'room-alice');
      const bob = await connect(gateway, 'room-bob');
      const carol = await connect(gateway, 'room-carol');
      const manager = gateway.server.container.resolve(WebSocketManagerFactory).getUnifiedManager();
      for (const client of [alice, bob]) {
        const connectionId = client.ofType('connection_established')[0]?.payload['connection_id'] as ConnectionId;
        await manager.joinRoom(connectionId, 'team-7');
      }
      const answer = await call(gateway, 'POST', '/api/v1/publish', { room: 'team-7', message: { type: 'standup', payload: { at: '09:30' } } });
      expect([answer.status, answer.body]).toEqual([200, { users: 2 }]);
      for (const client of [alice, bob]) expect((await client.waitFor((m) => m.type === 'standup')).payload).toEqual({ at: '09:30' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(carol.ofType('standup')).toEqual([]);
    });
  });

  describe('runs', () => {
    it("starts a run that streams to the user's connections, and reads its state", async () => {
      const alice = await connect(gateway, 'run-alice');
      const answer = await call(gateway, 'POST', '/api/v1/runs', { user_id: 'run-alice', agent: 'ticker', input: { ticks: 2, interval_ms: 5 } });
      expect(answer.status).toBe(201);
      const runId = answer.body['run_id'] as string;
      expect(answer.body).toEqual({ run_id: expect.any(String), thread_id: expect.any(String) });
      const end = await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId);
      expect(isRunFinished('success')(end)).toBe(true);
      expect(alice.messages.find((m) => m.type === EventType.RUN_STARTED)).toMatchObject({ run_id: runId, thread_id: answer.body['thread_id'] });

      const read = await call(gateway, 'GET', `/api/v1/runs/${runId}?user_id=run-alice`);
      expect(read.status).toBe(200);
      expect(RunSnapshotSchema.safeParse(read.body).error).toBeUndefined();
      expect(read.body).toMatchObject({ run_id: runId, user_id: 'run-alice', agent: 'ticker', state: 'completed', final_response: '2 ticks' });
    });

    it("treats another user's run as unknown: 404 not_found when read or cancelled", async () => {
      const started = await call(gateway, 'POST', '/api/v1/runs', { user_id: 'own-alice', agent: 'ticker', input: { ticks: 1 } });
      const runId = started.body['run_id'] as string;
      const read = await call(gateway, 'GET', `/api/v1/runs/${runId}?user_id=own-mallory`);
      expect([read.status, errorCode(read)]).toEqual([404, 'not_found']);
      const cancel = await call(gateway, 'POST', `/api/v1/runs/${runId}/cancel`, { user_id: 'own-mallory' });
      expect([cancel.status, errorCode(cancel)]).toEqual([404, 'not_found']);
      const missingUser = await call(gateway, 'GET', `/api/v1/runs/${runId}`);
      expect([missingUser.status, errorCode(missingUser)]).toEqual([400, 'invalid_message']);
    });

    it('cancels a running run once: RUN_FINISHED cancelled reaches the user, a second cancel answers false', async () => {
      const alice = await connect(gateway, 'cancel-alice');
      const started = await call(gateway, 'POST', '/api/v1/runs', { user_id: 'cancel-alice', agent: 'ticker', input: { ticks: 1000, interval_ms: 10 } });
      const runId = started.body['run_id'] as string;
      await alice.waitFor((m) => m.type === EventType.RUN_STARTED && m.run_id === runId);
      const cancelled = await call(gateway, 'POST', `/api/v1/runs/${runId}/cancel`, { user_id: 'cancel-alice' });
      expect([cancelled.status, cancelled.body]).toEqual([200, { cancelled: true }]);
      expect(isRunFinished('cancelled')(await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId))).toBe(true);
      const again = await call(gateway, 'POST', `/api/v1/runs/${runId}/cancel`, { user_id: 'cancel-alice' });
      expect([again.status, again.body]).toEqual([200, { cancelled: false }]);
      expect(alice.messages.filter((m) => isRunEnd(m) && m.run_id === runId)).toHaveLength(1);
    });

    it('answers a run over the per-user limit with 429 limit_exceeded', async () => {
      const limited = await startTestGateway({ ...ENV, AGENTWIRE_MAX_RUNS_PER_USER: '1', AGENTWIRE_SHUTDOWN_GRACE_MS: '0' }, { agents: [tickerAgent] });
      try {
        const first = await call(limited.gateway, 'POST', '/api/v1/runs', { user_id: 'busy', agent: 'ticker', input: { ticks: 1000, interval_ms: 10 } });
        expect(first.status).toBe(201);
        const second = await call(limited.gateway, 'POST', '/api/v1/runs', { user_id: 'busy', agent: 'ticker', input: { ticks: 1 } });
        expect([second.status, errorCode(second)]).toEqual([429, 'limit_exceeded']);
      } finally {
        await limited.gateway.stop();
      }
    });
  });

  describe('external runs', () => {
    const startExternal = async (userId: string, extra: Record<string, unknown> = {}): Promise<{ runId: string; threadId: string }> => {
      const answer = await call(gateway, 'POST', '/api/v1/external-runs', { user_id: userId, name: 'billing-agent', ...extra });
      expect(answer.status).toBe(201);
      return { runId: answer.body['run_id'] as string, threadId: answer.body['thread_id'] as string };
    };
    const events = (runId: string, userId: string, list: readonly unknown[]): Promise<Answer> =>
      call(gateway, 'POST', `/api/v1/runs/${runId}/events?user_id=${encodeURIComponent(userId)}`, { events: list });

    it("streams the events a backend sends to every connection of the user, in order, and ends the run once with its RUN_FINISHED", async () => {
      const tabs = [await connect(gateway, 'ext-alice'), await connect(gateway, 'ext-alice')];
      const { runId, threadId } = await startExternal('ext-alice');
      for (const tab of tabs) await tab.waitFor((m) => m.type === EventType.RUN_STARTED && m.run_id === runId);

      const first = await events(runId, 'ext-alice', answerEvents('msg_1', ['Your ', 'invoice ']).slice(0, 3));
      expect([first.status, first.body]).toEqual([200, { accepted: 3, finished: false }]);
      const last = await events(runId, 'ext-alice', [{ type: 'TEXT_MESSAGE_CONTENT', messageId: 'msg_1', delta: 'is ready.' }, { type: 'TEXT_MESSAGE_END', messageId: 'msg_1' }, runFinished(runId, threadId, 'invoice ready')]);
      expect([last.status, last.body]).toEqual([200, { accepted: 3, finished: true }]);

      for (const tab of tabs) {
        expect(isRunFinished('success')(await tab.waitFor((m) => isRunEnd(m) && m.run_id === runId))).toBe(true);
        expect(streamedText(tab, runId)).toBe('Your invoice is ready.');
        expect(tab.messages.filter((m) => isRunEnd(m) && m.run_id === runId)).toHaveLength(1);
        expect(tab.wireProblems()).toEqual([]);
      }
      const read = await call(gateway, 'GET', `/api/v1/runs/${runId}?user_id=ext-alice`);
      expect(read.body).toMatchObject({ run_id: runId, agent: 'billing-agent', state: 'completed', final_response: 'invoice ready' });

      const late = await events(runId, 'ext-alice', answerEvents('msg_2', ['late']));
      expect([late.status, errorCode(late)]).toEqual([409, 'run_ended']);
    });

    it('takes an AG-UI SSE body, applying each event while the body still arrives', async () => {
      const alice = await connect(gateway, 'sse-alice');
      const { runId, threadId } = await startExternal('sse-alice');
      const encoder = new TextEncoder();
      let push: (text: string | null) => void = () => undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (text) => (text === null ? controller.close() : controller.enqueue(encoder.encode(text)));
        },
      });
      const answered = postEventStream(gateway, runId, 'sse-alice', body);

      push(sse(answerEvents('msg_1', ['Hello']).slice(0, 2)));
      // the first delta reaches the user before the body has ended
      await alice.waitFor((m) => m.type === EventType.TEXT_MESSAGE_CONTENT && m.run_id === runId);
      push(`: ping\n\n${sse([{ type: 'TEXT_MESSAGE_CONTENT', messageId: 'msg_1', delta: ' world' }, { type: 'TEXT_MESSAGE_END', messageId: 'msg_1' }, runFinished(runId, threadId)])}`);
      push(null);

      const answer = await answered;
      expect([answer.status, answer.body]).toEqual([200, { accepted: 5, finished: true }]);
      expect(isRunFinished('success')(await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId))).toBe(true);
      expect(streamedText(alice, runId)).toBe('Hello world');
    });

    it('refuses an event that is not valid AG-UI with 400 naming it; nothing of that call enters the run, which goes on', async () => {
      const alice = await connect(gateway, 'bad-ext-alice');
      const { runId, threadId } = await startExternal('bad-ext-alice');
      const invalid = await events(runId, 'bad-ext-alice', [{ type: 'TEXT_MESSAGE_START', messageId: 'm', role: 'assistant' }, { type: 'TEXT_MESSAGE_CONTENT', delta: 'no message id' }]);
      expect([invalid.status, errorCode(invalid)]).toEqual([400, 'invalid_message']);
      expect(errorMessage(invalid)).toContain('body.events[1].messageId');
      const unknown = await events(runId, 'bad-ext-alice', [{ type: 'NOT_AN_AG_UI_TYPE' }]);
      expect([unknown.status, errorCode(unknown)]).toEqual([400, 'invalid_message']);
      const notJson = await postEventStream(gateway, runId, 'bad-ext-alice', 'data: {not json\n\n');
      expect([notJson.status, errorCode(notJson)]).toEqual([400, 'invalid_message']);

      const ok = await events(runId, 'bad-ext-alice', [...answerEvents('msg_1', ['fine']), runFinished(runId, threadId)]);
      expect([ok.status, ok.body]).toEqual([200, { accepted: 4, finished: true }]);
      await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId);
      expect(alice.messages.filter((m) => m.run_id === runId && m.type === EventType.TEXT_MESSAGE_START)).toHaveLength(1);
      expect(streamedText(alice, runId)).toBe('fine');
    });

    it("ends the run once with remote_protocol_error when the events break AG-UI's order", async () => {
      const alice = await connect(gateway, 'order-alice');
      const { runId } = await startExternal('order-alice');
      const broken = await events(runId, 'order-alice', [{ type: 'TEXT_MESSAGE_CONTENT', messageId: 'never-started', delta: 'x' }]);
      expect([broken.status, errorCode(broken)]).toEqual([400, 'invalid_message']);
      expect(errorMessage(broken)).toContain('remote_protocol_error');
      const end = await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId);
      expect([end.type, end.payload['code']]).toEqual([EventType.RUN_ERROR, 'remote_protocol_error']);
      const after = await events(runId, 'order-alice', answerEvents('msg_1', ['x']));
      expect([after.status, errorCode(after)]).toEqual([409, 'run_ended']);
      expect(alice.messages.filter((m) => isRunEnd(m) && m.run_id === runId)).toHaveLength(1);
    });

    it("ends the run with remote_run_error on the backend's RUN_ERROR, and refuses what follows it in the same call", async () => {
      const alice = await connect(gateway, 'fail-alice');
      const { runId } = await startExternal('fail-alice');
      const answer = await events(runId, 'fail-alice', [{ type: 'RUN_ERROR', message: 'the billing service is down', code: 'billing_down' }, ...answerEvents('msg_1', ['x'])]);
      expect([answer.status, errorCode(answer)]).toEqual([409, 'run_ended']);
      expect(errorMessage(answer)).toContain('1 event of this call entered the run');
      const end = await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId);
      expect([end.type, end.payload['code']]).toEqual([EventType.RUN_ERROR, 'remote_run_error']);
      expect(String(end.payload['message'])).toContain('the billing service is down');
    });

    it('ends the run on cancel or at its timeout, once, and then refuses its events with 409 run_ended', async () => {
      const alice = await connect(gateway, 'stop-alice');
      const cancelled = await startExternal('stop-alice');
      await events(cancelled.runId, 'stop-alice', answerEvents('msg_1', ['half']).slice(0, 2));
      expect((await call(gateway, 'POST', `/api/v1/runs/${cancelled.runId}/cancel`, { user_id: 'stop-alice' })).body).toEqual({ cancelled: true });
      expect(isRunFinished('cancelled')(await alice.waitFor((m) => isRunEnd(m) && m.run_id === cancelled.runId))).toBe(true);
      const afterCancel = await events(cancelled.runId, 'stop-alice', [{ type: 'TEXT_MESSAGE_END', messageId: 'msg_1' }]);
      expect([afterCancel.status, errorCode(afterCancel)]).toEqual([409, 'run_ended']);

      const timed = await startExternal('stop-alice', { timeout_ms: 1000 });
      const end = await alice.waitFor((m) => isRunEnd(m) && m.run_id === timed.runId, 5000);
      expect([end.type, end.payload['code']]).toEqual([EventType.RUN_ERROR, 'timed_out']);
      expect(alice.messages.filter((m) => isRunEnd(m))).toHaveLength(2);
    });

    it("treats another user's external run, and a run that is not external, as not found", async () => {
      const mallory = await connect(gateway, 'ext-mallory');
      const { runId } = await startExternal('ext-owner');
      const stolen = await events(runId, 'ext-mallory', answerEvents('msg_1', ['injected']));
      expect([stolen.status, errorCode(stolen)]).toEqual([404, 'not_found']);
      const started = await call(gateway, 'POST', '/api/v1/runs', { user_id: 'ext-owner', agent: 'ticker', input: { ticks: 1000, interval_ms: 10 } });
      const notExternal = await events(started.body['run_id'] as string, 'ext-owner', answerEvents('msg_1', ['x']));
      expect([notExternal.status, errorCode(notExternal)]).toEqual([404, 'not_found']);
      await call(gateway, 'POST', `/api/v1/runs/${started.body['run_id'] as string}/cancel`, { user_id: 'ext-owner' });
      await call(gateway, 'POST', `/api/v1/runs/${runId}/cancel`, { user_id: 'ext-owner' });
      expect(mallory.messages.filter((m) => m.run_id !== undefined)).toEqual([]);
    });
  });

  describe('connections', () => {
    it("lists the user's connections", async () => {
      const tabs = [await connect(gateway, 'list-alice'), await connect(gateway, 'list-alice')];
      await connect(gateway, 'list-bob');
      const answer = await call(gateway, 'GET', `/api/v1/users/${encodeURIComponent('list-alice')}/connections`);
      expect(answer.status).toBe(200);
      const listed = (answer.body['connections'] as { connection_id: string; user_id: string }[]).map((c) => c.connection_id).sort();
      expect(listed).toEqual(tabs.map((tab) => String(tab.ofType('connection_established')[0]?.payload['connection_id'])).sort());
    });

    it("closes the user's connections with the close code asked for, and no one else's", async () => {
      const tabs = [await connect(gateway, 'kick-alice'), await connect(gateway, 'kick-alice')];
      const bob = await connect(gateway, 'kick-bob');
      const answer = await call(gateway, 'POST', '/api/v1/users/kick-alice/disconnect', { code: 4001, reason: 'account suspended' });
      expect([answer.status, answer.body]).toEqual([200, { closed: 2 }]);
      for (const tab of tabs) expect(await tab.waitForClose()).toBe(4001);
      expect(bob.closeCode).toBeNull();
      expect((await call(gateway, 'POST', '/api/v1/users/kick-alice/disconnect', {})).body).toEqual({ closed: 0 });
    });

    it('refuses a close code a backend may not send', async () => {
      for (const code of [1006, 1011, 3000, 5000]) {
        const answer = await call(gateway, 'POST', '/api/v1/users/kick-alice/disconnect', { code });
        expect([code, answer.status, errorCode(answer)]).toEqual([code, 400, 'invalid_message']);
      }
    });
  });
});

describe('the server API with API keys unset', () => {
  it('is off: the server leaves every /api/ path to the app, and the gateway answers it 404 as any path it does not serve, the OpenAPI document included', async () => {
    const { gateway } = await startTestGateway();
    try {
      for (const path of ['/api/v1/openapi.json', '/api/v1/users/alice/connections']) {
        const answer = await call(gateway, 'GET', path);
        expect([answer.status, answer.body['error'], answer.body['message']]).toEqual([404, 'not_found', `GET ${path} is not served here`]);
      }
    } finally {
      await gateway.stop();
    }
  });
});

describe('the server API across gateway processes on Redis', () => {
  const gateways = new RedisGateways('server-api');
  afterAll(async () => {
    await gateways.stopAll();
  });

  it('publishes on one gateway to a user connected to another, with the seq it answered', async () => {
    const a = await gateways.start(ENV);
    const b = await gateways.start(ENV);
    const client = await TestClient.connect(b, gateways.tokens, 'far-alice');
    try {
      const answer = await call(a, 'POST', '/api/v1/publish', { user_id: 'far-alice', message: { type: 'invoice_ready', payload: { invoice_id: 'inv_7' } } });
      expect(answer.status).toBe(200);
      const received = await client.waitFor((m) => m.type === 'invoice_ready');
      expect(received).toMatchObject({ seq: answer.body['seq'], payload: { invoice_id: 'inv_7' } });
    } finally {
      await client.close();
    }
  });

  it('cancels on one gateway a run that another runs', async () => {
    const a = await gateways.start(ENV, { agents: [tickerAgent] });
    const b = await gateways.start(ENV, { agents: [tickerAgent] });
    const client = await TestClient.connect(a, gateways.tokens, 'far-bob');
    try {
      const started = await call(a, 'POST', '/api/v1/runs', { user_id: 'far-bob', agent: 'ticker', input: { ticks: 1000, interval_ms: 10 } });
      const runId = started.body['run_id'] as string;
      await client.waitFor((m) => m.type === EventType.RUN_STARTED && m.run_id === runId);
      const cancelled = await call(b, 'POST', `/api/v1/runs/${runId}/cancel`, { user_id: 'far-bob' });
      expect([cancelled.status, cancelled.body]).toEqual([200, { cancelled: true }]);
      expect(isRunFinished('cancelled')(await client.waitFor((m) => isRunEnd(m) && m.run_id === runId))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('takes the events of an external run on any process, and they reach the user wherever connected', async () => {
    const a = await gateways.start(ENV);
    const b = await gateways.start(ENV);
    const client = await TestClient.connect(b, gateways.tokens, 'far-carol');
    try {
      const started = await call(a, 'POST', '/api/v1/external-runs', { user_id: 'far-carol' });
      const runId = started.body['run_id'] as string;
      const threadId = started.body['thread_id'] as string;
      const sent = await call(b, 'POST', `/api/v1/runs/${runId}/events?user_id=far-carol`, { events: [...answerEvents('msg_1', ['from ', 'afar']), runFinished(runId, threadId)] });
      expect([sent.status, sent.body]).toEqual([200, { accepted: 5, finished: true }]);
      expect(isRunFinished('success')(await client.waitFor((m) => isRunEnd(m) && m.run_id === runId))).toBe(true);
      expect(streamedText(client, runId)).toBe('from afar');
      // another user cannot reach it through another process either
      const stolen = await call(b, 'POST', `/api/v1/runs/${runId}/events?user_id=far-mallory`, { events: answerEvents('m', ['x']) });
      expect([stolen.status, errorCode(stolen)]).toEqual([404, 'not_found']);
      const late = await call(b, 'POST', `/api/v1/runs/${runId}/events?user_id=far-carol`, { events: answerEvents('m', ['x']) });
      expect([late.status, errorCode(late)]).toEqual([409, 'run_ended']);
      const read = await call(b, 'GET', `/api/v1/runs/${runId}?user_id=far-carol`);
      expect([read.status, read.body['state']]).toEqual([200, 'completed']);
    } finally {
      await client.close();
    }
  });

  it("lists and closes a user's connections on every process, and reads a run wherever it ran", async () => {
    const a = await gateways.start(ENV, { agents: [tickerAgent] });
    const b = await gateways.start(ENV, { agents: [tickerAgent] });
    const onA = await TestClient.connect(a, gateways.tokens, 'far-dan');
    const onB = await TestClient.connect(b, gateways.tokens, 'far-dan');
    const bystander = await TestClient.connect(b, gateways.tokens, 'far-erin');
    try {
      const listed = await call(a, 'GET', '/api/v1/users/far-dan/connections');
      expect(listed.status).toBe(200);
      const ids = (listed.body['connections'] as { connection_id: string }[]).map((c) => c.connection_id).sort();
      expect(ids).toEqual([onA, onB].map((tab) => String(tab.ofType('connection_established')[0]?.payload['connection_id'])).sort());

      const started = await call(b, 'POST', '/api/v1/runs', { user_id: 'far-dan', agent: 'ticker', input: { ticks: 2, interval_ms: 5 } });
      const runId = started.body['run_id'] as string;
      await onA.waitFor((m) => isRunEnd(m) && m.run_id === runId);
      const read = await call(a, 'GET', `/api/v1/runs/${runId}?user_id=far-dan`);
      expect([read.status, read.body['state'], read.body['final_response']]).toEqual([200, 'completed', '2 ticks']);
      const notTheirs = await call(a, 'GET', `/api/v1/runs/${runId}?user_id=far-erin`);
      expect([notTheirs.status, errorCode(notTheirs)]).toEqual([404, 'not_found']);

      const closed = await call(a, 'POST', '/api/v1/users/far-dan/disconnect', { code: 4003 });
      expect([closed.status, closed.body]).toEqual([200, { closed: 2 }]);
      expect([await onA.waitForClose(), await onB.waitForClose()]).toEqual([4003, 4003]);
      expect(bystander.closeCode).toBeNull();
      expect((await call(b, 'GET', '/api/v1/users/far-dan/connections')).body).toEqual({ connections: [] });
    } finally {
      await Promise.all([onA, onB, bystander].map((client) => client.close()));
    }
  });
});
