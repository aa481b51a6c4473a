import { timingSafeEqual } from 'node:crypto';
import { ApiKeys, bearerKey } from './api-keys';

const KEY_A = 'key-a-0123456789abcdef0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef0123456789abcdef';

/** A comparison that records what it was asked, then compares in constant time. */
function recordingEqual() {
  const calls: { a: Buffer; b: Buffer }[] = [];
  return {
    calls,
    equal: (a: Buffer, b: Buffer) => {
      calls.push({ a, b });
      return timingSafeEqual(a, b);
    },
  };
}

describe('API keys', () => {
  it('matches a configured key and refuses any other, whatever its length', () => {
    const keys = new ApiKeys([KEY_A, KEY_B]);
    expect(keys.match(KEY_A)).toBe(0);
    expect(keys.match(KEY_B)).toBe(1);
    expect(keys.match('short')).toBeNull();
    expect(keys.match(`${KEY_A}x`)).toBeNull();
    expect(keys.match('')).toBeNull();
  });

  it('compares equal-length SHA-256 digests with every configured key, without stopping at the first match', () => {
    const recorder = recordingEqual();
    const keys = new ApiKeys([KEY_A, KEY_B, 'key-c-0123456789abcdef0123456789abcdef'], recorder.equal);
    for (const presented of [KEY_A, 'wrong', `${KEY_B}${'x'.repeat(500)}`]) {
      recorder.calls.length = 0;
      keys.match(presented);
      expect(recorder.calls).toHaveLength(3);
      for (const { a, b } of recorder.calls) expect([a.length, b.length]).toEqual([32, 32]);
    }
  });

  it('uses crypto.timingSafeEqual unless told otherwise', () => {
    // The default comparison is a parameter default: a key match must go through it.
    const keys = new ApiKeys([KEY_A]);
    expect((keys as unknown as { equal: unknown }).equal).toBe(timingSafeEqual);
  });

  it('is off with no key', () => {
    expect(new ApiKeys([]).enabled).toBe(false);
    expect(new ApiKeys([]).match(KEY_A)).toBeNull();
    expect(new ApiKeys([KEY_A]).enabled).toBe(true);
  });

  it('reads the key of an Authorization: Bearer header only', () => {
    expect(bearerKey({ authorization: `Bearer ${KEY_A}` })).toBe(KEY_A);
    expect(bearerKey({ authorization: `bearer ${KEY_A}` })).toBe(KEY_A);
    expect(bearerKey({ authorization: `Basic ${KEY_A}` })).toBeNull();
    expect(bearerKey({})).toBeNull();
  });
});
