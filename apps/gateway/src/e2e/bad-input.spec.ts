import { ErrorMessageSchema, EventType, WireProtocol } from '@agentwirejs/protocols';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TestClient, isRunFinished, startTestGateway, tryUpgrade } from './harness.test-helpers';

let gateway: Gateway;
let tokens: TokenService;
const clients: TestClient[] = [];

beforeAll(async () => {
  ({ gateway, tokens } = await startTestGateway({
    AGENTWIRE_MAX_PAYLOAD_BYTES: '4096',
    AGENTWIRE_MAX_INPUT_CHARS: '100',
    AGENTWIRE_RATE_LIMIT_PER_SECOND: '5',
    AGENTWIRE_RATE_LIMIT_BURST: '10',
    AGENTWIRE_RATE_LIMIT_CLOSE_AFTER: '20',
    AGENTWIRE_BURST_MAX_EVENTS: '50',
    AGENTWIRE_MAX_RUNS_PER_USER: '1',
    AGENTWIRE_DEMO_TOKENS_PER_SECOND: '100000',
  }));
});
afterEach(async () => {
  for (const client of clients) expect(client.wireProblems()).toEqual([]);
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => gateway.stop());

async function connect(user: string): Promise<TestClient> {
  const client = await TestClient.connect(gateway, tokens, user);
  clients.push(client);
  return client;
}

/** Sends one bad frame, expects exactly one error with `code`, then proves the connection still works. */
async function expectError(frame: string | Buffer, code: string, user = `bad-${code}-${Math.random().toString(36).slice(2)}`): Promise<string> {
  const client = await connect(user);
  client.socket.send(frame);
  const error = await client.waitFor((m) => m.type === 'error');
  expect(ErrorMessageSchema.safeParse(error).error).toBeUndefined();
  expect(error.payload['code']).toBe(code);
  expect(error.seq).toBeNull();
  client.send({ type: 'ping' });
  await client.waitFor((m) => m.type === 'pong');
  expect(client.closeCode).toBeNull();
  expect(client.ofType('error')).toHaveLength(1);
  return String(error.payload['message']);
}

describe('bad input gets a clear error and the connection survives', () => {
  it('invalid JSON → invalid_json', async () => {
    expect(await expectError('{"type": "ping"', 'invalid_json')).toMatch(/not valid JSON/);
  });

  it('a binary frame → invalid_message', async () => {
    expect(await expectError(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'invalid_message')).toMatch(/binary/);
  });

  it('an unknown type → unknown_message_type', async () => {
    await expectError(JSON.stringify({ type: 'subscribe_all_users' }), 'unknown_message_type');
    await expectError(JSON.stringify({ no: 'type' }), 'unknown_message_type');
  });

  it('a known type with a bad field → invalid_message naming the field', async () => {
    expect(await expectError(JSON.stringify({ type: 'resume', after_seq: 'yesterday' }), 'invalid_message')).toMatch(/after_seq/);
    expect(await expectError(JSON.stringify({ type: 'user_message', text: '' }), 'invalid_message')).toMatch(/text/);
  });

  it('an unknown agent → invalid_message', async () => {
    expect(await expectError(JSON.stringify({ type: 'start_agent', agent: 'nope', input: 'x' }), 'invalid_message')).toMatch(/unknown agent 'nope'/);
  });

  it('text over the agent input limit → payload_too_large', async () => {
    expect(await expectError(JSON.stringify({ type: 'user_message', text: 'x'.repeat(101) }), 'payload_too_large')).toMatch(/longer than 100/);
  });

  it('a burst over the configured bound → limit_exceeded', async () => {
    expect(await expectError(JSON.stringify({ type: 'start_agent', agent: 'burst', input: { events: 51 } }), 'limit_exceeded')).toMatch(/limited to 50/);
  });

  it('cancel_run of a run the user does not have → not_found (another user\'s run looks the same)', async () => {
    const owner = await connect('run-owner');
    owner.send({ type: 'start_agent', agent: 'burst', input: { events: 5 } });
    const started = await owner.waitFor((m) => m.type === EventType.RUN_STARTED);
    const unknown = await expectError(JSON.stringify({ type: 'cancel_run', run_id: 'run_00000000000000000000000000' }), 'not_found');
    const foreign = await expectError(JSON.stringify({ type: 'cancel_run', run_id: started.run_id }), 'not_found');
    expect(foreign.replace(String(started.run_id), 'ID')).toBe(unknown.replace('run_00000000000000000000000000', 'ID'));
  });

  it('a second concurrent run over the per-user limit → limit_exceeded', async () => {
    const client = await connect('one-run-only');
    client.send({ type: 'start_agent', agent: 'burst', input: { events: 50, payload_bytes: 10 } });
    client.send({ type: 'start_agent', agent: 'burst', input: { events: 50, payload_bytes: 10 } });
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.payload['code']).toBe('limit_exceeded');
  });

  it('a user_id in a message is ignored: the run belongs to the token\'s user', async () => {
    const client = await connect('honest-user');
    client.send({ type: 'user_message', text: 'what is 1+1?', user_id: 'someone-else' });
    const done = await client.waitFor(isRunFinished('success'));
    expect(done.user_id).toBe('honest-user');
    expect(client.stream.every((m) => m.user_id === 'honest-user')).toBe(true);
  });
});

describe('limits that close the connection', () => {
  it('a frame above AGENTWIRE_MAX_PAYLOAD_BYTES closes with 1009 and no error message', async () => {
    const client = await connect('too-big');
    client.send({ type: 'user_message', text: 'x'.repeat(5000) });
    expect(await client.waitForClose()).toBe(1009);
    expect(client.ofType('error')).toEqual([]);
    const other = await connect('too-big');
    other.send({ type: 'ping' });
    await other.waitFor((m) => m.type === 'pong');
  });

  it('messages over the rate limit get rate_limited; sustained abuse closes with 1008', async () => {
    const client = await connect('flooder');
    for (let i = 0; i < 40; i += 1) client.send({ type: 'ping' });
    expect(await client.waitForClose()).toBe(1008);
    expect(client.closeReason).toBe('rate limit exceeded');
    expect(client.ofType('pong').length).toBeGreaterThanOrEqual(10);
    expect(client.ofType('pong').length).toBeLessThan(20);
    expect(client.ofType('error').every((m) => m.payload['code'] === 'rate_limited')).toBe(true);
    expect(client.ofType('error').length).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(new URL('/metrics', gateway.url))).text();
    expect(metrics).toMatch(/agentwire_rate_limit_hits_total [1-9]/);
  });

  it('a user over the connection limit is refused at the upgrade with 429, not upgraded and closed', async () => {
    const { gateway: small, tokens: smallTokens } = await startTestGateway({ AGENTWIRE_MAX_CONNECTIONS_PER_USER: '2' });
    try {
      const a = await TestClient.connect(small, smallTokens, 'popular');
      const b = await TestClient.connect(small, smallTokens, 'popular');
      const { token } = await smallTokens.issue('popular' as never, 60);
      expect(await tryUpgrade(`${small.url.replace('http', 'ws')}ws`, [WireProtocol.V2, `bearer.${token}`])).toEqual({ status: 429 });
      await Promise.all([a.close(), b.close()]);
    } finally {
      await small.stop();
    }
  });
});
