import { ERROR_CODES, type ErrorCode } from '@agentwire/protocols';
import { AgentwireError } from '@agentwire/types';

/**
 * Thrown by a handler (or middleware) to refuse a message with a wire error code, e.g.
 * `throw new MessageRejectedError(ErrorCode.NotFound, 'no run run_1 of yours')`. The router
 * replies `{type: 'error', payload: {code, message}}` to the sender only and reports the
 * outcome as `rejected`; anything else thrown becomes `internal_error`.
 */
export class MessageRejectedError extends AgentwireError {
  declare readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The codes of this package's own errors (RouterSetupError); MessageRejectedError carries a wire `ErrorCode`. */
export const RouterErrorCode = {
  /** `on()` for a type that already has a handler: one handler per type, so one call per message. */
  HandlerConflict: 'ROUTER_HANDLER_CONFLICT',
  /** `on()` for a type that is not a client message type of the wire contract. */
  UnknownType: 'ROUTER_UNKNOWN_TYPE',
  /** `on()` or `use()` after the first `route()`: handlers cannot be added while connections are served. */
  Sealed: 'ROUTER_SEALED',
  /** A handler, middleware or option value of the wrong kind. */
  InvalidOption: 'ROUTER_INVALID_OPTION',
} as const;
export type RouterErrorCode = (typeof RouterErrorCode)[keyof typeof RouterErrorCode];

/** Stable codes of RouterSetupError (every code of RouterErrorCode). */
export type RouterSetupErrorCode = RouterErrorCode;

/** A router or rate limit was set up wrongly: a programming error, thrown at set-up time. */
export class RouterSetupError extends AgentwireError {
  declare readonly code: RouterSetupErrorCode;

  constructor(code: RouterSetupErrorCode, message: string) {
    super(code, message);
  }
}

const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** True for a code of the wire contract's `error` message. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN_ERROR_CODES.has(value);
}

/** A refusal of one frame: the `code` and `message` of the error reply. */
export interface RouteRejection {
  readonly code: ErrorCode;
  readonly message: string;
}
