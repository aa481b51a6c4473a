import { AgentwireError } from '@agentwirejs/types';

/** The codes of this package's errors, one per error class below. */
export const BackplaneRedisErrorCode = {
  BackplaneUnavailable: 'BACKPLANE_UNAVAILABLE',
  BackplaneStore: 'BACKPLANE_STORE_ERROR',
  InvalidRedisOption: 'INVALID_REDIS_OPTION',
  InvalidBackplaneArgument: 'INVALID_BACKPLANE_ARGUMENT',
  RedisNotConfigured: 'REDIS_NOT_CONFIGURED',
  RedisComponentClosed: 'REDIS_COMPONENT_CLOSED',
  RunOwnedElsewhere: 'RUN_OWNED_ELSEWHERE',
} as const;
export type BackplaneRedisErrorCode = (typeof BackplaneRedisErrorCode)[keyof typeof BackplaneRedisErrorCode];

/** Redis could not be reached in time, or too many appends are waiting for it. */
export class BackplaneUnavailableError extends AgentwireError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(BackplaneRedisErrorCode.BackplaneUnavailable, `Redis is unavailable: ${what}`, options);
  }
}

/** Redis answered a command with an error (a script error, out of memory, a wrong key type). */
export class BackplaneStoreError extends AgentwireError {
  constructor(what: string, cause: unknown) {
    super(BackplaneRedisErrorCode.BackplaneStore, `Redis refused ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** An option of this package is missing or out of range. */
export class InvalidRedisOptionError extends AgentwireError {
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(BackplaneRedisErrorCode.InvalidRedisOption, `Invalid Redis option ${option}: ${reason}`);
  }
}

/** An argument is out of range (e.g. a negative afterSeq). */
export class InvalidBackplaneArgumentError extends AgentwireError {
  constructor(
    readonly argument: string,
    reason: string,
  ) {
    super(BackplaneRedisErrorCode.InvalidBackplaneArgument, `Invalid ${argument}: ${reason}`);
  }
}

/** redisOptionsFromConfig was called without AGENTWIRE_REDIS_URL. */
export class RedisNotConfiguredError extends AgentwireError {
  constructor() {
    super(BackplaneRedisErrorCode.RedisNotConfigured, 'AGENTWIRE_REDIS_URL is not set: use the in-memory backplane');
  }
}

/** The run directory or control bus was used after close(). */
export class RedisComponentClosedError extends AgentwireError {
  constructor(readonly component: string) {
    super(BackplaneRedisErrorCode.RedisComponentClosed, `The ${component} is closed`);
  }
}

/** A run is claimed by another process. */
export class RunOwnedElsewhereError extends AgentwireError {
  constructor(
    readonly runId: string,
    readonly owner: string,
  ) {
    super(BackplaneRedisErrorCode.RunOwnedElsewhere, `Run ${runId} is owned by process ${owner}`);
  }
}
