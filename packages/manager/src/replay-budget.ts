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
