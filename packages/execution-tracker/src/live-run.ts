import { AgentErrorCode, type AgentEvent, type AgentEventSink, type AgentInput, type AgentRunner, type AgentTool } from '@agentwirejs/protocols';
import type { RunId, UserId } from '@agentwirejs/types';
import type { Deadline } from './deadline-heap';
import { RunAbortedError } from './errors';
import type { RunError, RunRecord } from './run-record';
import type { TerminalRunState } from './run-state';

/** How a run ends; decided exactly once per run. */
export type RunEnding =
  | { readonly state: 'completed'; readonly finalResponse: string | null }
  | { readonly state: 'failed' | 'timed_out' | 'dead'; readonly error: RunError }
  | { readonly state: 'cancelled'; readonly reason: string | null };

/** What a run's outcome promise resolves with, once its terminal event has been emitted. */
export interface RunOutcome {
  readonly runId: RunId;
  /** Whose run it was, and its agent's name: so one handler can take every run's outcome (no closure per run). */
  readonly userId: UserId;
  readonly agentName: string;
  readonly state: TerminalRunState;
  readonly durationMs: number;
  readonly finalResponse: string | null;
  readonly error: RunError | null;
  readonly cancelReason: string | null;
}

/** The endings that abort a run's signal: every one but completed. */
export type AbortingEnding = Exclude<RunEnding, { readonly state: 'completed' }>;

/** The reason a run's signal aborts with for `ending`. */
function abortReasonOf(ending: AbortingEnding): RunAbortedError {
  if (ending.state === 'cancelled') return RunAbortedError.reason('cancelled', `The run was cancelled${ending.reason === null ? '' : `: ${ending.reason}`}`);
  return RunAbortedError.reason(ending.state, ending.error.message);
}

/** The endings a passed deadline imposes. */
type DeadlineEnding = { readonly state: 'dead' | 'timed_out'; readonly error: RunError };

/** When a run's hang rule ends it if it reports nothing more; Infinity for a run without one. */
function hangsAt(record: RunRecord): number {
  return record.hangAfterMs === null ? Infinity : record.lastHeartbeatAt + record.hangAfterMs;
}

/**
 * The endings a passed deadline imposes, built once per limit rather than once per ended run: a
 * sweep may end thousands of runs with the same one. They are frozen because the records and
 * outcomes of all those runs share them. One per kind is kept: runs of one agent share a hang
 * rule and most runs the registry's timeout; another value is simply built again.
 */
export class DeadlineEndings {
  private dead: { readonly ms: number; readonly ending: DeadlineEnding } | null = null;
  private timedOut: { readonly ms: number; readonly ending: DeadlineEnding } | null = null;

  /** The ending a passed deadline imposes on `run` at `now`, or null while both are ahead. Dead wins a tie. */
  of(run: LiveRun, now: number): RunEnding | null {
    if (run.waitingSince !== null) {
      // A run waiting for its user is not hung and its timeout is paused; only the question expires.
      return run.firstInterruptExpiry() > now ? null : INTERRUPT_EXPIRED;
    }
    const { record } = run;
    const deadAt = hangsAt(record);
    const timeoutAt = record.createdAt + record.timeoutMs + run.pausedMs;
    if (deadAt > now && timeoutAt > now) return null;
    const ms = record.hangAfterMs;
    if (ms !== null && deadAt <= timeoutAt) {
      if (this.dead?.ms !== ms) {
        this.dead = { ms, ending: frozenEnding('dead', AgentErrorCode.Dead, `No report from the agent for ${ms} ms (its hang rule)`) };
      }
      return this.dead.ending;
    }
    const { timeoutMs } = record;
    if (this.timedOut?.ms !== timeoutMs) {
      this.timedOut = { ms: timeoutMs, ending: frozenEnding('timed_out', AgentErrorCode.TimedOut, `The run exceeded its ${timeoutMs} ms timeout`) };
    }
    return this.timedOut.ending;
  }
}

/** The ending of a run whose question to its user went unanswered (shared, like the endings above). */
const INTERRUPT_EXPIRED: RunEnding = Object.freeze({
  state: 'failed',
  error: Object.freeze({ code: AgentErrorCode.InterruptExpired, message: 'A question to the user expired unanswered' }),
});

function frozenEnding(state: DeadlineEnding['state'], code: AgentErrorCode, message: string): DeadlineEnding {
  return Object.freeze({ state, error: Object.freeze({ code, message }) });
}

/**
 * The queue of a run before its first event: shared and frozen, since nothing is ever added to it
 * (see LiveRun.enqueue). A list pushed onto while empty reserves 17 slots (about 150 bytes); a
 * list made with its first entry has room for one, which a queue drained by shift() keeps, so a
 * run whose events go out one at a time never grows it.
 */
const NOTHING_QUEUED: QueuedEvent[] = Object.freeze([]) as unknown as QueuedEvent[];
const NOTHING_WAITING: readonly PendingInterrupt[] = Object.freeze([]);

/** One event waiting in a run's queue; a delta's payload is replaced when the next delta of its key merges into it. */
export interface QueuedEvent {
  event: AgentEvent;
  /** deltaKeyOf the event, or null when it is not a delta. */
  readonly deltaKey: string | null;
  /**
   * For a delta: when its coalescing window closes (performance.now() ms, real time like the
   * timer that waits for it); it goes out then at the latest. 0 for other events.
   */
  readonly dueAt: number;
}

/** What a batch's promise is settled with: the sink's failures (AppendFailures), or the reason it refused the whole batch. */
export interface BatchHandlers {
  readonly emitted: (failures: unknown) => void;
  readonly refused: (error: unknown) => void;
}

/** A message, tool call or step the agent opened and has not ended: what RUN_FINISHED must end first. */
export interface OpenStream {
  readonly kind: 'text' | 'reasoning' | 'tool_args' | 'step';
  readonly id: string;
}

/** A question the run waits on (reporter.ask). */
export interface PendingInterrupt {
  readonly id: string;
  readonly expiresAt: number;
  /** Checks an answer against the question's response schema: the problem or null. */
  readonly check: (value: unknown) => string | null;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The in-process side of a run that has not settled yet: its agent, signal, deadline and event queue. */
export class LiveRun {
  /**
   * The run's signal, made when the agent first reads it: aborting an AbortController costs
   * Node 20 about 10 µs (it builds and dispatches an Event even with no listener), which was half
   * of what a sweep spent ending a run; a run whose agent never reads it pays nothing.
   */
  private controller: AbortController | null = null;
  /** The ending the signal aborts for (not completed); its reason is built only when a signal needs it. */
  private abortedBy: AbortingEnding | null = null;
  /** The run's one entry in the deadline heap (null once its ending is decided). */
  deadline: Deadline<LiveRun> | null = null;
  /** Set once; after that nothing more is emitted except the terminal event. */
  ending: RunEnding | null = null;
  /** Events not yet handed to the sink, oldest first; bounded by maxQueuedEvents (plus the closing events). Added to by enqueue() only. */
  queue: QueuedEvent[] = NOTHING_QUEUED;
  /** Waits out the coalescing window of the delta alone at the head of the queue (see RunEngine.pump). */
  coalesceTimer: NodeJS.Timeout | null = null;
  /**
   * Messages, tool calls and steps opened and not ended, in the order they opened; null while
   * there are none. This map, the questions and the open tools are made by their first entry: most
   * runs never need one of them, and a sweep that ends thousands of runs then touches none of them.
   */
  private streams: Map<string, OpenStream> | null = null;
  /** Questions waiting for their answer (null while none does); while any waits, the hang rule and the timeout are paused. */
  private questions: Map<string, PendingInterrupt> | null = null;
  /** Since when the run waits for an answer (epoch ms), or null. */
  waitingSince: number | null = null;
  /** Time spent waiting for answers so far: the run's timeout is pushed back by it. */
  pausedMs = 0;
  /** Events handed to the sink whose emit has not settled yet (at most maxEventsInFlight). */
  inFlight = 0;
  readonly outcome: Promise<RunOutcome>;
  private settle: ((outcome: RunOutcome) => void) | null = null;
  /** Tools started and not completed yet, by name (null while none is). */
  private openTools: Map<string, number> | null = null;
  /** What the agent's reporter calls wait on while the queue is over its high-water mark (one per run, shared). */
  private drained: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** The links of the user's list of unsettled runs (UserRuns); null at either end and outside it. */
  previousOfUser: LiveRun | null = null;
  nextOfUser: LiveRun | null = null;
  /**
   * A batch of the run at the sink, and what settles it, made at the run's first batch
   * (RunEngine.deliverBatch). A batching sink is handed one batch of a run at a time unless
   * maxBatchesInFlight says more: a batch handed over while these fields hold another keeps what
   * settling it needs in its own handlers (RunEngine.deliverFurtherBatch). Of the batch, only what
   * settling it needs is kept (RUN_STARTED, a failure's log line): its size, its first event's
   * type, and the others' types when it holds more than one (a batch of one, most of a short
   * run's, makes no list). Not the events: the sink decides how long they live.
   */
  batchSize = 0;
  /** Batches of the run at the sink (at most maxBatchesInFlight). */
  batchesOut = 0;
  /** Whether a pump is queued for the end of the turn (maxBatchesInFlight above 1). */
  pumpQueued = false;
  batchFirstType: AgentEvent['type'] | null = null;
  batchTypes: readonly AgentEvent['type'][] | null = null;
  batchHandlers: BatchHandlers | null = null;

  constructor(
    readonly record: RunRecord,
    readonly agent: AgentRunner,
    readonly input: AgentInput,
    readonly tools: ReadonlyMap<string, AgentTool>,
    /** Where this run's events go: the sink bound to the run's user when the sink offers one (AgentEventSink.forUser). */
    readonly sink: AgentEventSink,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }

  /**
   * When the run expires if nothing changes: the earlier of its hang rule's and its timeout's
   * deadlines; while it waits for an answer, when the first question expires.
   */
  get dueAt(): number {
    if (this.waitingSince !== null) return this.firstInterruptExpiry();
    const { record } = this;
    return Math.min(hangsAt(record), record.createdAt + record.timeoutMs + this.pausedMs);
  }

  firstInterruptExpiry(): number {
    let first = Infinity;
    if (this.questions !== null) for (const interrupt of this.questions.values()) first = Math.min(first, interrupt.expiresAt);
    return first;
  }

  /** Questions waiting for their answer. */
  get interruptCount(): number {
    return this.questions === null ? 0 : this.questions.size;
  }

  /** The question waiting under `id`, if any. */
  interrupt(id: string): PendingInterrupt | undefined {
    return this.questions?.get(id);
  }

  addInterrupt(interrupt: PendingInterrupt): void {
    (this.questions ??= new Map()).set(interrupt.id, interrupt);
  }

  /** The question no longer waits (answered). */
  removeInterrupt(id: string): void {
    this.questions?.delete(id);
  }

  /** Questions waiting, in the order they were asked (the run ends: each is told why). */
  waitingInterrupts(): Iterable<PendingInterrupt> {
    return this.questions === null ? NOTHING_WAITING : this.questions.values();
  }

  /** Records a message, tool call or step the agent opened, under its stream key. */
  openStream(key: string, stream: OpenStream): void {
    (this.streams ??= new Map()).set(key, stream);
  }

  /** The stream under `key` was ended by the agent. */
  closeStream(key: string): void {
    this.streams?.delete(key);
  }

  hasOpenStream(key: string): boolean {
    return this.streams !== null && this.streams.has(key);
  }

  /** The streams still open, in the order they opened (null for none), and forgets them: the run is ending and closes them. */
  takeOpenStreams(): Iterable<OpenStream> | null {
    const open = this.streams;
    this.streams = null;
    return open === null ? null : open.values();
  }

  /** Queues an event at the end of the queue. */
  enqueue(entry: QueuedEvent): void {
    if (this.queue === NOTHING_QUEUED) this.queue = [entry];
    else this.queue.push(entry);
  }

  /** The promise reporter calls return while the queue is full: resolved by release(). */
  paced(): Promise<void> {
    this.drained ??= new Promise((resolve) => (this.wake = resolve));
    return this.drained;
  }

  /** Lets every waiting reporter call go on (the queue drained, or the run ended). */
  release(): void {
    if (this.drained === null) return;
    this.drained = null;
    this.wake?.();
    this.wake = null;
  }

  toolOpened(name: string): void {
    const tools = (this.openTools ??= new Map());
    tools.set(name, (tools.get(name) ?? 0) + 1);
  }

  toolClosed(name: string): void {
    if (this.openTools === null) return;
    const open = (this.openTools.get(name) ?? 0) - 1;
    if (open > 0) this.openTools.set(name, open);
    else this.openTools.delete(name);
  }

  /** Tools started and not completed yet. */
  openToolNames(): string[] {
    return this.openTools === null ? [] : [...this.openTools.keys()];
  }

  /**
   * The signal the agent sees: aborted the moment the run ends other than completed. One read
   * before that gets a live signal aborted then; one after gets a signal already aborted with the
   * same reason; either way every read returns the same signal.
   */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortedBy !== null) this.controller.abort(abortReasonOf(this.abortedBy));
    }
    return this.controller.signal;
  }

  /** Aborts the signal for `ending`: now if the agent holds the signal, else when it reads it. */
  abort(ending: AbortingEnding): void {
    if (this.abortedBy !== null) return;
    this.abortedBy = ending;
    this.controller?.abort(abortReasonOf(ending));
  }

  /** Stops waiting out a coalescing window (the delta went out, or the run settled). */
  stopCoalescing(): void {
    if (this.coalesceTimer === null) return;
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = null;
  }

  /** Rejects every question still waiting (the run ended first). */
  abandonInterrupts(error: Error): void {
    const waiting = this.questions;
    this.questions = null;
    if (waiting !== null) for (const interrupt of waiting.values()) interrupt.reject(error);
  }

  /** Resolves the outcome promise from the record's final state. */
  resolveOutcome(state: TerminalRunState): void {
    const { runId, userId, agentName, createdAt, endedAt, finalResponse, error, cancelReason } = this.record;
    this.settle?.({ runId, userId, agentName, state, durationMs: (endedAt ?? createdAt) - createdAt, finalResponse, error, cancelReason });
  }
}
