import { EventType } from '@agentwire/protocols';
import { WebSocketManagerFactory } from '@agentwire/manager';
import type { ConnectionId } from '@agentwire/types';
import { buildOpenApiDocument } from '../api/openapi';
import { SERVER_API_ROUTES } from '../api/routes';
import { RunSnapshotSchema } from '../api/schemas';
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
      const manager = gateway.container.resolve(WebSocketManagerFactory).getUnifiedManager();
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

  describe('connections', () => {
    it("lists the user's connections on this process", async () => {
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
  it('is off: every /api/ path answers 404, the OpenAPI document included', async () => {
    const { gateway } = await startTestGateway();
    try {
      for (const path of ['/api/v1/openapi.json', '/api/v1/users/alice/connections']) {
        const answer = await call(gateway, 'GET', path);
        expect([answer.status, errorCode(answer)]).toEqual([404, 'not_found']);
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
});
