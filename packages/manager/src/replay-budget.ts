/**
 * How much replay one connection may receive: a leaky bucket of replayed bytes. A replay may
 * start while the bytes the connection still owes are below `burstBytes`; what it replays is
 * then added (it may go above the burst: a replay is never cut short), and the debt drains at
 * `bytesPerSecond`. So within any T seconds a connection receives at most
 * burstBytes + bytesPerSecond × T + one replay (at most what history keeps for its user).
 */
export interface ReplayBudgetPolicy {
  readonly burstBytes: number;
  readonly bytesPerSecond: number;
}

/** The per-connection state of the budget (two numbers on the connection record). */
export interface ReplayMeter {
  /** Replayed bytes not yet drained. */
  replayOwedBytes: number;
  /** Clock time (ms) the debt was last drained to. */
  replayOwedAt: number;
}

function drain(meter: ReplayMeter, policy: ReplayBudgetPolicy, now: number): void {
  // A clock that steps back drains nothing rather than adding debt.
  const paid = (Math.max(0, now - meter.replayOwedAt) * policy.bytesPerSecond) / 1000;
  meter.replayOwedBytes = Math.max(0, meter.replayOwedBytes - paid);
  meter.replayOwedAt = now;
}

/** Milliseconds until the connection may start another replay; 0 when it may now. */
export function replayWaitMs(meter: ReplayMeter, policy: ReplayBudgetPolicy, now: number): number {
  drain(meter, policy, now);
  const over = meter.replayOwedBytes - policy.burstBytes;
  return over < 0 ? 0 : Math.max(1, Math.ceil(((over + 1) * 1000) / policy.bytesPerSecond));
}

/** Adds the bytes a replay wrote to the connection's debt. */
export function chargeReplay(meter: ReplayMeter, policy: ReplayBudgetPolicy, bytes: number, now: number): void {
  drain(meter, policy, now);
  meter.replayOwedBytes += bytes;
}

/** Meters of the users whose debt is not drained yet are kept; the table is swept when it doubles. */
const FIRST_USER_SWEEP_AT = 64;

/**
 * The replay budget of each user of this process, across all of the user's connections and
 * reconnections: a per-connection budget alone let a client that reconnects with
 * `?after_seq=0` in a loop take the whole history on every new connection. A user's meter
 * outlives their connections until its debt has drained (so a reconnect cannot reset it).
 */
export class UserReplayMeters<K> {
  private readonly meters = new Map<K, ReplayMeter>();
  private sweepAt = FIRST_USER_SWEEP_AT;

  constructor(
    readonly policy: ReplayBudgetPolicy,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until the user may start another replay; 0 when they may now. */
  waitMs(user: K): number {
    const meter = this.meters.get(user);
    if (meter === undefined) return 0;
    const wait = replayWaitMs(meter, this.policy, this.now());
    if (meter.replayOwedBytes === 0) this.meters.delete(user);
    return wait;
  }

  /** Adds the bytes a replay wrote to one of the user's connections. */
  charge(user: K, bytes: number): void {
    const now = this.now();
    let meter = this.meters.get(user);
    if (meter === undefined) {
      meter = { replayOwedBytes: 0, replayOwedAt: now };
      this.meters.set(user, meter);
      if (this.meters.size >= this.sweepAt) this.sweep(now);
    }
    chargeReplay(meter, this.policy, bytes, now);
  }

  /** Users whose debt has not been seen drained yet. */
  get size(): number {
    return this.meters.size;
  }

  private sweep(now: number): void {
    for (const [user, meter] of this.meters) {
      replayWaitMs(meter, this.policy, now);
      if (meter.replayOwedBytes === 0) this.meters.delete(user);
    }
    this.sweepAt = Math.max(FIRST_USER_SWEEP_AT, this.meters.size * 2);
  }
}
