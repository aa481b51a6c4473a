import { WireProtocol } from '@agentwirejs/protocols';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { Gateway } from '../gateway';
import { TEST_SECRET, TestClient, startTestGateway, tryUpgrade, wsUrl } from './harness.test-helpers';

const key = new TextEncoder().encode(TEST_SECRET);
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;
const sign = (claims: { sub?: string; exp?: number }, secret = key) => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' });
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(secret);
};

describe('authentication at the upgrade', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    ({ gateway } = await startTestGateway());
  });
  afterAll(() => gateway.stop());

  it('accepts a token in the subprotocol pair and answers with the version offered only (agentwire.v2 when both are)', async () => {
    const token = await sign({ sub: 'alice', exp: inOneHour() });
    expect(await tryUpgrade(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`])).toEqual({ status: 101, protocol: WireProtocol.V2 });
    expect(await tryUpgrade(wsUrl(gateway), [WireProtocol.V1, `bearer.${token}`])).toEqual({ status: 101, protocol: WireProtocol.V1 });
    expect(await tryUpgrade(wsUrl(gateway), [WireProtocol.V1, WireProtocol.V2, `bearer.${token}`])).toEqual({ status: 101, protocol: WireProtocol.V2 });
  });

  it('accepts a token in the Authorization header', async () => {
    const token = await sign({ sub: 'alice', exp: inOneHour() });
    expect((await tryUpgrade(wsUrl(gateway), [], { authorization: `Bearer ${token}` })).status).toBe(101);
  });

  it('names the protocol it speaks in connection_established: v1 for a connection that offered none', async () => {
    const token = await sign({ sub: 'alice', exp: inOneHour() });
    const greetings = await Promise.all(
      [
        { protocols: [WireProtocol.V2, `bearer.${token}`], headers: {} },
        { protocols: [WireProtocol.V1, `bearer.${token}`], headers: {} },
        { protocols: [], headers: { authorization: `Bearer ${token}` } },
      ].map(
        ({ protocols, headers }) =>
          new Promise<unknown>((resolve, reject) => {
            const socket = new WebSocket(wsUrl(gateway), protocols, { headers });
            socket.once('message', (data: Buffer) => {
              resolve(JSON.parse(data.toString()));
              socket.close();
            });
            socket.once('error', reject);
          }),
      ),
    );
    expect(greetings).toEqual([
      expect.objectContaining({ type: 'connection_established', payload: expect.objectContaining({ protocol: WireProtocol.V2 }) }),
      expect.objectContaining({ type: 'connection_established', payload: expect.objectContaining({ protocol: WireProtocol.V1 }) }),
      expect.objectContaining({ type: 'connection_established', payload: expect.objectContaining({ protocol: WireProtocol.V1 }) }),
    ]);
  });

  it.each([
    ['no token at all', async () => ({ protocols: [WireProtocol.V2], headers: {} })],
    ['a malformed token', async () => ({ protocols: [WireProtocol.V2, 'bearer.not-a-jwt'], headers: {} })],
    ['a malformed Authorization header', async () => ({ protocols: [], headers: { authorization: 'Token abc' } })],
    ['a token signed with another secret', async () => ({ protocols: [WireProtocol.V2, `bearer.${await sign({ sub: 'alice', exp: inOneHour() }, new TextEncoder().encode('x'.repeat(40)))}`], headers: {} })],
    ['an expired token', async () => ({ protocols: [WireProtocol.V2, `bearer.${await sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 120 })}`], headers: {} })],
    ['a token without exp', async () => ({ protocols: [WireProtocol.V2, `bearer.${await sign({ sub: 'alice' })}`], headers: {} })],
    ['a token without sub', async () => ({ protocols: [WireProtocol.V2, `bearer.${await sign({ exp: inOneHour() })}`], headers: {} })],
    ['a bearer subprotocol without agentwire.v2 or agentwire.v1', async () => ({ protocols: [`bearer.${await sign({ sub: 'alice', exp: inOneHour() })}`], headers: {} })],
    ['a bearer subprotocol with a version the gateway does not speak', async () => ({ protocols: ['agentwire.v3', `bearer.${await sign({ sub: 'alice', exp: inOneHour() })}`], headers: {} })],
  ])('refuses %s with HTTP 401 and opens no socket', async (_case, request) => {
    const { protocols, headers } = await request();
    expect(await tryUpgrade(wsUrl(gateway), protocols, headers)).toEqual({ status: 401 });
    const health = (await (await fetch(new URL('/health', gateway.url))).json()) as { connections: number };
    expect(health.connections).toBe(0);
  });

  it('counts auth failures by reason in /metrics', async () => {
    const text = await (await fetch(new URL('/metrics', gateway.url))).text();
    expect(text).toMatch(/agentwire_auth_failures_total\{reason="expired"\} [1-9]/);
    expect(text).toMatch(/agentwire_auth_failures_total\{reason="missing_token"\} [1-9]/);
  });

  it('refuses other paths and a malformed after_seq', async () => {
    const token = await sign({ sub: 'alice', exp: inOneHour() });
    expect((await tryUpgrade(wsUrl(gateway).replace(/\/ws$/, '/other'), [WireProtocol.V2, `bearer.${token}`])).status).toBe(404);
    expect((await tryUpgrade(wsUrl(gateway, '?after_seq=-1'), [WireProtocol.V2, `bearer.${token}`])).status).toBe(400);
  });

});

describe('token expiry on an open connection', () => {
  it('closes with 1008 at expiry', async () => {
    const { gateway, tokens } = await startTestGateway({}, { tokenClockToleranceSeconds: 0 });
    try {
      const client = await TestClient.connect(gateway, tokens, 'short-lived', { ttlSeconds: 1 });
      const opened = Date.now();
      expect(await client.waitForClose(5000)).toBe(1008);
      expect(client.closeReason).toBe('token expired');
      expect(Date.now() - opened).toBeLessThan(2500);
    } finally {
      await gateway.stop();
    }
  });
});

describe('the development token endpoint', () => {
  it('issues tokens in development mode that the gateway accepts', async () => {
    const { gateway } = await startTestGateway({ AGENTWIRE_ENV: 'development' });
    try {
      const response = await fetch(new URL('/dev/token', gateway.url), { method: 'POST', body: JSON.stringify({ user: 'alice' }) });
      expect(response.status).toBe(200);
      const grant = (await response.json()) as { token: string; user_id: string; expires_at: string };
      expect(grant.user_id).toBe('alice');
      expect(await tryUpgrade(wsUrl(gateway), [WireProtocol.V2, `bearer.${grant.token}`])).toEqual({ status: 101, protocol: WireProtocol.V2 });
      const bad = await fetch(new URL('/dev/token', gateway.url), { method: 'POST', body: JSON.stringify({ user: 'line\nbreak' }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/control characters/);
      expect((await fetch(new URL('/dev/token', gateway.url), { method: 'POST', body: 'not json' })).status).toBe(400);
      expect((await fetch(new URL('/dev/token', gateway.url))).status).toBe(405);
    } finally {
      await gateway.stop();
    }
  });

  it.each(['production', 'test'])('is absent in %s mode', async (env) => {
    const { gateway } = await startTestGateway({ AGENTWIRE_ENV: env });
    try {
      const response = await fetch(new URL('/dev/token', gateway.url), { method: 'POST', body: JSON.stringify({ user: 'alice' }) });
      expect(response.status).toBe(404);
    } finally {
      await gateway.stop();
    }
  });
});
