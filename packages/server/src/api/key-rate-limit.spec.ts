import { KeyRateLimit } from './key-rate-limit';

describe('the rate limit per API key', () => {
  it('lets a burst through, then says how long until the next call may go', () => {
    let now = 0;
    const limit = new KeyRateLimit({ perSecond: 2, burst: 3 }, () => now);
    expect([limit.take(0), limit.take(0), limit.take(0)]).toEqual([0, 0, 0]);
    expect(limit.take(0)).toBe(500);
    now = 500;
    expect(limit.take(0)).toBe(0);
    expect(limit.take(0)).toBeGreaterThan(0);
  });

  it('keeps one bucket per key', () => {
    const limit = new KeyRateLimit({ perSecond: 1, burst: 1 }, () => 0);
    expect(limit.take(0)).toBe(0);
    expect(limit.take(0)).toBeGreaterThan(0);
    expect(limit.take(1)).toBe(0);
  });

  it('refuses options that would never let a call through', () => {
    expect(() => new KeyRateLimit({ perSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new KeyRateLimit({ perSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
