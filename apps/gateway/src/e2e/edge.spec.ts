import { connect } from 'node:net';
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { WireProtocol } from '@agentwirejs/protocols';
import type { Gateway } from '../gateway';
import { TEST_SECRET, TestClient, coveredSeqs, deleteRedisKeys, isRunFinished, startTestGateway, tryUpgrade, wsUrl } from './harness.test-helpers';
import type { TokenService } from '@agentwirejs/server';

const key = new TextEncoder().encode(TEST_SECRET);
/** The demo agent's answer at full speed: these tests are about identity and streams, not pace. */
const FAST_DEMO = { AGENTWIRE_DEMO_TOKENS_PER_SECOND: '100000' };
const completed = isRunFinished('success');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sign = (claims: { sub?: unknown; iat?: number; exp?: number }) => new SignJWT(claims as Record<string, unknown>).setProtectedHeader({ alg: 'HS256' }).sign(key);

/** Sends one raw HTTP request on a fresh TCP connection and resolves with the status line and headers the server answered. */
function rawRequest(port: number, head: string): Promise<{ statusLine: string; headers: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; received ${JSON.stringify(received)}`));
    }, 5000);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      clearTimeout(timer);
      socket.destroy();
      const [statusLine = '', ...headers] = received.slice(0, end).split('\r\n');
      resolve({ statusLine, headers: headers.join('\n') });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function upgradeHead(options: { version?: string; hosts?: string[]; token: string }): string {
  const lines = [`GET /ws HTTP/${options.version ?? '1.1'}`];
  for (const host of options.hosts ?? ['127.0.0.1']) lines.push(`Host: ${host}`);
  lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `Authorization: Bearer ${options.token}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

describe('identity: any verified subject is a user, and a bad one is refused at the upgrade', () => {
  let gateway: Gateway;
  let tokens: TokenService;
  beforeAll(async () => {
    ({ gateway, tokens } = await startTestGateway(FAST_DEMO));
  });
  afterAll(() => gateway.stop());

  it.each(['1', '0', 'test', 'demo', 'default', 'auth0|5f7c8ec7c33c6c004bbafe82', 'google-oauth2|1234', 'a+b@x.com', 'José', '3f0e9a4c-1b2d-4c5e-8f7a-9b0c1d2e3f4a'])(
    'serves the subject %p as its own user, end to end, and the process goes on',
    async (subject) => {
      const client = await TestClient.connect(gateway, tokens, subject);
      client.send({ type: 'user_message', text: 'what is 2+3?' });
      const done = await client.waitFor(completed);
      expect(done.user_id).toBe(subject);
      expect(client.stream.every((m) => m.user_id === subject)).toBe(true);
      expect(client.wireProblems()).toEqual([]);
      await client.close();
      expect((await fetch(new URL('/health', gateway.url))).status).toBe(200);
    },
  );

  it('keeps one user\'s stream whole while other subjects come and go', async () => {
    const watcher = await TestClient.connect(gateway, tokens, 'watcher');
    for (const subject of ['test', '1']) {
      const other = await TestClient.connect(gateway, tokens, subject);
      await other.close();
    }
    watcher.send({ type: 'user_message', text: 'what is 6*7?' });
    await watcher.waitFor(completed);
    expect(watcher.wireProblems()).toEqual([]);
    expect(watcher.stream.map((m) => m.seq)).toEqual(watcher.stream.map((_m, index) => (watcher.stream[0]?.seq ?? 0) + index));
    expect(watcher.stream.every((m) => m.user_id === 'watcher')).toBe(true);
    await watcher.close();
  });

  it.each([
    ['an empty subject', ''],
    ['a subject with a control character', 'line\nbreak'],
    ['a subject of 257 bytes', 'x'.repeat(257)],
    ['a numeric subject claim', 1],
  ])('refuses %s with 401 and a reason, and opens no socket', async (_case, subject) => {
    const token = await sign({ sub: subject, exp: nowSeconds() + 600 });
    const answer = await rawRequest(gateway.port, upgradeHead({ token }));
    expect(answer.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    const health = (await (await fetch(new URL('/health', gateway.url))).json()) as { connections: number; status: string };
    expect(health).toMatchObject({ status: 'ok', connections: 0 });
  });

  it('tells why a subject is refused', async () => {
    const token = await sign({ sub: 'x'.repeat(300), exp: nowSeconds() + 600 });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(gateway.port, '127.0.0.1', () => socket.write(upgradeHead({ token })));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toMatch(/not a valid user id: UserId must be at most 256 UTF-8 bytes/);
  });

  it('refuses a respelled token and a token issued in the future', async () => {
    const good = await sign({ sub: 'alice', exp: nowSeconds() + 600 });
    expect((await tryUpgrade(wsUrl(gateway), [WireProtocol.V2, `bearer.${good}`])).status).toBe(101);
    for (const respelled of [`${good}=`, `${good.slice(0, -2)}%${good.slice(-2)}`, `${good}!`]) {
      expect((await rawRequest(gateway.port, upgradeHead({ token: respelled }))).statusLine).toBe('HTTP/1.1 401 Unauthorized');
    }
    const future = await sign({ sub: 'alice', iat: nowSeconds() + 365 * 86_400, exp: nowSeconds() + 400 * 86_400 });
    expect((await rawRequest(gateway.port, upgradeHead({ token: future }))).statusLine).toBe('HTTP/1.1 401 Unauthorized');
  });
});

describe('the opening handshake is HTTP/1.1 with exactly one Host', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    ({ gateway } = await startTestGateway());
  });
  afterAll(() => gateway.stop());

  it('upgrades a well-formed request', async () => {
    const token = await sign({ sub: 'alice', exp: nowSeconds() + 600 });
    expect((await rawRequest(gateway.port, upgradeHead({ token }))).statusLine).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it.each([
    ['an HTTP/1.0 upgrade', { version: '1.0' }],
    ['an upgrade without Host', { hosts: [] }],
    ['an upgrade with two Host headers', { hosts: ['127.0.0.1', 'evil.invalid'] }],
  ])('refuses %s with 400 and opens no socket', async (_case, shape) => {
    const token = await sign({ sub: 'alice', exp: nowSeconds() + 600 });
    expect((await rawRequest(gateway.port, upgradeHead({ token, ...shape }))).statusLine).toBe('HTTP/1.1 400 Bad Request');
    const health = (await (await fetch(new URL('/health', gateway.url))).json()) as { connections: number };
    expect(health.connections).toBe(0);
  });
});

describe('connection limits are answered at the upgrade', () => {
  it('refuses the connection over the per-user limit with 429 and Retry-After, before any socket opens', async () => {
    const { gateway, tokens } = await startTestGateway({ AGENTWIRE_MAX_CONNECTIONS_PER_USER: '3' });
    try {
      const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(gateway, tokens, 'many-tabs')));
      const token = await sign({ sub: 'many-tabs', exp: nowSeconds() + 600 });
      const answer = await rawRequest(gateway.port, upgradeHead({ token }));
      expect(answer.statusLine).toBe('HTTP/1.1 429 Too Many Requests');
      expect(answer.headers).toMatch(/^Retry-After: \d+$/m);
      // parallel upgrades cannot slip past the limit either
      const burst = await Promise.all([1, 2, 3, 4].map(() => tryUpgrade(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`])));
      expect(burst.map((answer) => answer.status)).toEqual([429, 429, 429, 429]);
      // another user is not affected
      const other = await TestClient.connect(gateway, tokens, 'someone-else');
      await clients[0]?.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await TestClient.connect(gateway, tokens, 'many-tabs');
      const text = await (await fetch(new URL('/metrics', gateway.url))).text();
      expect(text).toMatch(/agentwire_connections_refused_total\{reason="user_limit"\} 5/);
      await Promise.all([again, other, ...clients.slice(1)].map((client) => client?.close()));
    } finally {
      await gateway.stop();
    }
  });

  it('admits exactly the limit when upgrades of one user race', async () => {
    const { gateway } = await startTestGateway({ AGENTWIRE_MAX_CONNECTIONS_PER_USER: '2' });
    try {
      const token = await sign({ sub: 'racer', exp: nowSeconds() + 600 });
      // the sockets stay open until every answer is in, so no admitted one frees its slot early
      const sockets: WebSocket[] = [];
      const answers = await Promise.all(
        [1, 2, 3, 4, 5, 6].map(
          () =>
            new Promise<number>((resolve, reject) => {
              const socket = new WebSocket(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`]);
              sockets.push(socket);
              socket.once('open', () => resolve(101));
              socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
              socket.once('error', (error) => {
                if (!/Unexpected server response/.test(error.message)) reject(error);
              });
            }),
        ),
      );
      expect(answers.filter((status) => status === 101)).toHaveLength(2);
      expect(answers.filter((status) => status === 429)).toHaveLength(4);
      for (const socket of sockets) socket.terminate();
    } finally {
      await gateway.stop();
    }
  });
});

describe('the stream epoch tells a reconnecting client that its position belongs to a stream that is gone', () => {
  it('names one epoch on every tab and a new one after a restart (in memory)', async () => {
    const first = await startTestGateway(FAST_DEMO);
    const tabA = await TestClient.connect(first.gateway, first.tokens, 'erin');
    const tabB = await TestClient.connect(first.gateway, first.tokens, 'erin');
    const epochOf = (client: TestClient) => client.ofType('connection_established')[0]?.payload['epoch'];
    expect(typeof epochOf(tabA)).toBe('string');
    expect(epochOf(tabB)).toBe(epochOf(tabA));
    tabA.send({ type: 'user_message', text: 'what is 1+1?' });
    const done = await tabA.waitFor(completed);
    await Promise.all([tabA.close(), tabB.close()]);
    await first.gateway.stop();

    const second = await startTestGateway(FAST_DEMO);
    try {
      const back = await TestClient.connect(second.gateway, second.tokens, 'erin', { query: `?after_seq=${done.seq ?? 0}` });
      const greeting = back.ofType('connection_established')[0];
      expect(greeting?.payload['last_seq']).toBe(0);
      expect(greeting?.payload['epoch']).not.toBe(epochOf(tabA));
      await back.close();

      // Another tab fills the new stream past the old position before this one reconnects...
      const other = await TestClient.connect(second.gateway, second.tokens, 'erin');
      other.send({ type: 'user_message', text: 'what is 1+2?' });
      await other.waitForCount(completed, 1);
      other.send({ type: 'user_message', text: 'what is 2+3?' });
      await other.waitForCount(completed, 2);
      const newest = other.stream.at(-1)?.seq ?? 0;
      expect(newest).toBeGreaterThan(done.seq ?? 0);
      // ...so only the epoch can tell it that its position is from a stream that is gone: it gets the new one from seq 1.
      const stale = await TestClient.connect(second.gateway, second.tokens, 'erin', { query: `?after_seq=${done.seq ?? 0}&epoch=${String(epochOf(tabA))}` });
      await stale.waitFor((m) => m.seq === newest);
      // (a replay folds each streamed message's deltas into one envelope, so positions are counted, not envelopes)
      expect(coveredSeqs(stale.stream)).toEqual(Array.from({ length: newest }, (_v, index) => index + 1));
      // the same position with the current epoch replays only what came after it
      const current = await TestClient.connect(second.gateway, second.tokens, 'erin', { query: `?after_seq=${done.seq ?? 0}&epoch=${String(epochOf(stale))}` });
      await current.waitFor((m) => m.seq === newest);
      expect(coveredSeqs(current.stream)).toEqual(Array.from({ length: newest - (done.seq ?? 0) }, (_v, index) => (done.seq ?? 0) + 1 + index));
      expect(stale.wireProblems()).toEqual([]);
      expect(current.wireProblems()).toEqual([]);
      expect((await tryUpgrade(wsUrl(second.gateway, '?epoch=abc'), [WireProtocol.V2, `bearer.${(await second.tokens.issue('erin' as never, 60)).token}`])).status).toBe(400);
      await Promise.all([other.close(), stale.close(), current.close()]);
    } finally {
      await second.gateway.stop();
    }
  });

  it('names a new epoch when Redis lost the user\'s stream', async () => {
    const prefix = `agentwire-test:epoch-${process.pid}-${Date.now()}:`;
    const { gateway, tokens } = await startTestGateway({ ...FAST_DEMO, AGENTWIRE_REDIS_URL: 'redis://127.0.0.1:6379', AGENTWIRE_REDIS_KEY_PREFIX: prefix });
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    try {
      const tab = await TestClient.connect(gateway, tokens, 'rosa');
      tab.send({ type: 'user_message', text: 'what is 2*2?' });
      const done = await tab.waitFor(completed);
      const before = tab.ofType('connection_established')[0]?.payload['epoch'];
      await tab.close();
      // what a Redis restarted empty (or an expired stream) leaves of rosa: nothing
      expect(await redis.del(`${prefix}u:{rosa}:meta`, `${prefix}u:{rosa}:log`)).toBe(2);
      const back = await TestClient.connect(gateway, tokens, 'rosa', { query: `?after_seq=${done.seq ?? 0}` });
      const after = back.ofType('connection_established')[0]?.payload['epoch'];
      expect(typeof after).toBe('string');
      expect(after).not.toBe(before);
      await back.close();
    } finally {
      await gateway.stop();
      await deleteRedisKeys(redis, prefix);
      redis.disconnect();
    }
  });
});
