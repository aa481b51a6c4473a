import 'reflect-metadata';
import { EventType } from '@agentwirejs/protocols';
import { InvalidContextError, UserExecutionContext } from '@agentwirejs/types';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import {
  DirectConstructionError,
  InvalidTrackerOptionError,
  RunLimitExceededError,
  TrackerAlreadyRegisteredError,
  TrackerNotRegisteredError,
  TrackerShutDownError,
} from './errors';
import {
  ControlledAgent,
  type Harness,
  RecordingSink,
  contextFor,
  createHarness,
  expectEveryRunOrdered,
  flush,
} from './harness.test-helpers';
import type { RunEndedObservation } from './options';
import { EXECUTION_TRACKER_REGISTRY, registerExecutionTracker, resolveExecutionTrackerRegistry } from './registry';
import { AgentExecutionTracker, getExecutionTracker } from './tracker';

describe('getting a tracker', () => {
  it('cannot construct AgentExecutionTracker with new: the error names getExecutionTracker', () => {
    const construct = () => new (AgentExecutionTracker as unknown as new () => unknown)();
    expect(construct).toThrow(DirectConstructionError);
    expect(construct).toThrow(/getExecutionTracker\(userContext, container\)/);
    expect(construct).toThrow(expect.objectContaining({ code: 'DIRECT_CONSTRUCTION' }));
  });

  it('cannot construct the registry with new either: it comes from registerExecutionTracker', async () => {
    const h = createHarness();
    const Registry = h.registry.constructor as new (...args: unknown[]) => unknown;
    expect(() => new Registry(Symbol('guess'), { sink: h.sink })).toThrow(/registerExecutionTracker\(container, options\)/);
    expect(() => new Registry()).toThrow(DirectConstructionError);
    await h.close();
  });

  it('returns a view bound to the context user, from the registry registered in the container', async () => {
    const h = createHarness();
    const tracker = getExecutionTracker(contextFor('alice'), h.container);
    expect(tracker).toBeInstanceOf(AgentExecutionTracker);
    expect(tracker.userId).toBe('alice');
    expect(resolveExecutionTrackerRegistry(h.container)).toBe(h.registry);
    expect(h.container.resolve(EXECUTION_TRACKER_REGISTRY)).toBe(h.registry);
    // a child container sees its parent's registry
    expect(resolveExecutionTrackerRegistry(h.container.createChildContainer())).toBe(h.registry);
    await h.close();
  });

  it('runs of a view whose context names no thread each start a thread of their own, unless the request names one', async () => {
    const h = createHarness();
    const tracker = getExecutionTracker(new UserExecutionContext({ userId: '1', connectionId: 'conn-1' }), h.container);
    const first = tracker.startRun({ agent: new ControlledAgent(), input: 'x' });
    const second = tracker.startRun({ agent: new ControlledAgent(), input: 'y' });
    const named = tracker.startRun({ agent: new ControlledAgent(), input: 'z', threadId: 'thread-chosen' });
    expect(first.threadId).toMatch(/^thread_/);
    expect(second.threadId).toMatch(/^thread_/);
    expect(second.threadId).not.toBe(first.threadId);
    expect(named.threadId).toBe('thread-chosen');
    await h.close();
  });

  it.each([
    ['a string', 'alice'],
    ['null', null],
    ['undefined', undefined],
    ['a look-alike object', { userId: 'alice', threadId: 'thread-main', runId: 'run-1' }],
  ])('rejects %s instead of a UserExecutionContext with InvalidContextError', (_what, value) => {
    const h = createHarness();
    const call = () => getExecutionTracker(value as unknown as UserExecutionContext, h.container);
    expect(call).toThrow(InvalidContextError);
    expect(call).toThrow(/getExecutionTracker\(\) needs a UserExecutionContext instance/);
  });

  it('refuses a container without a registry, and a second registry in one container', async () => {
    const empty = rootContainer.createChildContainer();
    expect(() => getExecutionTracker(contextFor('alice'), empty)).toThrow(TrackerNotRegisteredError);
    // No global fallback: a caller that passes no container is told so, even where the root container has a registry.
    const rootRegistry = registerExecutionTracker(rootContainer, { sink: new RecordingSink(), sweepIntervalMs: 0 });
    try {
      expect(() => getExecutionTracker(contextFor('alice'), undefined as unknown as DependencyContainer)).toThrow(/container: must be the DependencyContainer/);
    } finally {
      await rootRegistry.shutdown();
      rootContainer.reset();
    }
    const sink = new RecordingSink();
    registerExecutionTracker(empty, { sink, sweepIntervalMs: 0 });
    expect(() => registerExecutionTracker(empty, { sink, sweepIntervalMs: 0 })).toThrow(TrackerAlreadyRegisteredError);
  });

  it('keeps containers apart: each has its own runs', async () => {
    const one = createHarness();
    const two = createHarness();
    const { runId } = one.trackerFor('alice').startRun({ agent: new ControlledAgent(), input: 'x' });
    expect(one.trackerFor('alice').getRun(runId)).not.toBeNull();
    expect(two.trackerFor('alice').getRun(runId)).toBeNull();
    expect(two.registry.metrics().started).toBe(0);
    await one.close();
    await two.close();
  });

  it('checks its options', () => {
    const sink = new RecordingSink();
    const fresh = () => rootContainer.createChildContainer();
    expect(() => registerExecutionTracker(fresh(), { sink, maxRunsPerUser: 0 })).toThrow(InvalidTrackerOptionError);
    expect(() => registerExecutionTracker(fresh(), { sink, timeoutMs: 1.5 })).toThrow(/timeoutMs: must be a whole number ≥ 1/);
    expect(() => registerExecutionTracker(fresh(), { sink: {} as RecordingSink })).toThrow(/sink/);
    expect(() => registerExecutionTracker(fresh(), { sink, eventHighWater: 10, maxQueuedEvents: 9 })).toThrow(/maxQueuedEvents: must be ≥ eventHighWater \(10\)/);
    expect(() => registerExecutionTracker(fresh(), { sink, coalesceMs: -1 })).toThrow(/coalesceMs: must be a whole number ≥ 0/);
    expect(() => registerExecutionTracker(fresh(), { sink, maxBatchesInFlight: 0 })).toThrow(/maxBatchesInFlight: must be a whole number ≥ 1/);
    expect(() => registerExecutionTracker(fresh(), { sink, interruptExpiresMs: 0 })).toThrow(/interruptExpiresMs: must be a whole number ≥ 1/);
    expect(registerExecutionTracker(fresh(), { sink, sweepIntervalMs: 0 }).limits).toEqual({
      maxRunsPerUser: 5,
      timeoutMs: 30_000,
      hangAfterMs: 0,
      eventHighWater: 64,
      maxQueuedEvents: 1_024,
      maxEventsInFlight: 1,
      maxBatchesInFlight: 1,
      retentionMs: 600_000,
      maxRetainedRuns: 10_000,
      maxPhaseHistory: 50,
      sweepIntervalMs: 0,
      coalesceMs: 40,
      interruptExpiresMs: 300_000,
    });
  });
});

describe('limits and retention', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('refuses a sixth live run of one user with RunLimitExceededError, and accepts one once a run ends', async () => {
    h = createHarness();
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const runs = Array.from({ length: 5 }, () => alice.startRun({ agent, input: 'x' }));
    expect(() => alice.startRun({ agent, input: 'x' })).toThrow(RunLimitExceededError);
    expect(() => alice.startRun({ agent, input: 'x' })).toThrow(expect.objectContaining({ code: 'RUN_LIMIT_EXCEEDED', limit: 5 }));
    expect(() => h.trackerFor('bob').startRun({ agent, input: 'x' })).not.toThrow();
    expect(alice.counts().live).toBe(5);
    await alice.cancel((runs[0] as { runId: string }).runId);
    expect(() => alice.startRun({ agent, input: 'x' })).not.toThrow();
    expect(h.registry.metrics().rejected).toBe(2);
  });

  it('rejects bad run requests with typed errors', () => {
    h = createHarness();
    const alice = h.trackerFor('alice');
    const agent = new ControlledAgent();
    expect(() => alice.startRun({ agent: {} as ControlledAgent, input: 'x' })).toThrow(InvalidTrackerOptionError);
    expect(() => alice.startRun({ agent, input: 42 as unknown as string })).toThrow(/input/);
    // the wire contract's AgentInput, one check (isAgentInput of @agentwirejs/protocols): text or a JSON object
    for (const input of [['a list'], new Date(0), JSON.parse('{"__proto__":{"polluted":true}}') as object]) {
      expect(() => alice.startRun({ agent, input: input as Record<string, unknown> })).toThrow(/input: must be text or a JSON object/);
    }
    expect(() => alice.startRun({ agent, input: 'x', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => alice.startRun({ agent, input: 'x', threadId: 'bad thread id' })).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
    expect(h.registry.metrics().started).toBe(0);
  });

  it('keeps finished runs for retentionMs, then evicts them at a sweep; live runs stay', async () => {
    h = createHarness({ retentionMs: 60_000, timeoutMs: 3_600_000 });
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const finished = alice.startRun({ agent, input: 'x' });
    await alice.cancel(finished.runId);
    const live = alice.startRun({ agent, input: 'y' });
    h.clock.advance(59_999);
    expect(h.registry.sweep().evicted).toBe(0);
    expect(alice.getRun(finished.runId)?.state).toBe('cancelled');
    h.clock.advance(1);
    expect(h.registry.sweep().evicted).toBe(1);
    expect(alice.getRun(finished.runId)).toBeNull();
    expect(alice.getUserExecutions().map((run) => run.runId)).toEqual([live.runId]);
    expect(h.registry.metrics().retained).toBe(0);
  });

  it('keeps at most maxRetainedRuns finished runs, dropping the oldest first', async () => {
    h = createHarness({ maxRetainedRuns: 2 });
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { runId } = alice.startRun({ agent, input: `run ${i}` });
      ids.push(runId);
      await alice.cancel(runId);
    }
    expect(alice.getUserExecutions().map((run) => run.runId)).toEqual(ids.slice(2));
    expect(h.registry.metrics().retained).toBe(2);
  });
});

describe('metrics', () => {
  it('counts runs by state, cancelled included, and reports each ending with its duration', async () => {
    const observed: RunEndedObservation[] = [];
    const h = createHarness({ hangAfterMs: 10_000, onRunEnded: (observation) => observed.push(observation) });
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const a = alice.startRun({ agent, input: 'a' });
    const b = alice.startRun({ agent, input: 'b' });
    const c = alice.startRun({ agent, input: 'c' });
    alice.startRun({ agent, input: 'd' });
    expect(h.registry.metrics()).toMatchObject({ started: 4, active: 4, live: { pending: 0, starting: 4, running: 0, completing: 0 } });
    await flush();
    expect(h.registry.metrics().live.running).toBe(4);
    h.clock.advance(120);
    agent.call(a.runId).finish('done');
    agent.call(b.runId).fail(new Error('boom'));
    await Promise.all([a.outcome, b.outcome, alice.cancel(c.runId)]);
    h.clock.advance(10_000);
    h.registry.sweep();
    await flush(); // the dead run's RUN_ERROR goes out, then it is retained
    expect(h.registry.metrics()).toEqual({
      started: 4,
      rejected: 0,
      active: 0,
      live: { pending: 0, starting: 0, running: 0, completing: 0 },
      ended: { completed: 1, failed: 1, timed_out: 0, dead: 1, cancelled: 1 },
      retained: 4,
      deadlines: 0,
    });
    expect([...observed].sort((x, y) => x.state.localeCompare(y.state))).toEqual([
      { agentName: 'controlled-agent', state: 'cancelled', durationMs: 120, errorCode: null },
      { agentName: 'controlled-agent', state: 'completed', durationMs: 120, errorCode: null },
      { agentName: 'controlled-agent', state: 'dead', durationMs: 10_120, errorCode: 'dead' },
      { agentName: 'controlled-agent', state: 'failed', durationMs: 120, errorCode: 'agent_failed' },
    ]);
    await h.close();
  });

  it('logs a throwing onRunEnded hook and carries on', async () => {
    const h = createHarness({
      onRunEnded: () => {
        throw new Error('histogram broke');
      },
    });
    const alice = h.trackerFor('alice');
    const { runId } = alice.startRun({ agent: new ControlledAgent(), input: 'x' });
    await expect(alice.cancel(runId)).resolves.toBe(true);
    expect(h.logger.lines[0]).toMatchObject({ level: 'error', context: { error: 'histogram broke' } });
    h.logger.lines.length = 0; // expected, checked above
    await h.close();
  });
});

describe('shutdown', () => {
  it('lets runs finish within the grace period, ends the rest with RUN_ERROR shutdown, then starts nothing', async () => {
    const h = createHarness();
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const quick = alice.startRun({ agent, input: 'quick' });
    const slow = alice.startRun({ agent, input: 'slow' });
    const waiting = h.trackerFor('bob').startRun({ agent, input: 'not even started' });
    await flush();
    const stopping = h.registry.shutdown({ graceMs: 50 });
    expect(h.registry.shuttingDown).toBe(true);
    expect(() => alice.startRun({ agent, input: 'x' })).toThrow(TrackerShutDownError);
    agent.call(quick.runId).finish('made it');
    const report = await stopping;
    expect(report).toEqual({ finishedInGrace: 1, endedByShutdown: 2 });
    expect((await quick.outcome).state).toBe('completed');
    expect(await slow.outcome).toMatchObject({ state: 'failed', error: { code: 'shutdown', message: 'The gateway is shutting down' } });
    expect(h.sink.run(waiting.runId).at(-1)).toMatchObject({ type: EventType.RUN_ERROR, payload: { type: EventType.RUN_ERROR, code: 'shutdown' } });
    expect(agent.call(slow.runId).request.signal.aborted).toBe(true);
    expect(h.registry.shutdown()).toBe(stopping);
    await expect(createHarness().registry.shutdown({ graceMs: -1 })).rejects.toThrow(InvalidTrackerOptionError);
    expectEveryRunOrdered(h.sink);
  });

  it('does not end a run again whose RUN_FINISHED is still in flight', async () => {
    const h = createHarness();
    const agent = new ControlledAgent();
    let release: () => void = () => undefined;
    h.sink.gate = (event) => (event.type === EventType.RUN_FINISHED ? new Promise((resolve) => (release = resolve)) : Promise.resolve());
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    agent.call(runId).finish('answer');
    await flush();
    expect(h.trackerFor('alice').getRun(runId)?.state).toBe('completing');
    const stopping = h.registry.shutdown({ graceMs: 0 });
    release();
    await expect(stopping).resolves.toEqual({ finishedInGrace: 1, endedByShutdown: 0 });
    expect((await outcome).state).toBe('completed');
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
    await h.close();
  });

  it('does not wait out the grace period when every run already ended', async () => {
    const h = createHarness();
    const agent = new ControlledAgent();
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    const stopping = h.registry.shutdown({ graceMs: 60_000 });
    agent.call(runId).finish('ok');
    await expect(stopping).resolves.toEqual({ finishedInGrace: 1, endedByShutdown: 0 });
    expect((await outcome).state).toBe('completed');
  });
});

describe('the sweep timer', () => {
  afterEach(() => jest.useRealTimers());

  it('sweeps on its own every sweepIntervalMs and stops on shutdown', async () => {
    jest.useFakeTimers();
    const container = rootContainer.createChildContainer();
    let now = 0;
    const sink = new RecordingSink();
    const registry = registerExecutionTracker(container, { sink, now: () => now, sweepIntervalMs: 100, hangAfterMs: 10_000, logger: { warn() {}, error() {} } });
    expect(jest.getTimerCount()).toBe(1);
    const tracker = getExecutionTracker(new UserExecutionContext({ userId: 'alice', threadId: 'thread-1', runId: 'run-ctx' }), container);
    const { outcome } = tracker.startRun({ agent: new ControlledAgent(), input: 'x' });
    now = 10_000;
    jest.advanceTimersByTime(100);
    expect((await outcome).state).toBe('dead');
    await registry.shutdown({ graceMs: 0 });
    expect(jest.getTimerCount()).toBe(0);
    expectEveryRunOrdered(sink);
  });
});

describe("the registry's live runs (an operator's view of every user)", () => {
  it('lists the runs of every user that have not ended, oldest first, bounded by limit while total counts them all', async () => {
    const h = createHarness();
    const agent = new ControlledAgent('worker');
    const first = h.trackerFor('alice').startRun({ agent, input: 'x' });
    const second = h.trackerFor('bob').startRun({ agent, input: 'y' });
    const ended = h.trackerFor('carol').startRun({ agent, input: 'z' });
    await flush();
    await h.trackerFor('carol').cancel(ended.runId);

    const all = h.registry.liveRuns();
    expect(all.total).toBe(2);
    expect(all.runs.map((run) => [run.runId, run.userId, run.agentName, run.endedAt])).toEqual([
      [first.runId, 'alice', 'worker', null],
      [second.runId, 'bob', 'worker', null],
    ]);
    expect(h.registry.liveRuns(1)).toEqual({ runs: [expect.objectContaining({ runId: first.runId })], total: 2 });
    expect(() => h.registry.liveRuns(-1)).toThrow(InvalidTrackerOptionError);

    agent.call(first.runId).finish('done');
    await first.outcome;
    expect(h.registry.liveRuns().runs.map((run) => run.runId)).toEqual([second.runId]);
    await h.close();
  });
});
