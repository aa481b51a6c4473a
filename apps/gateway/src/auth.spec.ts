import type { UserId } from '@agentwire/types';
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

  it('reads the agentwire.v1, bearer.<jwt> subprotocol pair', () => {
    expect(offeredProtocols({ 'sec-websocket-protocol': 'agentwire.v1, bearer.a.b.c' })).toEqual(['agentwire.v1', 'bearer.a.b.c']);
    expect(presentedToken({ 'sec-websocket-protocol': 'agentwire.v1, bearer.a.b.c' })).toEqual({ token: 'a.b.c', source: 'subprotocol' });
    expect(() => presentedToken({ 'sec-websocket-protocol': 'bearer.a.b.c' })).toThrow(/must come with agentwire.v1/);
  });

  it('refuses a request without a token', () => {
    expect(() => presentedToken({})).toThrow(expect.objectContaining({ reason: 'missing_token' }));
    expect(() => presentedToken({ 'sec-websocket-protocol': 'agentwire.v1' })).toThrow(expect.objectContaining({ reason: 'missing_token' }));
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
    const badSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('has space').setExpirationTime(exp).sign(key);
    expect(await reason(service.verify(badSub))).toBe('invalid_claims');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'carol', exp })).toString('base64url')}.`;
    expect(['bad_signature', 'malformed_token']).toContain(await reason(service.verify(unsigned)));
  });
});
