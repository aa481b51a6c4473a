import { reconnectDelay } from './backoff';

const policy = { baseDelayMs: 500, maxDelayMs: 30_000 };

describe('reconnectDelay: exponential backoff with full jitter', () => {
  it('doubles the ceiling with every failed attempt, up to the maximum', () => {
    const almostOne = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => reconnectDelay(attempt, policy, almostOne))).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999]);
  });

  it('draws each delay uniformly from zero up to the ceiling (full jitter), never above it', () => {
    expect(reconnectDelay(4, policy, () => 0)).toBe(0);
    expect(reconnectDelay(4, policy, () => 0.5)).toBe(2000);
    const draws = [0.1, 0.3, 0.7, 0.9];
    for (const draw of draws) expect(reconnectDelay(3, policy, () => draw)).toBe(Math.floor(draw * 2000));
  });

  it('stays bounded for any number of attempts', () => {
    for (const attempt of [50, 1000, Number.MAX_SAFE_INTEGER]) {
      const delay = reconnectDelay(attempt, policy, () => 0.999_999);
      expect(delay).toBeLessThan(policy.maxDelayMs);
      expect(Number.isFinite(delay)).toBe(true);
    }
  });

  it('uses Math.random when no source is given', () => {
    const delay = reconnectDelay(2, policy);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(1000);
  });
});
