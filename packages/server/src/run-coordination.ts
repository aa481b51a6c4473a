import type { RedisControlBus, RedisRunDirectory, RunOwnerRecord } from '@agentwirejs/backplane-redis';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { Logger } from 'pino';

/** Why a request was refused, as its sender's connection is told: an `error` {code, message}. */
export interface WireRefusal {
  readonly code: string;
  readonly message: string;
}

/** What became of an answer sent to the process that runs the run. */
export type RoutedAnswer = { readonly routed: false } | { readonly routed: true; readonly refusal: WireRefusal | null };

const NOT_ROUTED: RoutedAnswer = Object.freeze({ routed: false });

/** A run this process started. */
export interface LocalRun {
  readonly runId: RunId;
  readonly userId: UserId;
  readonly threadId: ThreadId;
  readonly agentName: string;
}

/** What coordination asks this process to do. */
export interface RunCoordinationHandlers {
  /** Cancels a run of `userId` that runs here (a cancel_run routed from another process). */
  cancelLocal(userId: UserId, runId: RunId): Promise<void>;
  /**
   * Answers a question a run of `userId` that runs here waits on (an answer_interrupt routed from
   * another process); resolves with why it was refused (the wire error), or null when accepted.
   */
  answerLocal(userId: UserId, runId: RunId, interruptId: string, value: unknown): Promise<WireRefusal | null>;
  /** Ends a run whose process died, with its one terminal event. */
  endOrphan(run: RunOwnerRecord): Promise<void>;
}

/**
 * Which process runs which run, across gateway processes: claims and releases, cancel_run
 * routed to the owner, and runs of dead processes ended by a survivor. In a single process
 * there is nothing to coordinate (LocalRunCoordination).
 */
export interface RunCoordination {
  start(handlers: RunCoordinationHandlers): void;
  claim(run: LocalRun): void;
  release(runId: RunId): void;
  /** Sends a cancel for a run of `userId` owned by another process; false when there is no such run. */
  routeCancel(userId: UserId, runId: RunId): Promise<boolean>;
  /**
   * Sends an answer to a question of a run of `userId` owned by another process and waits for its
   * verdict: not routed (no other process runs such a run), accepted, or refused (the owner checked
   * it against the question's schema; the question stays open). Rejects when the owner does not
   * answer in time.
   */
  routeAnswer(userId: UserId, runId: RunId, interruptId: string, value: unknown): Promise<RoutedAnswer>;
  /** Waits for claims and releases in flight, then stops. */
  close(): Promise<void>;
}

/** One process: every run is local, so there is nothing to record or route. */
export class LocalRunCoordination implements RunCoordination {
  start(): void {
    // nothing arrives from other processes
  }
  claim(): void {
    // the tracker already knows every run of this process
  }
  release(): void {
    // nothing was recorded
  }
  async routeCancel(): Promise<boolean> {
    return false;
  }
  async routeAnswer(): Promise<RoutedAnswer> {
    return NOT_ROUTED;
  }
  async close(): Promise<void> {
    // nothing to close
  }
}

const CANCEL_RUN = 'cancel_run';
const ANSWER_INTERRUPT = 'answer_interrupt';

/** A refusal thrown to the control bus: it answers the requester with this code and message. */
class RoutedRefusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Run coordination over Redis: records that survive a process death, commands to the owner. */
export class RedisRunCoordination implements RunCoordination {
  private readonly pending = new Set<Promise<unknown>>();
  private stopWatching: (() => void) | null = null;
  private stopListening: (() => void) | null = null;

  constructor(
    private readonly runs: RedisRunDirectory,
    private readonly control: RedisControlBus,
    private readonly logger: Logger,
  ) {}

  start(handlers: RunCoordinationHandlers): void {
    const stopCancels = this.control.onCommand((command) => {
      const { userId, runId } = command;
      if (command.type !== CANCEL_RUN || userId === undefined || runId === undefined) return;
      handlers.cancelLocal(userId, runId).catch((error: unknown) => this.logger.warn({ err: error, runId }, 'routed cancel_run failed'));
    });
    const stopAnswers = this.control.onRequest(ANSWER_INTERRUPT, async (command) => {
      const { userId, runId, payload } = command;
      const interruptId = payload?.['interruptId'];
      if (userId === undefined || runId === undefined || typeof interruptId !== 'string') throw new RoutedRefusal('invalid_message', 'a routed answer names a user, a run and a question');
      const refusal = await handlers.answerLocal(userId, runId, interruptId, payload?.['value']);
      if (refusal === null) return {};
      this.logger.info({ event: 'routed_answer_refused', runId, interruptId, code: refusal.code }, 'a routed answer_interrupt was refused');
      throw new RoutedRefusal(refusal.code, refusal.message);
    });
    this.stopListening = () => {
      stopCancels();
      stopAnswers();
    };
    this.stopWatching = this.runs.watchOrphans(async (run) => {
      this.logger.warn({ event: 'run_orphaned', runId: run.runId, userId: run.userId, deadProcess: run.previousOwner }, 'ending a run whose process died');
      await handlers.endOrphan(run);
    });
  }

  claim(run: LocalRun): void {
    this.track(this.runs.claim(run.runId, { userId: run.userId, threadId: run.threadId, state: 'running', agentName: run.agentName }), 'claiming', run.runId);
  }

  release(runId: RunId): void {
    this.track(this.runs.release(runId), 'releasing', runId);
  }

  async routeCancel(userId: UserId, runId: RunId): Promise<boolean> {
    const owner = await this.runs.owner(runId);
    // another user's run looks exactly like an unknown one
    if (owner === null || owner.userId !== userId || owner.processId === this.runs.processId) return false;
    return (await this.control.send(owner.processId, { type: CANCEL_RUN, userId, runId })) > 0;
  }

  async routeAnswer(userId: UserId, runId: RunId, interruptId: string, value: unknown): Promise<RoutedAnswer> {
    const owner = await this.runs.owner(runId);
    if (owner === null || owner.userId !== userId || owner.processId === this.runs.processId) return NOT_ROUTED;
    const answer = await this.control.request(owner.processId, { type: ANSWER_INTERRUPT, userId, runId, payload: { interruptId, value } });
    if (answer === null) return NOT_ROUTED; // the owner is gone: its runs are orphans now
    return { routed: true, refusal: answer.ok ? null : { code: answer.code, message: answer.message } };
  }

  async close(): Promise<void> {
    this.stopWatching?.();
    this.stopListening?.();
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([this.control.close(), this.runs.close()]);
  }

  private track(operation: Promise<unknown>, what: string, runId: RunId): void {
    const tracked = operation.catch((error: unknown) => this.logger.warn({ err: error, runId }, `${what} a run record failed`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
