import type { UserId } from '@agentwirejs/types';
import { SignJWT } from 'jose';
import { AuthenticationError, TokenService, offeredProtocols, presentedToken } from './auth';

const secret = 's'.repeat(32);
const key = new TextEncoder().encode(secret);
const now = Date.parse('2026-06-01T00:00:00Z');
const service = new TokenService({ secret, now: () => now });

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return (error as AuthenticationError).reason;
  }
  throw new Error('expected a rejection');
}

describe('presentedToken', () => {
  it('reads a Bearer Authorization header', () => {
    expect(presentedToken({ authorization: 'Bearer abc.def.ghi' })).toEqual({ token: 'abc.def.ghi', source: 'authorization' });
    expect(() => presentedToken({ authorization: 'Basic xyz' })).toThrow(AuthenticationError);
  });

  it('reads the agentwire.v2, bearer.<jwt> subprotocol pair', () => {
    expect(offeredProtocols({ 'sec-websocket-protocol': 'agentwire.v2, bearer.a.b.c' })).toEqual(['agentwire.v2', 'bearer.a.b.c']);
    expect(presentedToken({ 'sec-websocket-protocol': 'agentwire.v2, bearer.a.b.c' })).toEqual({ token: 'a.b.c', source: 'subprotocol' });
  });

  it('still reads the agentwire.v1, bearer.<jwt> pair, and the token next to both versions', () => {
    expect(offeredProtocols({ 'sec-websocket-protocol': 'agentwire.v1, bearer.a.b.c' })).toEqual(['agentwire.v1', 'bearer.a.b.c']);
    expect(presentedToken({ 'sec-websocket-protocol': 'agentwire.v1, bearer.a.b.c' })).toEqual({ token: 'a.b.c', source: 'subprotocol' });
    expect(presentedToken({ 'sec-websocket-protocol': 'agentwire.v1, agentwire.v2, bearer.a.b.c' })).toEqual({ token: 'a.b.c', source: 'subprotocol' });
  });

  it('refuses a bearer subprotocol that comes without one of ours, naming both', () => {
    expect(() => presentedToken({ 'sec-websocket-protocol': 'bearer.a.b.c' })).toThrow(expect.objectContaining({ reason: 'protocol_not_offered' }));
    expect(() => presentedToken({ 'sec-websocket-protocol': 'bearer.a.b.c' })).toThrow(/must come with agentwire.v2 or agentwire.v1/);
    expect(() => presentedToken({ 'sec-websocket-protocol': 'agentwire.v3, bearer.a.b.c' })).toThrow(expect.objectContaining({ reason: 'protocol_not_offered' }));
  });

  it('refuses a request without a token', () => {
    expect(() => presentedToken({})).toThrow(expect.objectContaining({ reason: 'missing_token' }));
    expect(() => presentedToken({ 'sec-websocket-protocol': 'agentwire.v1' })).toThrow(expect.objectContaining({ reason: 'missing_token' }));
    expect(() => presentedToken({ 'sec-websocket-protocol': 'agentwire.v2' })).toThrow(expect.objectContaining({ reason: 'missing_token' }));
  });
});

describe('TokenService', () => {
  it('issues tokens it verifies, naming the user and when they stop being accepted', async () => {
    const { token, expiresAt } = await service.issue('alice' as UserId, 60);
    expect(expiresAt).toBe(now + 60_000);
    await expect(service.verify(token)).resolves.toEqual({ userId: 'alice', validUntil: now + 90_000 });
  });

  it('rejects expired tokens beyond 30 s of skew, and accepts them within it', async () => {
    const exp = Math.floor(now / 1000) - 20;
    const recent = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bob').setExpirationTime(exp).sign(key);
    await expect(service.verify(recent)).resolves.toMatchObject({ userId: 'bob' });
    const old = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bob').setExpirationTime(exp - 20).sign(key);
    expect(await reason(service.verify(old))).toBe('expired');
  });

  it('rejects bad signatures, malformed tokens, missing claims and bad subjects', async () => {
    const exp = Math.floor(now / 1000) + 60;
    const otherKey = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('carol').setExpirationTime(exp).sign(new TextEncoder().encode('o'.repeat(32)));
    expect(await reason(service.verify(otherKey))).toBe('bad_signature');
    expect(await reason(service.verify('not-a-jwt'))).toBe('malformed_token');
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('carol').sign(key);
    expect(await reason(service.verify(noExp))).toBe('invalid_claims');
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key);
    expect(await reason(service.verify(noSub))).toBe('invalid_claims');
    const badSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('has\nnewline').setExpirationTime(exp).sign(key);
    expect(await reason(service.verify(badSub))).toBe('invalid_claims');
    await expect(service.verify(badSub)).rejects.toThrow(/not a valid user id: UserId must not contain control characters/);
    const tooLong = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x'.repeat(257)).setExpirationTime(exp).sign(key);
    await expect(service.verify(tooLong)).rejects.toThrow(/at most 256 UTF-8 bytes/);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'carol', exp })).toString('base64url')}.`;
    expect(['bad_signature', 'malformed_token']).toContain(await reason(service.verify(unsigned)));
  });
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('TokenService: one token, one spelling, one identity', () => {
  const exp = Math.floor(now / 1000) + 60;
  const sign = (subject: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt(Math.floor(now / 1000)).setExpirationTime(exp).sign(key);

  it.each(['1', '0', 'test', 'demo', 'default', 'auth0|5f7c8ec7c33c6c004bbafe82', 'google-oauth2|1234', 'a+b@x.com', 'José', '3f0e9a4c-1b2d-4c5e-8f7a-9b0c1d2e3f4a'])(
    'accepts the subject %p as the user id, as it is',
    async (subject) => {
      await expect(service.verify(await sign(subject))).resolves.toMatchObject({ userId: subject });
    },
  );

  it.each([
    ['a character outside base64url appended to the signature', (t: string) => `${t}!`],
    ['padding on the signature', (t: string) => `${t}=`],
    ['a percent sign inside the signature', (t: string) => `${t.slice(0, -3)}%${t.slice(-3)}`],
    ['# and $ inside the payload', (t: string) => t.replace('.', '.#$')],
    ['stray bits in the last character of the signature', (t: string) => t.slice(0, -1) + BASE64URL[BASE64URL.indexOf(t.slice(-1)) ^ 1]],
  ])('refuses a token respelled with %s', async (_what, respell) => {
    const token = await sign('alice');
    await expect(service.verify(token)).resolves.toMatchObject({ userId: 'alice' });
    expect(await reason(service.verify(respell(token)))).toMatch(/malformed_token|bad_signature/);
  });

  it('refuses a token issued in the future beyond the clock skew, and accepts one within it', async () => {
    const at = (seconds: number) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt(Math.floor(now / 1000) + seconds).setExpirationTime(exp + 400 * 86_400).sign(key);
    await expect(service.verify(await at(20))).resolves.toMatchObject({ userId: 'alice' });
    expect(await reason(service.verify(await at(365 * 86_400)))).toBe('invalid_claims');
    await expect(service.verify(await at(365 * 86_400))).rejects.toThrow(/issued in the future/);
  });
});
