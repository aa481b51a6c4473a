/** Codes of failures the client itself reports (the gateway's own codes are README's error codes). */
export const ClientErrorCode = {
  /** The connection closed before the gateway confirmed the request: it may or may not have been handled. */
  ConnectionLost: 'connection_lost',
  /** The client was closed (close(), or it gave up reconnecting) before the request could be sent. */
  ClientClosed: 'client_closed',
  /** A run that never started (refused, or its start not confirmed) cannot be answered. */
  NotStarted: 'not_started',
  /** getToken() threw or returned something that is not a non-empty string. */
  TokenUnavailable: 'token_unavailable',
  /** A frame from the gateway that is not a JSON envelope. */
  InvalidFrame: 'invalid_frame',
  /** The stream skipped positions that no replay_gap announced. */
  SeqJump: 'seq_jump',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * A request the gateway refused (`code` is the `error` message's: invalid_message, not_found,
 * rate_limited, limit_exceeded, …) or that the client could not complete (a ClientErrorCode).
 */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
