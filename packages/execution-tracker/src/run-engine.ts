import {
  AGENTWIRE_METADATA_KEY,
  AgentErrorCode,
  type AgentEvent,
  AgentwireCustomEvent,
  type AgentInput,
  type AgentRunner,
  type AgentTool,
  type AppendFailures,
  EventType,
  type RunEventPayload,
  TERMINAL_RUN_EVENT_TYPES,
  deltaKeyOf,
  isAgentInput,
} from '@agentwirejs/protocols';
import Ajv from 'ajv';
import { performance } from 'node:perf_hooks';
import { type RunId, type ThreadId, type UserId, flatString, generateRunId, generateThreadId, parseThreadId } from '@agentwirejs/types';
import { DeadlineHeap } from './deadline-heap';
import {
  InterruptNotFoundError,
  InvalidAnswerError,
  InvalidReportError,
  InvalidTrackerOptionError,
  RunEndedError,
  RunLimitExceededError,
  RunNotFoundError,
  TrackerShutDownError,
} from './errors';
import { type BatchHandlers, DeadlineEndings, LiveRun, type PendingInterrupt, type QueuedEvent, type RunEnding, type RunOutcome } from './live-run';
import { RunCounters, type TrackerMetrics } from './metrics';
import { type ResolvedTrackerOptions, checkLimit } from './options';
import { type ReporterHost, RunReporter } from './reporter';
import { Retention } from './retention';
import { type RunRecord, type RunSnapshot, addPhase, snapshotRun, stateHistory } from './run-record';
import { LiveRunRequest } from './live-run-request';
import { RUN_STATES, type RunPhase, type RunState, assertRunTransition, isTerminalRunState } from './run-state';
import { UserRuns } from './user-runs';

/** What startRun needs. */
export interface StartRunRequest {
  readonly agent: AgentRunner;
  readonly input: AgentInput;
  /** Default: the thread of the view's UserExecutionContext, or a new thread when it has none. */
  readonly threadId?: string;
  /** The tools the agent may call (default none). */
  readonly tools?: ReadonlyMap<string, AgentTool> | readonly AgentTool[];
  /** Overrides the registry's timeoutMs for this run. */
  readonly timeoutMs?: number;
  /** Overrides the agent's hang rule (AgentRunner.hangAfterMs) for this run; 0 = none. */
  readonly hangAfterMs?: number;
}

/** A run that was accepted; `outcome` resolves (never rejects) once its terminal event is out. */
export interface StartedRun {
  readonly runId: RunId;
  readonly threadId: ThreadId;
  readonly outcome: Promise<RunOutcome>;
}

/** One user's runs by state; costs what that user has. */
export interface UserRunCounts {
  readonly live: number;
  readonly total: number;
  readonly byState: Readonly<Record<RunState, number>>;
}

/**
 * What one sweep did: `popped` heap entries, of which so many ended timed_out, dead or with a
 * question to the user that expired (RUN_ERROR interrupt_expired); finished runs evicted.
 */
export interface SweepReport {
  readonly popped: number;
  readonly timedOut: number;
  readonly dead: number;
  readonly interruptsExpired: number;
  readonly evicted: number;
}

/**
 * How shutdown went, over the runs not settled when it began: those that ended some other way
 * (finished, failed, timed out, cancelled) before the grace period ran out, and those ended with code shutdown.
 */
export interface ShutdownReport {
  readonly finishedInGrace: number;
  readonly endedByShutdown: number;
}

const SHUTDOWN: RunEnding = {
  state: 'failed',
  error: { code: AgentErrorCode.Shutdown, message: 'The gateway is shutting down' },
};

function failed(message: string): RunEnding {
  return { state: 'failed', error: { code: AgentErrorCode.AgentFailed, message } };
}

/**
 * An error an agent's run() throws may carry its own RUN_ERROR code in this property (a remote
 * agent's `remote_http_error`, say): lower-case snake_case, at most 64 characters, not one of
 * AgentErrorCode (those keep the meaning the tracker gives them). Anything else is agent_failed.
 */
const RUN_ERROR_CODE_PROPERTY = 'runErrorCode';
const AGENT_RUN_ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/;
const TRACKER_RUN_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(AgentErrorCode));

/** The ending of a run whose agent threw `error`: failed, with the error's own code when it names a valid one. */
function failedBy(error: unknown): RunEnding {
  const code = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[RUN_ERROR_CODE_PROPERTY] : undefined;
  if (typeof code === 'string' && AGENT_RUN_ERROR_CODE.test(code) && !TRACKER_RUN_ERROR_CODES.has(code)) {
    return { state: 'failed', error: { code, message: messageOf(error) } };
  }
  return failed(`The agent failed: ${messageOf(error)}`);
}

/** An error's message as text of at most 500 characters, whatever was thrown (a message that is not a string, a value with no text form). */
function messageOf(error: unknown): string {
  let text: string;
  try {
    text = String(error instanceof Error ? error.message : error);
  } catch {
    text = 'a value that has no text form';
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * The tools of every run that was given none: one shared empty map (a map per run was about 200
 * bytes of each run's start), which refuses entries, so no run can add a tool another run sees.
 */
class NoTools extends Map<string, AgentTool> {
  override set(): this {
    throw new TypeError("a run's tools are read-only");
  }
}
const NO_TOOLS: ReadonlyMap<string, AgentTool> = Object.freeze(new NoTools());

function toolMap(tools: StartRunRequest['tools']): ReadonlyMap<string, AgentTool> {
  if (tools === undefined) return NO_TOOLS;
  if (tools instanceof Map) return tools;
  return new Map((tools as readonly AgentTool[]).map((tool) => [tool.name, tool]));
}

/** What a reporter call returns when the run's queue has room: one settled promise for every call. */
const READY: Promise<void> = Promise.resolve();

/** What a run's terminal event reports of it: its duration and its events, the terminal one counted. */
function endFigures(record: RunRecord, now: number): { duration_ms: number; event_count: number } {
  return { duration_ms: now - record.createdAt, event_count: record.eventCount + 1 };
}

/** The type of an event (what a batch out at the sink keeps of it: RunEngine.deliverBatch). */
function typeOf(event: AgentEvent): AgentEvent['type'] {
  return event.type;
}

/**
 * The longest delta coalescing builds (characters): a burst of deltas faster than the window is
 * split into envelopes of about this size rather than growing one without bound.
 */
const MAX_COALESCED_DELTA_CHARS = 65_536;

/**
 * What AG-UI's RUN_STARTED says the run was asked: the user's text as a message, our agent name
 * and input as forwardedProps. `tools` stays empty: in AG-UI it lists the tools the client offers
 * (frontend tools), and the agent's own tools are not those.
 */
function runStartedPayload(record: { runId: string; threadId: string }, agent: AgentRunner, input: AgentInput): RunEventPayload {
  const { runId, threadId } = record;
  const messages = typeof input === 'string' ? [{ id: `${runId}-input`, role: 'user' as const, content: input }] : NOTHING;
  return {
    type: EventType.RUN_STARTED,
    threadId,
    runId,
    input: { threadId, runId, messages, tools: NOTHING, context: NOTHING, state: NO_STATE, forwardedProps: { agent: agent.name, input } },
  };
}

/** The outcome of every RUN_FINISHED of a completed run, shared and frozen like the values below. */
const SUCCEEDED = Object.freeze({ type: 'success' as const });

/** The empty lists and state of every RUN_STARTED: shared, and frozen so that no reader can change another run's. */
const NOTHING: never[] = Object.freeze([]) as never[];
const NO_STATE: Record<string, never> = Object.freeze({});

/** Resolves after `ms` or when `promise` settles, whichever is first. */
async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, elapsed]).finally(() => clearTimeout(timer));
}

/**
 * Every run of a registry: starting agents, emitting their events in order, deadlines,
 * endings, retention and counts. Views reach it only through their own user id.
 */
export class RunEngine implements ReporterHost {
  /**
   * Runs whose outcome has not settled, by user. Every lookup of a run names its user, so there
   * is no map by run id: a map that empties and fills again reallocates its table each time.
   */
  private readonly activeByUser = new Map<UserId, UserRuns>();
  /**
   * Users whose list of active runs emptied since the last sweep: the sweep drops their lists if
   * still empty. A user's list is not dropped at once, since a user typically has one run at a
   * time and an entry made and dropped for every run is garbage of every run.
   */
  private readonly idleUsers = new Set<UserId>();
  private readonly deadlines = new DeadlineHeap<LiveRun>();
  private readonly retention: Retention;
  private readonly counters = new RunCounters();
  private readonly endings = new DeadlineEndings();
  /** Compiles the response schemas of questions agents ask (reporter.ask). */
  private readonly ajv = new Ajv({ strict: false, allErrors: false });
  private closing = false;

  constructor(private readonly options: ResolvedTrackerOptions) {
    this.retention = new Retention(options.limits.retentionMs, options.limits.maxRetainedRuns, (runId) => this.drop(runId));
  }

  now(): number {
    return this.options.now();
  }

  startRun(userId: UserId, defaultThread: ThreadId | null, request: StartRunRequest): StartedRun {
    if (this.closing) throw new TrackerShutDownError();
    const { agent, input } = request ?? {};
    if (typeof agent?.run !== 'function' || typeof agent.name !== 'string' || agent.name === '') {
      throw new InvalidTrackerOptionError('agent', 'must be an AgentRunner with a name and a run method');
    }
    if (!isAgentInput(input)) throw new InvalidTrackerOptionError('input', 'must be text or a JSON object (without a __proto__ key)');
    const timeoutMs = request.timeoutMs === undefined ? this.options.limits.timeoutMs : checkLimit('timeoutMs', request.timeoutMs, 1);
    const hangAfterMs = this.hangRule(request);
    // A run named no thread and its view's context has none: the run starts a thread of its own.
    const threadId = request.threadId === undefined ? (defaultThread ?? generateThreadId()) : parseThreadId(request.threadId);
    const tools = toolMap(request.tools);
    let mine = this.activeByUser.get(userId);
    if ((mine?.undecided() ?? 0) >= this.options.limits.maxRunsPerUser) {
      this.counters.rejected += 1;
      throw new RunLimitExceededError(this.options.limits.maxRunsPerUser);
    }

    const now = this.now();
    const record: RunRecord = {
      runId: generateRunId(),
      userId,
      threadId,
      agentName: agent.name,
      state: 'pending',
      states: stateHistory({ state: 'pending', at: now }),
      phase: null,
      phases: [],
      phasesDropped: 0,
      createdAt: now,
      endedAt: null,
      lastHeartbeatAt: now,
      heartbeatCount: 0,
      timeoutMs,
      hangAfterMs,
      eventCount: 0,
      emitFailures: 0,
      finalResponse: null,
      error: null,
      cancelReason: null,
    };
    // the run's events go through a sink that takes only this user's events, where the sink offers
    // one; asked for before the run exists, so a sink that refuses this user leaves nothing behind.
    // eventsChecked: the tracker builds its events from reports it has checked, and the events an
    // agent builds itself (state, standalone) are copied and validated when reported, so the manager
    // does not validate them again; the specs' RecordingSink checks every event the tracker emits.
    const sink = this.options.sink.forUser?.(userId, { eventsChecked: true }) ?? this.options.sink;
    this.options.store.add(record);
    this.counters.moved(null, 'pending');
    const run = new LiveRun(record, agent, input, tools, sink);
    if (mine === undefined) this.activeByUser.set(userId, (mine = new UserRuns()));
    mine.add(run);
    run.deadline = this.deadlines.push(run, run.dueAt);

    this.move(run, 'starting');
    // The pump invokes the agent once RUN_STARTED is out.
    void this.emit(run, runStartedPayload(record, agent, input));
    return { runId: record.runId, threadId, outcome: run.outcome };
  }

  getRun(userId: UserId, runId: string): RunSnapshot | null {
    const record = this.find(userId, runId);
    return record === undefined ? null : snapshotRun(record);
  }

  /** True when the live run's dead deadline moved; false when it has ended. */
  heartbeat(userId: UserId, runId: string): boolean {
    this.owned(userId, runId);
    const run = this.liveRun(userId, runId);
    return run !== undefined && this.activity(run, null);
  }

  /** True when this call cancelled the run (after its RUN_FINISHED is out); false when it had already ended. */
  async cancel(userId: UserId, runId: string, reason?: string): Promise<boolean> {
    this.owned(userId, runId);
    const run = this.liveRun(userId, runId);
    if (run === undefined || run.ending !== null) return false;
    const expired = this.endings.of(run, this.now());
    if (expired !== null) {
      this.end(run, expired);
      return false;
    }
    this.end(run, { state: 'cancelled', reason: typeof reason === 'string' ? reason : null });
    await run.outcome;
    return true;
  }

  listRuns(userId: UserId): RunSnapshot[] {
    return this.options.store.listByUser(userId).map(snapshotRun);
  }

  counts(userId: UserId): UserRunCounts {
    const byState = Object.fromEntries(RUN_STATES.map((state) => [state, 0])) as Record<RunState, number>;
    const records = this.options.store.listByUser(userId);
    for (const record of records) byState[record.state] += 1;
    const live = records.filter((record) => !isTerminalRunState(record.state)).length;
    return { live, total: records.length, byState };
  }

  /** Cancels the user's live runs, waits for their terminal events, then deletes every finished record of the user. */
  async cleanupUser(userId: UserId): Promise<number> {
    const runs = this.activeByUser.get(userId)?.toArray() ?? [];
    for (const run of runs) this.end(run, { state: 'cancelled', reason: 'user data cleanup' });
    await Promise.all(runs.map((run) => run.outcome));
    const removed = new Set<string>();
    for (const record of this.options.store.listByUser(userId)) {
      if (this.liveRun(userId, record.runId) !== undefined) continue; // started while we waited
      this.drop(record.runId);
      removed.add(record.runId);
    }
    this.retention.deleteAll(removed);
    return removed.size;
  }

  /** Ends every run whose deadline has passed and evicts expired finished runs; costs what expires. */
  sweep(): SweepReport {
    const now = this.now();
    let popped = 0;
    let timedOut = 0;
    let dead = 0;
    let interruptsExpired = 0;
    for (let due = this.deadlines.popDue(now); due !== undefined; due = this.deadlines.popDue(now)) {
      popped += 1;
      const run = due.value;
      run.deadline = null;
      const ending = this.endings.of(run, now);
      if (ending === null) run.deadline = this.deadlines.push(run, run.dueAt);
      else if (this.end(run, ending, now)) {
        if (ending.state === 'dead') dead += 1;
        else if (ending.state === 'timed_out') timedOut += 1;
        else if (ending.state === 'failed' && ending.error.code === AgentErrorCode.InterruptExpired) interruptsExpired += 1;
      }
    }
    const evicted = this.retention.expire(now);
    this.dropIdleUsers();
    return { popped, timedOut, dead, interruptsExpired, evicted };
  }

  /** Runs not ended yet, oldest first, at most `limit` of them; `total` counts them all. */
  liveRuns(limit: number): { runs: RunSnapshot[]; total: number } {
    // Oldest first: run ids are ULIDs from one monotonic source, so their order is the order the runs started in.
    const live = this.allActive()
      .filter(({ record }) => record.endedAt === null) // ended, its terminal event still on its way out: no longer in flight
      .sort((a, b) => (a.record.runId < b.record.runId ? -1 : 1));
    return { runs: live.slice(0, limit).map(({ record }) => snapshotRun(record)), total: live.length };
  }

  metrics(): TrackerMetrics {
    return this.counters.snapshot(this.retention.size, this.deadlines.size);
  }

  /** Refuses new runs, lets live ones finish for up to graceMs, ends the rest with code shutdown. */
  async shutdown(graceMs: number): Promise<ShutdownReport> {
    this.closing = true;
    const runs = this.allActive();
    if (graceMs > 0 && runs.length > 0) await within(graceMs, Promise.all(runs.map((run) => run.outcome)));
    let endedByShutdown = 0;
    for (const run of this.allActive()) if (this.end(run, SHUTDOWN)) endedByShutdown += 1;
    await Promise.all(this.allActive().map((run) => run.outcome));
    return { finishedInGrace: runs.length - endedByShutdown, endedByShutdown };
  }

  // ---- ReporterHost ----

  activity(run: LiveRun, phase: RunPhase | null): boolean {
    if (run.ending !== null) return false;
    const now = this.now();
    const expired = this.endings.of(run, now);
    if (expired !== null) {
      this.end(run, expired);
      return false;
    }
    const { record } = run;
    record.lastHeartbeatAt = now;
    record.heartbeatCount += 1;
    // Without a hang rule activity cannot move the run's deadline (its timeout).
    if (run.deadline !== null && record.hangAfterMs !== null) this.deadlines.reschedule(run.deadline, run.dueAt);
    if (phase !== null && record.phase !== phase) {
      record.phase = phase;
      addPhase(record, { phase, at: now });
      if (record.phases.length > this.options.limits.maxPhaseHistory) {
        record.phases.shift();
        record.phasesDropped += 1;
      }
    }
    this.update(run);
    return true;
  }

  /**
   * Queues one event of a live run. Resolves at once while the run's queue is below
   * eventHighWater, otherwise once it has drained to half of that (or the run ended). An event
   * past maxQueuedEvents is not queued: the run ends as failed instead, so an agent that never
   * waits cannot grow the queue without bound.
   */
  emit(run: LiveRun, payload: RunEventPayload): Promise<void> {
    if (run.ending !== null) return READY;
    const { eventHighWater, maxQueuedEvents, coalesceMs } = this.options.limits;
    const deltaKey = deltaKeyOf(payload.type, payload as unknown as Readonly<Record<string, unknown>>);
    if (deltaKey !== null && this.mergeIntoTail(run, deltaKey, payload)) {
      return run.queue.length >= eventHighWater ? run.paced() : READY;
    }
    if (run.queue.length >= maxQueuedEvents) {
      this.end(run, failed(`The agent kept reporting without awaiting its reporter calls while ${maxQueuedEvents} of its events were waiting to be sent`));
      return READY;
    }
    run.record.eventCount += 1;
    this.update(run);
    // The window runs from when the delta was queued, not from when it reached the head: its
    // first characters leave within coalesceMs however long the events before it took.
    const dueAt = deltaKey === null || coalesceMs === 0 ? 0 : performance.now() + coalesceMs;
    run.enqueue({ event: this.eventOf(run, payload), deltaKey, dueAt });
    // RUN_STARTED goes at once: until it is out the agent is not invoked, so nothing else of the
    // run can come this turn to share its batch, and a run waited for the end of its first turn
    // for nothing (a tick object each: about 100 bytes, 1% of a run in the latency benchmark).
    if (!this.pumpsAtTurnEnd(run) || run.record.state === 'starting') this.pump(run);
    else if (!run.pumpQueued) {
      run.pumpQueued = true;
      process.nextTick(this.pumpAtTurnEnd, run);
    }
    return run.queue.length >= eventHighWater ? run.paced() : READY;
  }

  checkCustomEvent(name: string, value: unknown): string | null {
    return this.options.checkCustomEvent === null ? null : this.options.checkCustomEvent(name, value);
  }

  get interruptExpiresMs(): number {
    return this.options.limits.interruptExpiresMs;
  }

  answerCheck(schema: Readonly<Record<string, unknown>> | undefined): (value: unknown) => string | null {
    if (schema === undefined) return () => null;
    let validate: ReturnType<Ajv['compile']>;
    try {
      validate = this.ajv.compile(schema);
    } catch (error) {
      throw new InvalidReportError(`responseSchema is not a JSON Schema: ${messageOf(error)}`);
    } finally {
      // Ajv keeps every schema it compiled (and refuses a second one with the same $id): the
      // validator needs none of that, so each question's schema is dropped at once.
      this.ajv.removeSchema(schema);
    }
    return (value) => {
      if (validate(value)) return null;
      const issue = validate.errors?.[0];
      return issue === undefined ? 'invalid' : `${issue.instancePath === '' ? 'the answer' : issue.instancePath} ${issue.message ?? 'is invalid'}`;
    };
  }

  waitFor(run: LiveRun, interrupt: PendingInterrupt): void {
    run.addInterrupt(interrupt);
    if (run.waitingSince === null) run.waitingSince = this.now();
    this.reschedule(run);
  }

  /**
   * Answers a question the user's run waits on: the value is checked against the question's
   * response schema (InvalidAnswerError, the question stays open), the run is told
   * (CUSTOM agentwire.interrupt_resolved) and goes on. RunNotFoundError for an unknown or another
   * user's run, InterruptNotFoundError for a question it does not wait on.
   */
  answerInterrupt(userId: UserId, runId: string, interruptId: string, value: unknown): void {
    this.owned(userId, runId);
    const run = this.liveRun(userId, runId);
    const interrupt = run === undefined || run.ending !== null ? undefined : run.interrupt(interruptId);
    if (run === undefined || interrupt === undefined) throw new InterruptNotFoundError(interruptId);
    const expired = this.endings.of(run, this.now());
    if (expired !== null) {
      this.end(run, expired);
      throw new InterruptNotFoundError(interruptId);
    }
    const problem = interrupt.check(value);
    if (problem !== null) throw new InvalidAnswerError(problem);
    run.removeInterrupt(interruptId);
    void this.emit(run, { type: EventType.CUSTOM, name: AgentwireCustomEvent.InterruptResolved, value: { interruptId, status: 'resolved' } });
    if (run.interruptCount === 0 && run.waitingSince !== null) {
      const now = this.now();
      run.pausedMs += now - run.waitingSince;
      run.waitingSince = null;
      run.record.lastHeartbeatAt = now; // the hang rule starts over from the answer
      this.update(run);
    }
    this.reschedule(run);
    interrupt.resolve(value);
  }

  internalError(run: LiveRun, error: unknown): void {
    const { runId, userId } = run.record;
    this.options.logger.error({ runId, userId, error: messageOf(error) }, 'Internal error of the execution tracker');
  }

  // ---- internals ----

  private reschedule(run: LiveRun): void {
    if (run.deadline !== null) this.deadlines.reschedule(run.deadline, run.dueAt);
  }

  private eventOf(run: LiveRun, payload: RunEventPayload): AgentEvent {
    return { type: payload.type, run_id: run.record.runId, thread_id: run.record.threadId, payload };
  }

  /** Merges a delta into the last queued event when that is a delta of the same key (coalescing); false otherwise. */
  private mergeIntoTail(run: LiveRun, deltaKey: string, payload: RunEventPayload): boolean {
    if (this.options.limits.coalesceMs === 0) return false; // 0 = one envelope per delta
    const tail = run.queue[run.queue.length - 1];
    if (tail === undefined || tail.deltaKey !== deltaKey) return false;
    const queued = tail.event.payload as RunEventPayload & { readonly delta: string };
    const delta = queued.delta + (payload as RunEventPayload & { readonly delta: string }).delta;
    if (delta.length > MAX_COALESCED_DELTA_CHARS) return false;
    tail.event = { ...tail.event, payload: { ...queued, delta } as RunEventPayload };
    return true;
  }

  /**
   * Runs the agent and ends the run with what it returned or threw. Not an async function: the
   * agent's promise gets two handlers, where an async frame, its promise and its await cost
   * about 190 bytes more per run (measured). A bug of ours is logged here (internalError), so
   * nothing it returns or calls needs a handler of its own.
   */
  private invoke(run: LiveRun): void {
    try {
      if (run.ending !== null) return;
      this.move(run, 'running');
    } catch (bug) {
      this.internalError(run, bug);
      return;
    }
    let returned: unknown;
    try {
      returned = run.agent.run(new LiveRunRequest(run, new RunReporter(run, this)));
    } catch (error) {
      this.agentDone(run, error, true);
      return;
    }
    // Promise.resolve: a plain value or a thenable is taken as await took them.
    Promise.resolve(returned).then(
      (result) => this.agentDone(run, result, false),
      (error: unknown) => this.agentDone(run, error, true),
    );
  }

  /** The agent returned `outcome` (or threw it): the run ends with it, unless a deadline passed first. */
  private agentDone(run: LiveRun, outcome: unknown, threw: boolean): void {
    try {
      const ending = threw ? failedBy(outcome) : this.completion(run, outcome);
      // An answer that arrives after a deadline passed does not beat it, swept or not.
      this.end(run, this.endings.of(run, this.now()) ?? ending);
    } catch (bug) {
      this.internalError(run, bug);
    }
  }

  private completion(run: LiveRun, result: unknown): RunEnding {
    const finalResponse = (result as { finalResponse?: unknown } | null | undefined)?.finalResponse;
    if (finalResponse !== undefined && typeof finalResponse !== 'string') return failed('The agent returned a finalResponse that is not a string');
    const open = run.openToolNames();
    if (open.length > 0) return failed(`The agent returned while tool calls were still open: ${open.join(', ')}`);
    return { state: 'completed', finalResponse: finalResponse ?? null };
  }

  /**
   * Decides the run's ending and queues its closing events and its one terminal event; false when
   * it was already decided. A RUN_FINISHED is preceded by the ends of the messages and tool-call
   * arguments the agent left open (AG-UI consumers refuse a run that finishes with them open), and
   * questions still waiting are closed. A sweep ends many runs at once, so this path allocates little.
   */
  private end(run: LiveRun, ending: RunEnding, now: number = this.now()): boolean {
    if (run.ending !== null) return false;
    run.ending = ending;
    const { record } = run;
    record.endedAt = now;
    if (run.deadline !== null) this.deadlines.remove(run.deadline);
    run.deadline = null;
    if (run.interruptCount > 0) {
      // Each question says why it no longer waits: its own expiry, or the run ended first.
      for (const interrupt of run.waitingInterrupts()) {
        const status = interrupt.expiresAt <= now ? 'expired' : 'cancelled';
        this.close(run, { type: EventType.CUSTOM, name: AgentwireCustomEvent.InterruptResolved, value: { interruptId: interrupt.id, status } });
      }
      run.abandonInterrupts(new RunEndedError(record.runId));
    }
    const openStreams = run.takeOpenStreams();
    if (openStreams !== null && (ending.state === 'completed' || ending.state === 'cancelled')) {
      for (const open of openStreams) {
        if (open.kind === 'text') this.close(run, { type: EventType.TEXT_MESSAGE_END, messageId: open.id });
        else if (open.kind === 'reasoning') {
          this.close(run, { type: EventType.REASONING_MESSAGE_END, messageId: open.id });
          this.close(run, { type: EventType.REASONING_END, messageId: open.id });
        } else if (open.kind === 'tool_args') this.close(run, { type: EventType.TOOL_CALL_END, toolCallId: open.id });
        else this.close(run, { type: EventType.STEP_FINISHED, stepName: open.id });
      }
    }
    const { runId, threadId } = record;
    let payload: RunEventPayload;
    if (ending.state === 'completed') {
      // Kept as long as the run is readable: as text, not as the pieces an agent may have
      // concatenated it from (`answer += token` keeps every token and join otherwise).
      record.finalResponse = ending.finalResponse === null ? null : flatString(ending.finalResponse);
      this.move(run, 'completing', now);
      const metadata = { [AGENTWIRE_METADATA_KEY]: endFigures(record, now) };
      // Made whole, not given its result afterwards: an added property grows the object a second time.
      payload =
        ending.finalResponse === null
          ? { type: EventType.RUN_FINISHED, threadId, runId, outcome: SUCCEEDED, metadata }
          : { type: EventType.RUN_FINISHED, threadId, runId, outcome: SUCCEEDED, metadata, result: ending.finalResponse };
    } else if (ending.state === 'cancelled') {
      record.cancelReason = ending.reason === null ? null : flatString(ending.reason);
      this.move(run, 'cancelled', now);
      const detail = ending.reason === null ? { code: 'cancelled', ...endFigures(record, now) } : { code: 'cancelled', reason: ending.reason, ...endFigures(record, now) };
      payload = { type: EventType.RUN_FINISHED, threadId, runId, outcome: { type: 'cancelled' }, metadata: { [AGENTWIRE_METADATA_KEY]: detail } };
    } else {
      const { error } = ending;
      flatString(error.message);
      record.error = error;
      this.move(run, ending.state, now);
      payload = { type: EventType.RUN_ERROR, message: error.message, code: error.code, metadata: { [AGENTWIRE_METADATA_KEY]: endFigures(record, now) } };
    }
    record.eventCount += 1;
    this.update(run);
    run.enqueue({ event: this.eventOf(run, payload), deltaKey: null, dueAt: 0 });
    this.pump(run);
    run.release(); // an agent waiting for room goes on, to find its signal aborted
    if (ending.state !== 'completed') run.abort(ending);
    return true;
  }

  /** Queues one of the events that close a run (past the queue's bound: there are few and they must go out). */
  private close(run: LiveRun, payload: RunEventPayload): void {
    run.record.eventCount += 1;
    run.enqueue({ event: this.eventOf(run, payload), deltaKey: null, dueAt: 0 });
  }

  /**
   * Hands the run's queued events to the sink in order while fewer than maxEventsInFlight of
   * them are at the sink; reporter calls waiting for room go on once the queue is half drained.
   * A sink that takes a batch (AgentEventSink.emitAgentEvents) gets what is queued in one call,
   * up to maxBatchesInFlight batches at a time (one by default: the events an agent reports while
   * a batch is out go in the next one; above 1, emit hands a turn's reports over at its end).
   * A delta alone at the head of the queue waits up to coalesceMs for more of its message (they
   * merge into it) unless anything else is queued behind it or the run has ended.
   */
  private pump(run: LiveRun): void {
    const { queue, sink } = run;
    const batched = typeof sink.emitAgentEvents === 'function';
    const { maxEventsInFlight, maxBatchesInFlight, eventHighWater } = this.options.limits;
    if (batched && run.batchesOut >= maxBatchesInFlight) return;
    let batch: AgentEvent[] | null = null;
    while (run.inFlight < maxEventsInFlight) {
      const head: QueuedEvent | undefined = queue[0];
      if (head === undefined) break;
      if (queue.length === 1 && head.dueAt !== 0 && run.ending === null) {
        const wait = head.dueAt - performance.now();
        if (wait > 0) {
          // Not unref'd: a delta waiting out its window must not be lost to a process exiting.
          run.coalesceTimer ??= setTimeout(() => {
            run.coalesceTimer = null;
            this.pump(run);
          }, Math.ceil(wait));
          break;
        }
      }
      queue.shift();
      run.stopCoalescing(); // the window belonged to this delta, or a delta that has gone out before it
      run.inFlight += 1;
      if (queue.length <= eventHighWater >> 1) run.release();
      // A batch is made with its first event: pushed onto while empty, a list reserves 17 slots.
      if (!batched) this.deliver(run, head.event);
      else if (batch === null) batch = [head.event];
      else batch.push(head.event);
    }
    if (batch !== null) this.deliverBatch(run, batch);
  }

  /**
   * Emits one event and goes on with the queue once the sink has taken it (see delivered). Not
   * an async function: the sink's promise gets two handlers, where an async frame, its own
   * promise and its await cost about 140 bytes more per event out at the sink.
   */
  private deliver(run: LiveRun, event: AgentEvent): void {
    try {
      // A sink that throws, or a promise whose `then` does, is a failed emit, as with await.
      Promise.resolve(run.sink.emitAgentEvent(run.record.userId, event)).then(
        () => this.delivered(run, event, false, undefined),
        (error: unknown) => this.delivered(run, event, true, error),
      );
    } catch (error) {
      this.delivered(run, event, true, error);
    }
  }

  /**
   * Emits a batch of the run's events in one call (emitAgentEvents) and goes on as deliver does,
   * once for the batch. Only the events' types are kept until it settles: over Redis a batch is
   * out for a round trip, and the events kept with their payloads outlived young collections
   * (the Redis benchmark's producing gateway, 200 runs with 32 events each at the sink: see the
   * bench README).
   */
  private deliverBatch(run: LiveRun, events: readonly AgentEvent[]): void {
    const { sink } = run;
    run.batchesOut += 1;
    if (run.batchSize !== 0) {
      this.deliverFurtherBatch(run, events);
      return;
    }
    run.batchSize = events.length;
    run.batchFirstType = events[0]?.type ?? null;
    run.batchTypes = events.length > 1 ? events.map(typeOf) : null;
    try {
      const handlers = (run.batchHandlers ??= this.batchHandlersOf(run));
      Promise.resolve(sink.emitAgentEvents?.call(sink, run.record.userId, events)).then(handlers.emitted, handlers.refused);
    } catch (error) {
      this.batchSettled(run, null, true, error);
    }
  }

  /**
   * A batch handed over while another of the run's is out (maxBatchesInFlight above 1): what
   * settling it needs is kept by its own handlers, since the run's fields hold the first one's.
   */
  private deliverFurtherBatch(run: LiveRun, events: readonly AgentEvent[]): void {
    const { sink } = run;
    const size = events.length;
    const first = events[0]?.type ?? null;
    const types = size > 1 ? events.map(typeOf) : null;
    try {
      Promise.resolve(sink.emitAgentEvents?.call(sink, run.record.userId, events)).then(
        (failures) => this.deliveredBatch(run, size, first, types, Array.isArray(failures) ? failures : null, false, undefined),
        (error: unknown) => this.deliveredBatch(run, size, first, types, null, true, error),
      );
    } catch (error) {
      this.deliveredBatch(run, size, first, types, null, true, error);
    }
  }

  /** Whether a run's reported events are handed to its sink at the end of the turn (see maxBatchesInFlight) rather than at once. */
  private pumpsAtTurnEnd(run: LiveRun): boolean {
    return this.options.limits.maxBatchesInFlight > 1 && typeof run.sink.emitAgentEvents === 'function';
  }

  /** process.nextTick's callback for a run whose events go out at the end of the turn: made once, so scheduling allocates no closure. */
  private readonly pumpAtTurnEnd = (run: LiveRun): void => {
    run.pumpQueued = false;
    try {
      this.pump(run);
    } catch (bug) {
      this.internalError(run, bug);
    }
  };

  /** The handlers of a run's batches, made once per run: they find the batch they settle in the run (batchSize, batchFirstType, batchTypes). */
  private batchHandlersOf(run: LiveRun): BatchHandlers {
    return {
      emitted: (failures) => this.batchSettled(run, Array.isArray(failures) ? failures : null, false, undefined),
      refused: (error) => this.batchSettled(run, null, true, error),
    };
  }

  /** The batch out at the sink has settled: see deliveredBatch. */
  private batchSettled(run: LiveRun, failures: AppendFailures, refused: boolean, error: unknown): void {
    const { batchSize: size, batchFirstType: first, batchTypes: types } = run;
    run.batchSize = 0;
    run.batchFirstType = null;
    run.batchTypes = null;
    this.deliveredBatch(run, size, first, types, failures, refused, error);
  }

  /** An event is out (or failed): see went. */
  private delivered(run: LiveRun, event: AgentEvent, sendFailed: boolean, error: unknown): void {
    if (sendFailed) this.countFailure(run, event.type, error);
    this.went(run, 1, event.type === EventType.RUN_STARTED);
  }

  /**
   * A batch of `size` events is out (its first event's type, and all its types when it held more
   * than one): each event the sink refused (its slot in `failures`, or all when the call was
   * refused) is counted as a failed emit.
   */
  private deliveredBatch(
    run: LiveRun,
    size: number,
    first: AgentEvent['type'] | null,
    types: readonly AgentEvent['type'][] | null,
    failures: AppendFailures,
    refused: boolean,
    error: unknown,
  ): void {
    if ((refused || failures !== null) && first !== null) {
      for (let index = 0; index < size; index += 1) {
        const failure = refused ? error : failures?.[index];
        if (refused || failure !== undefined) this.countFailure(run, types?.[index] ?? first, failure);
      }
    }
    run.batchesOut -= 1;
    // RUN_STARTED is a run's first event, so it can only head its first batch.
    this.went(run, size, first === EventType.RUN_STARTED);
  }

  /** A failed emit (of an event of this type) is counted and, the first of a run or a terminal event, logged. */
  private countFailure(run: LiveRun, type: AgentEvent['type'], error: unknown): void {
    // A logger that throws must not stop the run: it would wait for its agent, or to settle, forever.
    try {
      this.emitFailed(run, type, error);
    } catch (bug) {
      this.internalError(run, bug);
    }
  }

  /**
   * `count` events left the sink (emitted or failed): once RUN_STARTED is out the agent is invoked
   * (so none of its events can overtake it); once the terminal event, always the last one queued,
   * is out and nothing else is at the sink, the run settles. A bug of ours is logged; nothing is
   * thrown unless the logger's own `error` throws.
   */
  private went(run: LiveRun, count: number, startedOut: boolean): void {
    try {
      run.inFlight -= count;
      if (run.ending !== null && run.inFlight === 0 && run.queue.length === 0) this.settle(run);
      else if (startedOut) this.invoke(run);
      this.pump(run);
    } catch (bug) {
      this.internalError(run, bug);
    }
  }

  /** The hang rule of a new run in ms, or null for none: the request's, else the agent's, else the registry's. */
  private hangRule(request: StartRunRequest): number | null {
    const declared = request.hangAfterMs ?? request.agent.hangAfterMs;
    const ms = declared === undefined ? this.options.limits.hangAfterMs : checkLimit('hangAfterMs', declared, 0);
    return ms === 0 ? null : ms;
  }

  /** The terminal event is out (or failed): the run leaves the active set and becomes retained. */
  private settle(run: LiveRun): void {
    const { record } = run;
    run.stopCoalescing();
    if (record.state === 'completing') this.move(run, 'completed');
    const mine = this.activeByUser.get(record.userId);
    if (mine !== undefined) {
      mine.remove(run);
      if (mine.size === 0) this.idleUsers.add(record.userId);
    }
    this.retention.add(record.runId, this.now());
    if (!isTerminalRunState(record.state)) return;
    run.resolveOutcome(record.state);
    // Nothing changes the record from here on: the store may pack it (the default store does).
    try {
      this.options.store.settled?.(record);
    } catch (error) {
      this.storeFailed(error, record.runId);
    }
  }

  /** Drops the run sets of users that have had no active run since their last one settled (costs what emptied). */
  private dropIdleUsers(): void {
    if (this.idleUsers.size === 0) return;
    for (const userId of this.idleUsers) if (this.activeByUser.get(userId)?.size === 0) this.activeByUser.delete(userId);
    this.idleUsers.clear();
  }

  private move(run: LiveRun, to: RunState, now: number = this.now()): void {
    const { record } = run;
    const from = record.state;
    assertRunTransition(from, to);
    record.state = to;
    record.states.push({ state: to, at: now });
    this.counters.moved(from, to);
    this.update(run);
    if (this.options.onRunEnded !== null && isTerminalRunState(to)) {
      const observation = {
        agentName: record.agentName,
        state: to,
        durationMs: (record.endedAt ?? record.createdAt) - record.createdAt,
        errorCode: record.error?.code ?? null,
      };
      try {
        this.options.onRunEnded(observation);
      } catch (error) {
        this.internalError(run, error);
      }
    }
  }

  private emitFailed(run: LiveRun, type: AgentEvent['type'], error: unknown): void {
    const { record } = run;
    record.emitFailures += 1;
    this.update(run);
    // The first failure of a run and a lost terminal event are worth a line; the rest are counted.
    if (record.emitFailures === 1 || TERMINAL_RUN_EVENT_TYPES.has(type)) {
      this.options.logger.warn(
        { runId: record.runId, userId: record.userId, type, failures: record.emitFailures, error: messageOf(error) },
        'An agent event could not be emitted',
      );
    }
  }

  /** The user's record with this id; another user's id is treated exactly like an unknown one. */
  private find(userId: UserId, runId: string): RunRecord | undefined {
    const record = typeof runId === 'string' ? this.options.store.get(runId) : undefined;
    return record?.userId === userId ? record : undefined;
  }

  private owned(userId: UserId, runId: string): RunRecord {
    const record = this.find(userId, runId);
    if (record === undefined) throw new RunNotFoundError(runId);
    return record;
  }

  /** Writes the run's record to the store; a failing store is logged, it never breaks a run's state machine. */
  private update(run: LiveRun): void {
    try {
      this.options.store.update(run.record);
    } catch (error) {
      this.storeFailed(error, run.record.runId);
    }
  }

  private drop(runId: string): void {
    try {
      this.options.store.delete(runId);
    } catch (error) {
      this.storeFailed(error, runId);
    }
  }

  private storeFailed(error: unknown, runId: string): void {
    this.options.logger.error({ runId, error: messageOf(error) }, 'The run store failed');
  }

  /** The user's run with this id whose outcome has not settled. */
  private liveRun(userId: UserId, runId: string): LiveRun | undefined {
    return this.activeByUser.get(userId)?.find(runId);
  }

  /** Every run whose outcome has not settled, user by user (each user's oldest first). */
  private allActive(): LiveRun[] {
    const runs: LiveRun[] = [];
    for (const mine of this.activeByUser.values()) mine.appendTo(runs);
    return runs;
  }
}
