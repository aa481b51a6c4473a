/** How long reconnect attempts wait: exponential ceilings, each delay drawn uniformly below its ceiling ("full jitter"). */
export interface BackoffPolicy {
  /** The ceiling of the first attempt's delay. */
  readonly baseDelayMs: number;
  /** The ceiling no attempt's delay exceeds. */
  readonly maxDelayMs: number;
}

/**
 * The delay before reconnect attempt `attempt` (1 = the first after a failure): uniform in
 * [0, min(maxDelayMs, baseDelayMs · 2^(attempt − 1))). Full jitter spreads the reconnects of
 * many clients that lost the same gateway at the same moment, instead of bunching them at each
 * ceiling. `random` returns numbers in [0, 1), like Math.random.
 */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  // 2^30 · any positive base is past any sensible maximum; capping the exponent keeps it finite.
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
