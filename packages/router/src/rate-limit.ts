import { ErrorCode } from '@agentwirejs/protocols';
import type { ConnectionId } from '@agentwirejs/types';
import { RouterErrorCode, RouterSetupError } from './errors';
import type { RouteMiddleware } from './message-router';
import type { RouteContext } from './route-context';

/**
 * Settings of the per-connection token bucket. This package has no defaults of its own: the
 * gateway passes `AppConfig.rateLimit` (20 a second, burst 40, close after 100; see the
 * AGENTWIRE_RATE_LIMIT_* settings) plus its abuse callback.
 */
export interface RateLimitOptions<C extends RouteContext = RouteContext> {
  /** Tokens added per second: the sustained number of frames a connection may send each second (> 0). */
  readonly perSecond: number;
  /** Bucket size: frames a quiet connection may send at once (integer ≥ 1); a new connection starts full. */
  readonly burst: number;
  /** Consecutive rejections after which `onSustainedAbuse` is called (integer ≥ 1). */
  readonly closeAfterRejections: number;
  /**
   * Called once per streak, on the `closeAfterRejections`-th rejection in a row, before that
   * frame's rate_limited reply is sent; the gateway closes the connection with 1008. An
   * accepted frame ends the streak. If it throws, the frame is answered with internal_error.
   */
  readonly onSustainedAbuse: (context: C, rejections: number) => void;
  /** Monotonic clock in milliseconds; `performance.now()` when absent. Inject a fake one in tests. */
  readonly now?: () => number;
}

/** A rate limit: its middleware for `router.use()`, and the per-connection state it keeps. */
export interface RateLimit<C extends RouteContext = RouteContext> {
  /** Takes one token per frame (valid or not); with none left, rejects the frame with rate_limited. */
  readonly middleware: RouteMiddleware<C>;
  /** Drops a connection's bucket. The gateway calls it when the connection closes; otherwise the entry stays. */
  forget(connectionId: ConnectionId): void;
  /** Connections with a bucket: what `forget` has not dropped yet. */
  readonly trackedConnections: number;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
  rejectionsInARow: number;
}

/** Creates a token-bucket rate limit keyed by connection id, for one router. */
export function createRateLimit<C extends RouteContext = RouteContext>(options: RateLimitOptions<C>): RateLimit<C> {
  const { perSecond, burst, closeAfterRejections, onSustainedAbuse } = checkOptions(options);
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<ConnectionId, Bucket>();
  const perMs = perSecond / 1000;
  const rejection = {
    code: ErrorCode.RateLimited,
    message: `rate limit exceeded: at most ${perSecond} messages a second (burst ${burst})`,
  } as const;

  const middleware: RouteMiddleware<C> = (context) => {
    const at = now();
    let bucket = buckets.get(context.connectionId);
    if (bucket === undefined) {
      bucket = { tokens: burst, refilledAt: at, rejectionsInARow: 0 };
      buckets.set(context.connectionId, bucket);
    }
    // A clock that steps back refills nothing rather than draining the bucket.
    bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, at - bucket.refilledAt) * perMs);
    bucket.refilledAt = at;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.rejectionsInARow = 0;
      return undefined;
    }
    bucket.rejectionsInARow += 1;
    if (bucket.rejectionsInARow === closeAfterRejections) onSustainedAbuse(context, bucket.rejectionsInARow);
    return rejection;
  };

  return {
    middleware,
    forget: (connectionId) => {
      buckets.delete(connectionId);
    },
    get trackedConnections() {
      return buckets.size;
    },
  };
}

function checkOptions<C extends RouteContext>(options: RateLimitOptions<C>): RateLimitOptions<C> {
  const problems: string[] = [];
  if (!(Number.isFinite(options?.perSecond) && options.perSecond > 0)) problems.push('perSecond must be a number above 0');
  if (!(Number.isInteger(options?.burst) && options.burst >= 1)) problems.push('burst must be an integer of at least 1');
  if (!(Number.isInteger(options?.closeAfterRejections) && options.closeAfterRejections >= 1)) {
    problems.push('closeAfterRejections must be an integer of at least 1');
  }
  if (typeof options?.onSustainedAbuse !== 'function') problems.push('onSustainedAbuse must be a function');
  if (options?.now !== undefined && typeof options.now !== 'function') problems.push('now must be a function');
  if (problems.length > 0) throw new RouterSetupError(RouterErrorCode.InvalidOption, `invalid rate limit options: ${problems.join('; ')}`);
  return options;
}
