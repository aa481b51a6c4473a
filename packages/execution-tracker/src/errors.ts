import { AgentwireError, describeValue } from '@agentwirejs/types';

/** The codes of this package's errors, one per error class below. */
export const TrackerErrorCode = {
  DirectConstruction: 'DIRECT_CONSTRUCTION',
  RunNotFound: 'RUN_NOT_FOUND',
  RunLimitExceeded: 'RUN_LIMIT_EXCEEDED',
  TrackerShutDown: 'TRACKER_SHUT_DOWN',
  TrackerNotRegistered: 'TRACKER_NOT_REGISTERED',
  TrackerAlreadyRegistered: 'TRACKER_ALREADY_REGISTERED',
  InvalidTrackerOption: 'INVALID_TRACKER_OPTION',
  RunAborted: 'RUN_ABORTED',
  RunEnded: 'RUN_ENDED',
  StreamClosed: 'STREAM_CLOSED',
  InvalidReport: 'INVALID_REPORT',
  InterruptNotFound: 'INTERRUPT_NOT_FOUND',
  InvalidAnswer: 'INVALID_ANSWER',
} as const;
export type TrackerErrorCode = (typeof TrackerErrorCode)[keyof typeof TrackerErrorCode];

/** A factory-only class was constructed with `new`; the message names the factory to use. */
export class DirectConstructionError extends AgentwireError {
  constructor(
    readonly className = 'AgentExecutionTracker',
    readonly factory = 'getExecutionTracker(userContext, container)',
  ) {
    super(TrackerErrorCode.DirectConstruction, `${className} cannot be constructed with new: use the factory ${factory} from @agentwirejs/execution-tracker`);
  }
}

/**
 * The run does not exist for this user. Unknown ids, evicted ids and other users' ids all get
 * this same error with the same message shape, so run ids cannot be probed.
 */
export class RunNotFoundError extends AgentwireError {
  constructor(readonly runId: unknown) {
    super(TrackerErrorCode.RunNotFound, `Run ${describeValue(runId)} not found`);
  }
}

/** The user already has the maximum number of live runs. */
export class RunLimitExceededError extends AgentwireError {
  constructor(readonly limit: number) {
    super(TrackerErrorCode.RunLimitExceeded, `At most ${limit} runs may be live per user; wait for one to end or cancel one`);
  }
}

/** startRun was called after shutdown() began. */
export class TrackerShutDownError extends AgentwireError {
  constructor() {
    super(TrackerErrorCode.TrackerShutDown, 'The execution tracker is shutting down and starts no new runs');
  }
}

/** getExecutionTracker found no registry in the container. */
export class TrackerNotRegisteredError extends AgentwireError {
  constructor() {
    super(
      TrackerErrorCode.TrackerNotRegistered,
      'No execution tracker is registered in this container: call registerExecutionTracker(container, options) first',
    );
  }
}

/** registerExecutionTracker was called twice on one container. */
export class TrackerAlreadyRegisteredError extends AgentwireError {
  constructor() {
    super(TrackerErrorCode.TrackerAlreadyRegistered, 'This container already has an execution tracker; use a child container for another one');
  }
}

/** An option of registerExecutionTracker or startRun is out of range. */
export class InvalidTrackerOptionError extends AgentwireError {
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(TrackerErrorCode.InvalidTrackerOption, `Invalid execution tracker option ${option}: ${reason}`);
  }
}

/** Why a run's AbortSignal fired (its `reason`). */
export class RunAbortedError extends AgentwireError {
  constructor(
    readonly state: 'failed' | 'timed_out' | 'dead' | 'cancelled',
    message: string,
  ) {
    super(TrackerErrorCode.RunAborted, message);
  }

  /**
   * The reason a run's signal aborts with, built without a stack trace: the trace would show
   * only the tracker's own frames, and capturing one per ended run was a third of the time a
   * sweep spends ending a thousand runs.
   */
  static reason(state: RunAbortedError['state'], message: string): RunAbortedError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new RunAbortedError(state, message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/**
 * A reporter call after the run ended (completed, cancelled, failed, timed out): nothing was
 * sent. The promise that carries it is already handled, so a call nobody awaits cannot crash the process.
 */
export class RunEndedError extends AgentwireError {
  constructor(readonly runId: string) {
    super(TrackerErrorCode.RunEnded, `Run ${runId} has ended; nothing more of it is sent`);
  }
}

/** A call on a streamed message or tool call after it ended (append after end, a second result). */
export class StreamClosedError extends AgentwireError {
  constructor(what: string) {
    super(TrackerErrorCode.StreamClosed, `${what} has ended; nothing more of it is sent`);
  }
}

/** A reporter call with arguments no AG-UI event can carry (a reserved or unregistered custom event name, an invalid value). */
export class InvalidReportError extends AgentwireError {
  constructor(message: string) {
    super(TrackerErrorCode.InvalidReport, message);
  }
}

/** answerInterrupt named no question the run is waiting on (never asked, already answered, expired, or another user's run). */
export class InterruptNotFoundError extends AgentwireError {
  constructor(interruptId: string) {
    super(TrackerErrorCode.InterruptNotFound, `No open question ${describeValue(interruptId)} on this run`);
  }
}

/** answerInterrupt's value does not satisfy the question's response schema; the question stays open. */
export class InvalidAnswerError extends AgentwireError {
  constructor(readonly problem: string) {
    super(TrackerErrorCode.InvalidAnswer, `The answer does not match the question's response schema: ${problem}`);
  }
}
