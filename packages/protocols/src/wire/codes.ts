/**
 * The wire protocols a client may ask for (WebSocket subprotocol) and the server confirms:
 * v1 has agentwire's own event types; v2 carries run events in AG-UI's vocabulary (README, wire
 * contract v2). A client that offers both gets v2; one that offers none (a token in the
 * Authorization header) gets v1.
 */
export const WireProtocol = {
  V1: 'agentwire.v1',
  V2: 'agentwire.v2',
} as const;
export type WireProtocol = (typeof WireProtocol)[keyof typeof WireProtocol];
export const WIRE_PROTOCOLS = [WireProtocol.V2, WireProtocol.V1] as const;

/** The protocol of a connection that named none. */
export const DEFAULT_WIRE_PROTOCOL: WireProtocol = WireProtocol.V1;

/** The protocol a server confirms for the subprotocols a client offered (the newest it knows), or null for none of ours. */
export function chooseWireProtocol(offered: Iterable<string>): WireProtocol | null {
  const set = new Set(offered);
  return WIRE_PROTOCOLS.find((protocol) => set.has(protocol)) ?? null;
}

/** @deprecated The v1 protocol name; use WireProtocol. */
export const PROTOCOL_VERSION = WireProtocol.V1;

/**
 * Codes of `error` messages (payload.code). The connection stays open after each of them.
 * The first eight are DESIGN.md's list; `not_found` and `limit_exceeded` answer valid requests
 * about unknown or over-quota things (cancel_run of a run the user does not have, a sixth
 * concurrent run), which none of the eight describes. `run_ended` and `unavailable` are the
 * server API's (HTTP 409 and 503): events sent to a run that has ended, and another gateway
 * process (or Redis) that did not answer in time.
 */
export const ErrorCode = {
  InvalidJson: 'invalid_json',
  InvalidMessage: 'invalid_message',
  UnknownMessageType: 'unknown_message_type',
  Unauthorized: 'unauthorized',
  RateLimited: 'rate_limited',
  PayloadTooLarge: 'payload_too_large',
  IsolationViolation: 'isolation_violation',
  InternalError: 'internal_error',
  NotFound: 'not_found',
  LimitExceeded: 'limit_exceeded',
  RunEnded: 'run_ended',
  Unavailable: 'unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** WebSocket close codes the gateway uses. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  TryAgainLater: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes of RUN_ERROR events (agent_error in v1; payload.code): why a run ended without completing. */
export const AgentErrorCode = {
  /** The agent threw. */
  AgentFailed: 'agent_failed',
  /** The run went past its timeout. */
  TimedOut: 'timed_out',
  /** The gateway process running the run died, or the agent broke the hang rule it declared (AgentRunner.hangAfterMs). */
  Dead: 'dead',
  /** The gateway shut down before the run finished. */
  Shutdown: 'shutdown',
  /** Something in agentwire itself failed. */
  InternalError: 'internal_error',
  /** A question the agent asked its user (reporter.ask) expired unanswered. */
  InterruptExpired: 'interrupt_expired',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];
