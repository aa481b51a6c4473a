// Test doubles and a harness shared by the specs: a fake clock, a recording sink that validates
// like the real one, a controllable agent, and a checker that every run ended exactly once.
import 'reflect-metadata';
import {
  type AgentEvent,
  type AgentEventSink,
  type AgentRunRequest,
  type AgentRunResult,
  type AgentRunner,
  type AppendFailures,
  type EventType,
  type OrderedEvent,
  type SendResult,
  TERMINAL_RUN_EVENT_TYPES,
  checkRunEventOrder,
  validateAgentEvent,
  withAppendFailure,
} from '@agentwirejs/protocols';
import { type RunId, type ThreadId, UserExecutionContext, type UserId, generateRunId } from '@agentwirejs/types';
import { container as rootContainer } from 'tsyringe';
import type { ExecutionTrackerOptions, TrackerLogger } from './options';
import { registerExecutionTracker } from './registry';
import type { RunRecord } from './run-record';
import type { RunState } from './run-state';
import { type AgentExecutionTracker, getExecutionTracker } from './tracker';

export const T0 = 1_700_000_000_000;

/** A clock that moves only when told to. */
export class FakeClock {
  private time = T0;
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface RecordedEvent extends OrderedEvent {
  readonly type: EventType;
  readonly seq: number;
  readonly user_id: UserId;
  readonly run_id: string;
  readonly thread_id: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * An AgentEventSink that records every event when it is handed over, validates it as the
 * manager does (the payload against @ag-ui/core's EventSchemas), and can hold (gate) or reject emits.
 */
export class RecordingSink implements AgentEventSink {
  readonly events: RecordedEvent[] = [];
  readonly invalid: string[] = [];
  /** Largest number of emits of one run in flight at once (at most the registry's maxEventsInFlight). */
  maxInFlightPerRun = 0;
  /** When set, each emit waits for it; lets a test hold events in flight. */
  gate: ((event: AgentEvent) => Promise<void>) | null = null;
  /** When set and returning an error, the emit rejects with it (after recording the attempt). */
  fail: ((event: AgentEvent) => Error | null) | null = null;
  private readonly seqs = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly byRun = new Map<string, RecordedEvent[]>();

  async emitAgentEvent(userId: UserId, event: AgentEvent): Promise<SendResult> {
    const problem = validateAgentEvent(event);
    if (problem !== null) {
      this.invalid.push(problem);
      throw new Error(problem);
    }
    const seq = (this.seqs.get(userId) ?? 0) + 1;
    this.seqs.set(userId, seq);
    const recorded: RecordedEvent = { ...event, seq, user_id: userId };
    this.events.push(recorded);
    let list = this.byRun.get(event.run_id);
    if (list === undefined) this.byRun.set(event.run_id, (list = []));
    list.push(recorded);
    const inFlight = (this.inFlight.get(event.run_id) ?? 0) + 1;
    this.inFlight.set(event.run_id, inFlight);
    this.maxInFlightPerRun = Math.max(this.maxInFlightPerRun, inFlight);
    try {
      if (this.gate !== null) await this.gate(event);
      const error = this.fail?.(event) ?? null;
      if (error !== null) throw error;
      return { seq, connections: 1 };
    } finally {
      // From the count now, not the one read when this emit began: emits of a run overlap.
      this.inFlight.set(event.run_id, (this.inFlight.get(event.run_id) ?? 1) - 1);
    }
  }

  /** One run's events, in emit order. */
  run(runId: string): RecordedEvent[] {
    return this.byRun.get(runId) ?? [];
  }

  types(runId: string): string[] {
    return this.run(runId).map((event) => event.type);
  }

  /** One run's events of one type, in emit order. */
  ofType(runId: string, type: EventType): RecordedEvent[] {
    return this.run(runId).filter((event) => event.type === type);
  }

  /** The concatenated deltas of one run's delta events of `type` (e.g. a streamed message's text). */
  text(runId: string, type: EventType): string {
    return this.ofType(runId, type)
      .map((event) => String(event.payload['delta']))
      .join('');
  }

  runIds(): string[] {
    return [...this.byRun.keys()];
  }

  /** Every event addressed to one user, in emit order. */
  eventsOf(userId: string): RecordedEvent[] {
    return this.events.filter((event) => event.user_id === userId);
  }
}

/**
 * A RecordingSink that also takes a run's events in batches (AgentEventSink.emitAgentEvents), as
 * the manager does: each event of a batch is recorded (and gated, failed) as emitAgentEvent does,
 * in order, and the batch settles with the failures by place. It records each batch's size and
 * how many batches of one run were at the sink at once.
 */
export class BatchingSink extends RecordingSink {
  readonly batchSizes: number[] = [];
  /** Largest number of batches of one run at the sink at once (the tracker hands over one at a time). */
  maxBatchesInFlightPerRun = 0;
  /** When set and returning an error for a batch, the call rejects with it as a whole (after recording its events, as attempts). */
  refuse: ((events: readonly AgentEvent[]) => Error | null) | null = null;
  private readonly batchesInFlight = new Map<string, number>();

  async emitAgentEvents(userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures> {
    this.batchSizes.push(events.length);
    const runId = events[0]?.run_id ?? '';
    const inFlight = (this.batchesInFlight.get(runId) ?? 0) + 1;
    this.batchesInFlight.set(runId, inFlight);
    this.maxBatchesInFlightPerRun = Math.max(this.maxBatchesInFlightPerRun, inFlight);
    try {
      const results = await Promise.allSettled(events.map((event) => this.emitAgentEvent(userId, event)));
      const refused = this.refuse?.(events) ?? null;
      if (refused !== null) throw refused;
      let failures: unknown[] | null = null;
      results.forEach((result, index) => {
        if (result.status === 'rejected') failures = withAppendFailure(failures, results.length, index, result.reason);
      });
      return failures;
    } finally {
      this.batchesInFlight.set(runId, (this.batchesInFlight.get(runId) ?? 1) - 1);
    }
  }
}

/**
 * The two kinds of sink the specs that take part run against: one that takes a run's events one
 * at a time, and one that takes them in batches (emitAgentEvents), as the manager does.
 */
export const SINK_KINDS: [string, () => RecordingSink][] = [
  ['one event at a time', () => new RecordingSink()],
  ['in batches (emitAgentEvents)', () => new BatchingSink()],
];

/** createHarness, its events going to a new sink from `newSink` (one of SINK_KINDS). */
export function harnessWith(newSink: () => RecordingSink): (options?: Partial<ExecutionTrackerOptions>) => Harness {
  return (options = {}) => createHarness(options, newSink());
}

/** Records what the tracker logs. */
export class RecordingLogger implements TrackerLogger {
  readonly lines: { level: 'warn' | 'error'; message: string; context: Record<string, unknown> }[] = [];
  warn(context: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', message, context });
  }
  error(context: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', message, context });
  }
}

export interface AgentCall {
  readonly request: AgentRunRequest;
  finish(finalResponse: string): void;
  fail(error: unknown): void;
  /** Resolves with anything (to test a malformed result). */
  resolveWith(result: unknown): void;
}

/** An agent the test drives: each run waits until the test finishes or fails it. */
export class ControlledAgent implements AgentRunner {
  readonly calls: AgentCall[] = [];
  /** @param hangAfterMs the agent's hang rule (AgentRunner.hangAfterMs); none by default. */
  constructor(
    readonly name = 'controlled-agent',
    readonly hangAfterMs?: number,
  ) {}

  run(request: AgentRunRequest): Promise<AgentRunResult> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        request,
        finish: (finalResponse) => resolve({ finalResponse }),
        fail: reject,
        resolveWith: (result) => resolve(result as AgentRunResult),
      });
    });
  }

  /** The call of the given run (throws when the agent was not invoked for it). */
  call(runId: string): AgentCall {
    const found = this.calls.find((call) => call.request.runId === runId);
    if (found === undefined) throw new Error(`agent was not invoked for ${runId}`);
    return found;
  }
}

/** An agent whose run is the given function. */
export function scriptedAgent(name: string, run: (request: AgentRunRequest) => Promise<AgentRunResult>): AgentRunner {
  return { name, run };
}

/** Lets every queued promise callback run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms` of real time (coalescing windows run on real timers). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits (real time, bounded by `withinMs`) until `condition` holds; throws when it never does. */
export async function until(condition: () => boolean, withinMs = 2_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await sleep(1);
  }
}

/** The rejection of `promise` (throws when it fulfils). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** A UserExecutionContext for `userId` (thread `thread-main` unless given). */
export function contextFor(userId: string, threadId = 'thread-main'): UserExecutionContext {
  return new UserExecutionContext({ userId, threadId, runId: generateRunId() });
}

/**
 * Checks every recorded run against the protocol's ordering rules (checkRunEventOrder: RUN_STARTED
 * first, starts before contents and ends, exactly one terminal event, nothing after, nothing open
 * at RUN_FINISHED); and that no run had more than `maxInFlight` emits at the sink.
 */
export function expectEveryRunOrdered(sink: RecordingSink, maxInFlight = 1): void {
  expect(sink.invalid).toEqual([]);
  expect(sink.maxInFlightPerRun).toBeLessThanOrEqual(maxInFlight);
  const problems: string[] = [];
  for (const runId of sink.runIds()) {
    const events = sink.run(runId);
    for (const problem of checkRunEventOrder(events).problems) problems.push(`${runId}: ${problem}`);
    const terminal = events.filter((event) => TERMINAL_RUN_EVENT_TYPES.has(event.type)).length;
    if (terminal !== 1) problems.push(`${runId}: ${terminal} terminal events`);
  }
  expect(problems).toEqual([]);
}

export interface Harness {
  readonly clock: FakeClock;
  readonly sink: RecordingSink;
  readonly logger: RecordingLogger;
  readonly container: ReturnType<typeof rootContainer.createChildContainer>;
  readonly registry: ReturnType<typeof registerExecutionTracker>;
  trackerFor(userId: string, threadId?: string): AgentExecutionTracker;
  /** Shuts the registry down, checks every run's events, and that nothing was logged as an error. */
  close(): Promise<void>;
}

/** A registry in its own child container, on a fake clock, with no sweep timer; its events go to `sink` (a RecordingSink by default). */
export function createHarness(options: Partial<ExecutionTrackerOptions> = {}, sink: RecordingSink = new RecordingSink()): Harness {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const container = rootContainer.createChildContainer();
  const registry = registerExecutionTracker(container, { sink, now: clock.now, logger, sweepIntervalMs: 0, ...options });
  return {
    clock,
    sink,
    logger,
    container,
    registry,
    trackerFor: (userId, threadId) => getExecutionTracker(contextFor(userId, threadId), container),
    close: async () => {
      await registry.shutdown({ graceMs: 0 });
      expectEveryRunOrdered(sink, registry.limits.maxEventsInFlight);
      expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    },
  };
}

/** A finished run's record: completed through all five states, with one phase and an answer, unless `changes` says otherwise. */
export function finishedRecord(n: number, changes: Partial<RunRecord> = {}): RunRecord {
  const at = 1_790_000_000_000 + n * 10;
  const states: RunState[] = ['pending', 'starting', 'running', 'completing', 'completed'];
  return {
    runId: `run-${n}` as RunId,
    userId: `user-${n % 7}` as UserId,
    threadId: `thread-${n}` as ThreadId,
    agentName: 'answerer',
    state: 'completed',
    states: states.map((state, i) => ({ state, at: at + i })),
    phase: 'thinking',
    phases: [{ phase: 'thinking', at: at + 2.5 }],
    phasesDropped: 0,
    createdAt: at,
    endedAt: at + 3,
    lastHeartbeatAt: at + 2.5,
    heartbeatCount: n % 5,
    timeoutMs: 300_000,
    hangAfterMs: null,
    eventCount: 3 + (n % 11),
    emitFailures: n % 3,
    finalResponse: `answer ${n}`,
    error: null,
    cancelReason: null,
    ...changes,
  };
}
