import type { WireErrorCode } from '@agentwirejs/protocols';
import { AgentwireError } from '@agentwirejs/types';

/**
 * Thrown by a handler (or middleware) to refuse a message with a wire error code, e.g.
 * `throw new MessageRejectedError(ErrorCode.NotFound, 'no run run_1 of yours')`, or with the
 * app's own code, lower-case snake_case (`new MessageRejectedError('quota_exceeded', …)`). The
 * router replies `{type: 'error', payload: {code, message}}` to the sender only and reports the
 * outcome as `rejected`; anything else thrown, or a code of another form, becomes `internal_error`.
 */
export class MessageRejectedError extends AgentwireError {
  declare readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
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

/** A refusal of one frame: the `code` (built in, or the app's own) and `message` of the error reply. */
export interface RouteRejection {
  readonly code: WireErrorCode;
  readonly message: string;
}
