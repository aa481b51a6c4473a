import { UserExecutionContext, InvalidContextError, describeValue, type UserId } from '@agentwirejs/types';
import type { DependencyContainer } from 'tsyringe';
import { DirectConstructionError } from './errors';
import type { RunSnapshot } from './run-record';
import type { RunEngine, StartRunRequest, StartedRun, UserRunCounts } from './run-engine';
import { kEngine, resolveExecutionTrackerRegistry } from './registry';

const kConstruct = Symbol('AgentExecutionTracker.construct');

/**
 * One user's view of the execution tracker: it sees and changes only that user's runs. Another
 * user's run id behaves exactly like an unknown one (null, or RunNotFoundError). Get it from
 * getExecutionTracker(userContext, container); a direct `new` throws DirectConstructionError.
 */
export class AgentExecutionTracker {
  /** The user this view acts for. */
  readonly userId: UserId;
  private readonly engine: RunEngine;
  private readonly context: UserExecutionContext;

  /** Not for direct use (its token is private to this package): use getExecutionTracker(userContext, container). */
  constructor(token: typeof kConstruct, engine: RunEngine, context: UserExecutionContext) {
    if (token !== kConstruct) throw new DirectConstructionError();
    this.engine = engine;
    this.context = context;
    this.userId = context.userId;
  }

  /**
   * Starts a run: emits RUN_STARTED, then runs the agent with a reporter and an AbortSignal.
   * Throws RunLimitExceededError, TrackerShutDownError, InvalidTrackerOptionError or InvalidIdError (threadId).
   */
  startRun(request: StartRunRequest): StartedRun {
    return this.engine.startRun(this.userId, this.context.threadId, request);
  }

  /** The run, or null when it is unknown, evicted or another user's. */
  getRun(runId: string): RunSnapshot | null {
    return this.engine.getRun(this.userId, runId);
  }

  /** Counts as a heartbeat of a live run (true); false when the run has ended; RunNotFoundError otherwise. */
  heartbeat(runId: string): boolean {
    return this.engine.heartbeat(this.userId, runId);
  }

  /**
   * Cancels a live run: its signal aborts and RUN_FINISHED (outcome cancelled) is emitted. Resolves true once that
   * event is out, false when the run had already ended; rejects with RunNotFoundError otherwise.
   */
  cancel(runId: string, reason?: string): Promise<boolean> {
    return this.engine.cancel(this.userId, runId, reason);
  }

  /**
   * Answers a question the user's run waits on (the agent's reporter.ask): the value is checked
   * against the question's response schema and the agent's ask resolves with it. Throws
   * RunNotFoundError (unknown or another user's run), InterruptNotFoundError (no such open
   * question: never asked, answered, expired) or InvalidAnswerError (the question stays open).
   */
  answerInterrupt(runId: string, interruptId: string, value: unknown): void {
    this.engine.answerInterrupt(this.userId, runId, interruptId, value);
  }

  /** The user's runs (live and retained), oldest first. */
  getUserExecutions(): RunSnapshot[] {
    return this.engine.listRuns(this.userId);
  }

  /** The user's runs by state. */
  counts(): UserRunCounts {
    return this.engine.counts(this.userId);
  }

  /** Cancels the user's live runs and deletes all of the user's records; resolves with the number deleted. */
  cleanupUserData(): Promise<number> {
    return this.engine.cleanupUser(this.userId);
  }
}

/**
 * The tracker view for the user of `userContext`, backed by the registry of `container` (or of
 * a parent). There is no default: falling back to tsyringe's global root container would share
 * one registry between every composition root in the process.
 * Throws InvalidContextError for anything but a UserExecutionContext, TrackerNotRegisteredError
 * when the container has no registry.
 */
export function getExecutionTracker(userContext: UserExecutionContext, container: DependencyContainer): AgentExecutionTracker {
  if (!UserExecutionContext.isContext(userContext)) {
    throw new InvalidContextError(
      'userContext',
      `getExecutionTracker() needs a UserExecutionContext instance, received ${describeValue(userContext)}`,
    );
  }
  const registry = resolveExecutionTrackerRegistry(container);
  return new AgentExecutionTracker(kConstruct, registry[kEngine], userContext);
}
