/** The protocol name a client asks for (subprotocol) and the server confirms. */
export const PROTOCOL_VERSION = 'agentwire.v1';

/**
 * Codes of `error` messages (payload.code). The connection stays open after each of them.
 * The first eight are DESIGN.md's list; `not_found` and `limit_exceeded` answer valid requests
 * about unknown or over-quota things (cancel_run of a run the user does not have, a sixth
 * concurrent run), which none of the eight describes.
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

/** Codes of `agent_error` events (payload.code): why a run ended without completing. */
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
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];
