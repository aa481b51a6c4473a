import { readTokenExpiry } from './jwt';
import { fakeJwt } from './fake-gateway.test-helpers';

describe('readTokenExpiry: when a JWT expires, read without verifying', () => {
  it("reads exp (seconds) as epoch milliseconds", () => {
    expect(readTokenExpiry(fakeJwt({ sub: 'alice', exp: 1_900_000_000, iat: 1_899_999_000 }))).toBe(1_900_000_000_000);
  });

  it('reads a payload with non-ASCII claims and base64url characters', () => {
    const token = fakeJwt({ sub: 'José ✓ ~~~???>>>', exp: 1_800_000_123 });
    expect(token.split('.')[1]).toMatch(/[-_]/);
    expect(readTokenExpiry(token)).toBe(1_800_000_123_000);
  });

  it('tolerates base64 padding', () => {
    const [header, payload, signature] = fakeJwt({ exp: 5 }).split('.');
    expect(readTokenExpiry(`${header}.${payload}==.${signature}`)).toBe(5000);
  });

  it('returns null for what is not a JWT with a numeric exp (an opaque token is not refreshed in place)', () => {
    expect(readTokenExpiry('opaque-token')).toBeNull();
    expect(readTokenExpiry('a.b')).toBeNull();
    expect(readTokenExpiry('a.!!!.c')).toBeNull();
    expect(readTokenExpiry(`x.${Buffer.from('not json').toString('base64url')}.y`)).toBeNull();
    expect(readTokenExpiry(fakeJwt({ sub: 'alice' }))).toBeNull();
    expect(readTokenExpiry(fakeJwt({ exp: '1900000000' }))).toBeNull();
    expect(readTokenExpiry(`x.${Buffer.from('42').toString('base64url')}.y`)).toBeNull();
  });
});
