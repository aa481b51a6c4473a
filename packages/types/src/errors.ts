/** The codes of this package's errors; `AgentwireError.code` of every error class below and in user-execution-context.ts. */
export const TypesErrorCode = {
  InvalidId: 'INVALID_ID',
  IllegalStateTransition: 'ILLEGAL_STATE_TRANSITION',
  InvalidContext: 'INVALID_CONTEXT',
  ContextDepthExceeded: 'CONTEXT_DEPTH_EXCEEDED',
} as const;
export type TypesErrorCode = (typeof TypesErrorCode)[keyof typeof TypesErrorCode];

/**
 * Base of every agentwire error. Callers branch on `code`, which is stable across releases;
 * the message is for people and may change.
 */
export class AgentwireError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A value is not a well-formed id of the expected kind. */
export class InvalidIdError extends AgentwireError {
  constructor(
    readonly kind: string,
    readonly received: unknown,
    reason: string,
  ) {
    super(TypesErrorCode.InvalidId, `Invalid ${kind}: ${reason} (received ${describeValue(received)})`);
  }
}

/** A state machine was asked for a move its table does not allow. */
export class IllegalStateTransitionError extends AgentwireError {
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(TypesErrorCode.IllegalStateTransition, `${machine} cannot move from '${from}' to '${to}'`);
  }
}

/** Renders a received value for an error message without dumping large or hostile input. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
