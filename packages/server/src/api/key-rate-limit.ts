/** How many calls one API key may make: a token bucket refilled at `perSecond`, holding at most `burst`. */
export interface KeyRateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * A token bucket per API key (keys are few and configured, so the map is bounded by their number).
 * `take` answers 0 when the call may go ahead, else how many milliseconds until a token is back.
 */
export class KeyRateLimit {
  private readonly buckets = new Map<number, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly options: KeyRateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(options.perSecond > 0) || !(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new RangeError('the API rate limit needs perSecond above 0 and an integer burst of at least 1');
    }
    this.perMs = options.perSecond / 1000;
  }

  take(key: number): number {
    const at = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, refilledAt: at };
    this.buckets.set(key, bucket);
    // A clock that steps back refills nothing rather than draining the bucket.
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + Math.max(0, at - bucket.refilledAt) * this.perMs);
    bucket.refilledAt = at;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs);
  }
}
