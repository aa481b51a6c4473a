import type { UserId } from '@agentwirejs/types';

/**
 * How long a user whose connection was cut off for abuse (sustained rate-limit abuse, 1008) is
 * refused new connections: their upgrades get HTTP 429 with Retry-After meanwhile. Their other
 * open connections are not touched. Long enough that reconnecting in a loop right after 1008
 * costs the gateway one token check per attempt, short enough that a person never notices.
 */
export const ABUSE_COOLDOWN_MS = 5000;

/** Expired entries are swept when the table reaches this size (and then at twice what survived). */
const FIRST_SWEEP_AT = 64;

/** The users cut off for abuse recently, each with the time from which they may connect again. */
export class AbuseCooldown {
  private readonly until = new Map<UserId, number>();
  private sweepAt = FIRST_SWEEP_AT;

  constructor(
    private readonly now: () => number,
    readonly durationMs: number = ABUSE_COOLDOWN_MS,
  ) {}

  /** The user was just cut off: refuse their new connections for durationMs from now. */
  start(userId: UserId): void {
    const now = this.now();
    this.until.set(userId, now + this.durationMs);
    if (this.until.size >= this.sweepAt) {
      for (const [user, until] of this.until) if (until <= now) this.until.delete(user);
      this.sweepAt = Math.max(FIRST_SWEEP_AT, this.until.size * 2);
    }
  }

  /** Whole seconds (rounded up) before the user may connect again; 0 when they may now. */
  retryAfterSeconds(userId: UserId): number {
    const until = this.until.get(userId);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.until.delete(userId);
    return 0;
  }

  /** Users still listed (expired ones may linger until the next sweep or look-up). */
  get size(): number {
    return this.until.size;
  }
}
