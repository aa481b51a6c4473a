/**
 * Every default of the client, defined once: the options documentation (README) and the code
 * both point here.
 */

/** The subprotocol the client speaks: run events in AG-UI's vocabulary (README, wire contract v2). */
export const WIRE_PROTOCOL = 'agentwire.v2';

/** Prefix of the subprotocol entry that carries the token (the browser's way to authenticate an upgrade). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** First reconnect delays are drawn from [0, this): full jitter over an exponential ceiling. */
export const DEFAULT_RECONNECT_BASE_DELAY_MS = 500;

/** The ceiling of the reconnect delay, however many attempts have failed. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 30_000;

/** Consecutive failed attempts after which the client gives up (state `closed`); Infinity never gives up. */
export const DEFAULT_MAX_RECONNECT_ATTEMPTS = Number.POSITIVE_INFINITY;

/** A fresh token is sent over the open socket when this share of the current token's remaining lifetime has passed. */
export const DEFAULT_TOKEN_REFRESH_RATIO = 0.5;

/** The shortest wait before a token refresh, so a token that is about to expire cannot make the client refresh in a loop. */
export const DEFAULT_MIN_TOKEN_REFRESH_DELAY_MS = 1000;

/** After this long without a frame from the gateway, the client sends a ping. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 20_000;

/** A connection that answers nothing (not even the ping) for this long after a ping is dropped and reconnected. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;
