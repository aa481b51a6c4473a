import type { KeyRateLimitOptions } from './key-rate-limit';

/** Calls one API key may make: 100 a second, bursts of 200 (a backend publishes more than a browser tab sends). */
export const DEFAULT_API_RATE_LIMIT: KeyRateLimitOptions = { perSecond: 100, burst: 200 };

/** What a gateway embedder may tune of the server API (GatewayOptions.serverApi); the rest comes from the config. */
export interface ServerApiOptions {
  /** Default DEFAULT_API_RATE_LIMIT. */
  readonly rateLimit?: KeyRateLimitOptions;
}
