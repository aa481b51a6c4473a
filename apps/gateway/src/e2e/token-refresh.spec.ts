import { SERVER_MESSAGE_SCHEMAS } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { SignJWT } from 'jose';
import pino from 'pino';
import { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TEST_SECRET, TestClient, startTestGateway } from './harness.test-helpers';

/**
 * Token refresh on a live connection: `{type: "refresh_token", token}` carries a fresh token over
 * the open socket; the gateway verifies it as at the upgrade and, when it names the connection's
 * user, moves the connection's expiry and answers `token_refreshed`. Clock skew is 0 here, so a
 * connection closes exactly when its token's exp passes.
 */

const key = new TextEncoder().encode(TEST_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sign = (claims: { sub: string; exp: number; iat?: number }, secret = key) => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub).setExpirationTime(claims.exp);
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  return jwt.sign(secret);
};

interface LogLine {
  readonly event?: string;
  readonly [field: string]: unknown;
}

async function startGateway(env: Record<string, string> = {}, now?: () => number): Promise<{ gateway: Gateway; tokens: TokenService; logText: () => string; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (raw.push(line), logs.push(JSON.parse(line) as LogLine)) });
  const { gateway, tokens } = await startTestGateway(env, { logger, tokenClockToleranceSeconds: 0, ...(now === undefined ? {} : { now }) });
  return { gateway, tokens, logs, logText: () => raw.join('') };
}

describe('token refresh on a live connection', () => {
  it(
    'keeps one connection open for a minute with tokens of a 5 s lifetime, each refreshed over the socket',
    async () => {
      const { gateway, tokens, logText } = await startGateway();
      const sent: string[] = [];
      try {
        const client = await TestClient.connect(gateway, tokens, 'marathon', { ttlSeconds: 5 });
        const connectionId = (client.messages[0]?.payload as { connection_id: string }).connection_id;
        const started = Date.now();
        const expiries: { issued: number; answered: number }[] = [];
        // Bounded: at most 60 refreshes, until a minute has passed. Each is sent 3 s before the
        // current token's exp (whole seconds, so a 5 s token lives 4–5 s: one every 1–2 s), which
        // leaves a loaded machine time for the round trip; the first 2 s after the connection's own.
        let refreshAt = Date.now() + 2000;
        for (let refresh = 0; refresh < 60 && Date.now() - started < 60_000; refresh += 1) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, refreshAt - Date.now())));
          expect({ closeCode: client.closeCode, closeReason: client.closeReason }).toEqual({ closeCode: null, closeReason: '' });
          const { token, expiresAt } = await tokens.issue('marathon' as UserId, 5);
          sent.push(token);
          const from = client.messages.length;
          client.send({ type: 'refresh_token', token });
          const answer = await client.waitFor((message) => message.type === 'token_refreshed' || message.type === 'error', 5000, from);
          expect(SERVER_MESSAGE_SCHEMAS.token_refreshed.parse(answer)).toEqual(answer);
          expiries.push({ issued: expiresAt, answered: Date.parse((answer.payload as { expires_at: string }).expires_at) });
          refreshAt = expiresAt - 3000;
        }
        expect(Date.now() - started).toBeGreaterThanOrEqual(60_000);
        expect(client.closeCode).toBeNull();
        // Each acknowledgement names the new token's exp (the clock skew is 0 here), moving forward.
        expect(expiries.map((expiry) => expiry.answered)).toEqual(expiries.map((expiry) => expiry.issued));
        expect(expiries.map((expiry) => expiry.answered)).toEqual([...expiries.map((expiry) => expiry.answered)].sort((a, b) => a - b));
        // Still the same live connection: no second greeting, and it answers.
        client.send({ type: 'ping' });
        await client.waitFor((message) => message.type === 'pong');
        expect(client.ofType('connection_established').map((message) => (message.payload as { connection_id: string }).connection_id)).toEqual([connectionId]);
        expect(client.ofType('error')).toEqual([]);
        await client.close();
      } finally {
        await gateway.stop();
      }
      expect(sent.length).toBeGreaterThanOrEqual(25);
      for (const token of sent) expect(logText()).not.toContain(token);
    },
    90_000,
  );

  it('answers a refresh with an invalid or expired token with unauthorized, keeps the connection, and still closes it with 1008 at the old expiry', async () => {
    const { gateway, tokens, logs, logText } = await startGateway();
    try {
      const client = await TestClient.connect(gateway, tokens, 'alice', { ttlSeconds: 2 });
      const refused = [
        await sign({ sub: 'alice', exp: nowSeconds() - 60 }), // expired
        await sign({ sub: 'alice', exp: nowSeconds() + 3600 }, new TextEncoder().encode('x'.repeat(40))), // another secret
        await sign({ sub: 'alice', exp: nowSeconds() + 3600, iat: nowSeconds() + 600 }), // issued in the future
        `${await sign({ sub: 'alice', exp: nowSeconds() + 3600 })}=`, // not the canonical spelling
        'not-a-jwt',
      ];
      for (const token of refused) {
        const from = client.messages.length;
        client.send({ type: 'refresh_token', token });
        const answer = await client.waitFor((message) => message.type === 'error', 5000, from);
        expect(answer.payload).toEqual({ code: 'unauthorized', message: expect.stringMatching(/^token refresh refused: .+; the connection keeps its current expiry$/) });
        expect(JSON.stringify(answer)).not.toContain(token);
      }
      client.send({ type: 'ping' });
      await client.waitFor((message) => message.type === 'pong');
      expect(client.closeCode).toBeNull();
      expect(client.ofType('token_refreshed')).toEqual([]);
      expect(await client.waitForClose(5000)).toBe(1008);
      expect(client.closeReason).toBe('token expired');
      expect(logs.filter((line) => line.event === 'token_refresh_refused').map((line) => line['reason'])).toEqual(['expired', 'bad_signature', 'invalid_claims', 'malformed_token', 'malformed_token']);
      for (const token of refused) expect(logText()).not.toContain(token);
    } finally {
      await gateway.stop();
    }
  });

  it('closes the connection with 1008 when the refresh carries a valid token of another user', async () => {
    const { gateway, tokens, logs } = await startGateway();
    try {
      const client = await TestClient.connect(gateway, tokens, 'alice');
      const { token } = await tokens.issue('mallory' as UserId, 600);
      client.send({ type: 'refresh_token', token });
      expect(await client.waitForClose(5000)).toBe(1008);
      expect(client.closeReason).toBe('token is for another user');
      expect(client.ofType('token_refreshed')).toEqual([]);
      expect(logs.find((line) => line.event === 'token_refresh_refused')).toMatchObject({ reason: 'other_user', userId: 'alice' });
      expect(logs.find((line) => line.event === 'connection_closed')).toMatchObject({ closeCode: 1008, reason: 'token is for another user' });
    } finally {
      await gateway.stop();
    }
  });

  it('never shortens the connection: a token that expires sooner leaves the current expiry in force', async () => {
    const { gateway, tokens } = await startGateway();
    try {
      const client = await TestClient.connect(gateway, tokens, 'alice', { ttlSeconds: 600 });
      const longExpiry = (nowSeconds() + 600) * 1000;
      const { token } = await tokens.issue('alice' as UserId, 5);
      client.send({ type: 'refresh_token', token });
      const answer = await client.waitFor((message) => message.type === 'token_refreshed');
      // Within the second the test's own clock may have moved on.
      const expiry = Date.parse((answer.payload as { expires_at: string }).expires_at);
      expect(expiry).toBeGreaterThanOrEqual(longExpiry - 1000);
      expect(expiry).toBeLessThanOrEqual(longExpiry);
    } finally {
      await gateway.stop();
    }
  });

  it('does not revive a connection whose token has already expired', async () => {
    let clock = Date.now();
    const { gateway } = await startGateway({}, () => clock);
    const tokens = new TokenService({ secret: TEST_SECRET, now: () => clock });
    try {
      const client = await TestClient.connect(gateway, tokens, 'alice', { ttlSeconds: 60 });
      // The gateway's clock jumps past the expiry; the refresh comes before or after the periodic check.
      clock += 120_000;
      const { token } = await tokens.issue('alice' as UserId, 600);
      client.send({ type: 'refresh_token', token });
      expect(await client.waitForClose(5000)).toBe(1008);
      expect(client.closeReason).toBe('token expired');
      expect(client.ofType('token_refreshed')).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a refresh_token without a token with invalid_message naming the field', async () => {
    const { gateway, tokens } = await startGateway();
    try {
      const client = await TestClient.connect(gateway, tokens, 'alice');
      client.send({ type: 'refresh_token' });
      const answer = await client.waitFor((message) => message.type === 'error');
      expect(answer.payload).toMatchObject({ code: 'invalid_message', message: expect.stringMatching(/^refresh_token\.token: /) });
      expect(client.closeCode).toBeNull();
    } finally {
      await gateway.stop();
    }
  });

  it('rate-limits refreshes like every other frame', async () => {
    const { gateway, tokens } = await startGateway({ AGENTWIRE_RATE_LIMIT_PER_SECOND: '1', AGENTWIRE_RATE_LIMIT_BURST: '2' });
    try {
      const client = await TestClient.connect(gateway, tokens, 'alice');
      const { token } = await tokens.issue('alice' as UserId, 600);
      for (let frame = 0; frame < 4; frame += 1) client.send({ type: 'refresh_token', token });
      await client.waitForCount((message) => message.type === 'token_refreshed' || message.type === 'error', 4);
      // The burst lets the first two through; the rest wait for tokens of the bucket.
      expect(client.ofType('token_refreshed').length).toBeGreaterThanOrEqual(2);
      expect(client.ofType('token_refreshed').length).toBeLessThanOrEqual(3);
      expect(client.ofType('error').map((message) => (message.payload as { code: string }).code)).toContain('rate_limited');
    } finally {
      await gateway.stop();
    }
  });
});
