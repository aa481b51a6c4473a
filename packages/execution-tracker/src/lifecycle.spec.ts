import { AgentErrorCode, type AgentTool, EventType } from '@agentwirejs/protocols';
import { RunAbortedError, RunEndedError } from './errors';
import { ControlledAgent, type Harness, SINK_KINDS, T0, flush, harnessWith, rejectionOf, scriptedAgent } from './harness.test-helpers';
import type { RunStore } from './run-store';
import { InMemoryRunStore } from './run-store';
import type { AgentExecutionTracker } from './tracker';

/** A store that does what `memory` does (without `settled`), but for the methods `replaced` gives. */
function storeOver(memory: InMemoryRunStore, replaced: Partial<RunStore>): RunStore {
  return {
    add: (record) => memory.add(record),
    get: (runId) => memory.get(runId),
    listByUser: (userId) => memory.listByUser(userId),
    get size() {
      return memory.size;
    },
    update: (record) => memory.update(record),
    delete: (runId) => memory.delete(runId),
    ...replaced,
  };
}

/** What reporter.toolStarted emits: the call with its whole arguments; complete() adds TOOL_CALL_RESULT. */
const TOOL_STARTED = [EventType.TOOL_CALL_START, EventType.TOOL_CALL_ARGS, EventType.TOOL_CALL_END];

describe.each(SINK_KINDS)('a run, from start to its one ending, the sink taking events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  let h: Harness;
  let agent: ControlledAgent;
  /** An agent that declared a hang rule: 10 s without a report and its run is dead. */
  let hangRuled: ControlledAgent;
  let alice: AgentExecutionTracker;

  beforeEach(() => {
    h = createHarness();
    agent = new ControlledAgent();
    hangRuled = new ControlledAgent('hang-ruled-agent', 10_000);
    alice = h.trackerFor('alice');
  });
  afterEach(() => h.close());

  /** Starts a run and lets RUN_STARTED go out, so the agent is running. */
  async function started(timeoutMs?: number, runner: ControlledAgent = agent) {
    const run = alice.startRun({ agent: runner, input: 'What is 2+2?', timeoutMs });
    await flush();
    return { ...run, call: runner.call(run.runId), reporter: runner.call(run.runId).request.reporter };
  }

  it('emits RUN_STARTED, what the agent reports as AG-UI events, then RUN_FINISHED with the result, duration and event count', async () => {
    const { runId, threadId, outcome } = alice.startRun({ agent, input: 'What is 2+2?' });
    expect(alice.getRun(runId)?.state).toBe('starting');
    await flush();
    const { reporter } = agent.call(runId).request;
    expect(alice.getRun(runId)?.state).toBe('running');
    h.clock.advance(100);
    reporter.thinking('I should add the numbers');
    h.clock.advance(50);
    const tool = reporter.toolStarted('calculator', { expression: '2+2' });
    h.clock.advance(250);
    tool.complete({ value: 4 }, true);
    h.clock.advance(100);
    agent.call(runId).finish('4');

    expect(await outcome).toEqual({ runId, userId: 'alice', agentName: 'controlled-agent', state: 'completed', durationMs: 500, finalResponse: '4', error: null, cancelReason: null });
    const events = h.sink.run(runId);
    expect(events.map((event) => event.type)).toEqual([
      EventType.RUN_STARTED,
      EventType.REASONING_MESSAGE_CHUNK, // thinking: one whole reasoning message, one event
      ...TOOL_STARTED,
      EventType.TOOL_CALL_RESULT,
      EventType.RUN_FINISHED,
    ]);
    expect(events.every((event) => event.run_id === runId && event.thread_id === threadId && event.payload['type'] === event.type)).toBe(true);
    expect(threadId).toBe('thread-main');
    expect(events[0]?.payload).toEqual({
      type: 'RUN_STARTED',
      threadId,
      runId,
      input: {
        threadId,
        runId,
        messages: [{ id: `${runId}-input`, role: 'user', content: 'What is 2+2?' }],
        tools: [],
        context: [],
        state: {},
        forwardedProps: { agent: 'controlled-agent', input: 'What is 2+2?' },
      },
    });
    expect(events[1]?.payload).toEqual({ type: 'REASONING_MESSAGE_CHUNK', messageId: expect.any(String), delta: 'I should add the numbers' });
    const toolCallId = events[2]?.payload['toolCallId'];
    expect(events.slice(2, 6).map((event) => event.payload)).toEqual([
      { type: 'TOOL_CALL_START', toolCallId, toolCallName: 'calculator' },
      { type: 'TOOL_CALL_ARGS', toolCallId, delta: '{"expression":"2+2"}' },
      { type: 'TOOL_CALL_END', toolCallId },
      {
        type: 'TOOL_CALL_RESULT',
        messageId: expect.any(String),
        toolCallId,
        role: 'tool',
        content: '{"value":4}',
        metadata: { agentwire: { tool_name: 'calculator', duration_ms: 250, success: true } },
      },
    ]);
    expect(events[6]?.payload).toEqual({
      type: 'RUN_FINISHED',
      threadId,
      runId,
      outcome: { type: 'success' },
      result: '4',
      metadata: { agentwire: { duration_ms: 500, event_count: 7 } },
    });

    const run = alice.getRun(runId);
    expect(run?.states).toEqual([
      { state: 'pending', at: T0 },
      { state: 'starting', at: T0 },
      { state: 'running', at: T0 },
      { state: 'completing', at: T0 + 500 },
      { state: 'completed', at: T0 + 500 },
    ]);
    expect(run?.phases).toEqual([
      { phase: 'thinking', at: T0 + 100 },
      { phase: 'tool_execution', at: T0 + 150 },
      { phase: 'result_processing', at: T0 + 400 },
    ]);
    expect(run).toMatchObject({ heartbeatCount: 3, lastHeartbeatAt: T0 + 400, endedAt: T0 + 500, eventCount: 7, emitFailures: 0 });
  });

  it('gives the agent its run id, thread, user, input, tools and an unaborted signal', async () => {
    const search: AgentTool = { name: 'search', description: 'finds things', execute: async () => ['a result'] };
    const { runId, threadId } = alice.startRun({ agent, input: { topic: 'tides' }, tools: [search], threadId: 'thread-2' });
    await flush();
    const { request } = agent.call(runId);
    expect(request).toMatchObject({ runId, threadId, userId: 'alice', input: { topic: 'tides' } });
    expect(threadId).toBe('thread-2');
    expect([...request.tools.keys()]).toEqual(['search']);
    expect(request.signal.aborted).toBe(false);
    agent.call(runId).finish('done');
  });

  it('gives a run started without tools an empty map that refuses entries, so no run adds a tool another sees', async () => {
    const first = alice.startRun({ agent, input: 'one' });
    const second = alice.startRun({ agent, input: 'two' });
    await flush();
    const tools = agent.call(first.runId).request.tools as Map<string, AgentTool>;
    const search: AgentTool = { name: 'search', description: 'finds things', execute: async () => [] };
    expect(() => tools.set('search', search)).toThrow(TypeError);
    expect(agent.call(second.runId).request.tools.size).toBe(0);
    agent.call(first.runId).finish('done');
    agent.call(second.runId).finish('done');
  });

  it('reports a failed tool with success false and its real result', async () => {
    const { runId, reporter, call, outcome } = await started();
    const tool = reporter.toolStarted('search', { q: 'x' });
    h.clock.advance(30);
    tool.complete({ error: 'upstream 503' }, false);
    tool.complete({ error: 'again' }, true); // a second complete is ignored
    call.finish('could not search');
    await outcome;
    expect(h.sink.ofType(runId, EventType.TOOL_CALL_RESULT).map((event) => event.payload)).toEqual([
      expect.objectContaining({ content: '{"error":"upstream 503"}', metadata: { agentwire: { tool_name: 'search', duration_ms: 30, success: false } } }),
    ]);
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, ...TOOL_STARTED, EventType.TOOL_CALL_RESULT, EventType.RUN_FINISHED]);
  });

  it('ends as failed with RUN_ERROR agent_failed when the agent throws, and aborts the signal', async () => {
    const { runId, call, outcome } = await started();
    h.clock.advance(40);
    call.fail(new Error('model overloaded'));
    const result = await outcome;
    expect(result).toMatchObject({ state: 'failed', durationMs: 40, error: { code: 'agent_failed', message: 'The agent failed: model overloaded' } });
    expect(h.sink.run(runId).at(-1)?.payload).toEqual({
      type: 'RUN_ERROR',
      code: AgentErrorCode.AgentFailed,
      message: 'The agent failed: model overloaded',
      metadata: { agentwire: { duration_ms: 40, event_count: 2 } },
    });
    expect(call.request.signal.aborted).toBe(true);
    expect(alice.getRun(runId)?.states.map((change) => change.state)).toEqual(['pending', 'starting', 'running', 'failed']);
  });

  it('fails a run whose agent throws synchronously', async () => {
    const broken = scriptedAgent('broken', () => {
      throw new TypeError('not a function');
    });
    const { runId, outcome } = alice.startRun({ agent: broken, input: 'x' });
    expect(await outcome).toMatchObject({ state: 'failed', error: { code: 'agent_failed', message: 'The agent failed: not a function' } });
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
  });

  it('treats a finalResponse that is not a string as an agent failure', async () => {
    const { call, outcome } = await started();
    call.resolveWith({ finalResponse: 42 });
    expect(await outcome).toMatchObject({ state: 'failed', error: { code: 'agent_failed', message: 'The agent returned a finalResponse that is not a string' } });
  });

  it('completes without a result when the agent returns no finalResponse (its answer was streamed)', async () => {
    const { runId, call, outcome } = await started();
    call.resolveWith({});
    expect(await outcome).toMatchObject({ state: 'completed', finalResponse: null });
    expect(h.sink.run(runId).at(-1)?.payload).not.toHaveProperty('result');
  });

  it('never completes while a tool call is still open: that is an agent failure', async () => {
    const { runId, reporter, call, outcome } = await started();
    reporter.toolStarted('search', {});
    call.finish('done');
    expect(await outcome).toMatchObject({
      state: 'failed',
      error: { code: 'agent_failed', message: 'The agent returned while tool calls were still open: search' },
    });
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, ...TOOL_STARTED, EventType.RUN_ERROR]);
  });

  it('ends as timed_out at timeoutMs even while the agent keeps heartbeating', async () => {
    const { runId, reporter, call, outcome } = await started();
    for (let elapsed = 0; elapsed < 29_000; elapsed += 1_000) {
      h.clock.advance(1_000);
      reporter.heartbeat();
      expect(h.registry.sweep()).toEqual({ popped: 0, timedOut: 0, dead: 0, interruptsExpired: 0, evicted: 0 });
    }
    h.clock.advance(999);
    expect(h.registry.sweep().popped).toBe(0);
    h.clock.advance(1);
    expect(h.registry.sweep()).toEqual({ popped: 1, timedOut: 1, dead: 0, interruptsExpired: 0, evicted: 0 });
    expect(await outcome).toMatchObject({ state: 'timed_out', durationMs: 30_000, error: { code: 'timed_out' } });
    expect(h.sink.run(runId).at(-1)?.payload).toMatchObject({ type: 'RUN_ERROR', code: 'timed_out', message: 'The run exceeded its 30000 ms timeout' });
    expect(call.request.signal.reason).toBeInstanceOf(RunAbortedError);
    expect(call.request.signal.reason).toMatchObject({ code: 'RUN_ABORTED', state: 'timed_out' });
  });

  it('takes a per-run timeoutMs over the registry default', async () => {
    const { runId, outcome } = await started(2_000);
    h.clock.advance(1_999);
    expect(h.registry.sweep().timedOut).toBe(0);
    h.clock.advance(1);
    expect(h.registry.sweep().timedOut).toBe(1);
    expect((await outcome).state).toBe('timed_out');
    expect(alice.getRun(runId)?.timeoutMs).toBe(2_000);
  });

  it('ends as dead when an agent that declared a hang rule reports nothing for that long; reports and view heartbeats move that deadline', async () => {
    const { runId, reporter, outcome } = await started(undefined, hangRuled);
    h.clock.advance(9_000);
    reporter.thinking('still here'); // dead at 19 000 now
    h.clock.advance(9_000);
    expect(alice.heartbeat(runId)).toBe(true); // dead at 28 000 now
    h.clock.advance(9_999);
    expect(h.registry.sweep().popped).toBe(0);
    h.clock.advance(1);
    expect(h.registry.sweep()).toEqual({ popped: 1, timedOut: 0, dead: 1, interruptsExpired: 0, evicted: 0 });
    expect(await outcome).toMatchObject({ state: 'dead', durationMs: 28_000 });
    expect(h.sink.run(runId).at(-1)?.payload).toMatchObject({ type: 'RUN_ERROR', code: 'dead', message: 'No report from the agent for 10000 ms (its hang rule)' });
    expect(alice.getRun(runId)?.hangAfterMs).toBe(10_000);
    expect(alice.getRun(runId)).toMatchObject({ heartbeatCount: 2, lastHeartbeatAt: T0 + 18_000 });
  });

  it("does not count the tracker's own state changes as heartbeats", async () => {
    let release: () => void = () => undefined;
    h.sink.gate = (event) => (event.type === EventType.RUN_STARTED ? new Promise((resolve) => (release = resolve)) : Promise.resolve());
    const { runId, outcome } = alice.startRun({ agent: hangRuled, input: 'slow start' });
    await flush(); // RUN_STARTED is now held in the sink
    h.clock.advance(5_000);
    release(); // RUN_STARTED is out: starting → running, the agent is invoked
    await flush();
    expect(alice.getRun(runId)?.state).toBe('running');
    h.clock.advance(5_000);
    expect(h.registry.sweep().dead).toBe(1);
    expect((await outcome).state).toBe('dead');
    expect(alice.getRun(runId)?.heartbeatCount).toBe(0);
  });

  it('ends a run that dies while RUN_STARTED is still in flight, and never invokes its agent', async () => {
    h.sink.gate = (event) => (event.type === EventType.RUN_STARTED ? new Promise((resolve) => setTimeout(resolve, 5)) : Promise.resolve());
    const { runId, outcome } = alice.startRun({ agent: hangRuled, input: 'x' });
    h.clock.advance(10_000);
    expect(h.registry.sweep().dead).toBe(1);
    expect((await outcome).state).toBe('dead');
    await flush();
    expect(hangRuled.calls).toHaveLength(0);
    expect(alice.getRun(runId)?.states.map((change) => change.state)).toEqual(['pending', 'starting', 'dead']);
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
  });

  it('lets no answer or report beat a deadline that passed before the sweep ran', async () => {
    const late = await started(undefined, hangRuled);
    h.clock.advance(10_000);
    late.call.finish('too late');
    expect((await late.outcome).state).toBe('dead');

    const reporting = await started(undefined, hangRuled);
    h.clock.advance(10_000);
    const tooLate = reporting.reporter.thinking('too late as well');
    expect((await reporting.outcome).state).toBe('dead');
    expect(await rejectionOf(tooLate)).toBeInstanceOf(RunEndedError);
    expect(h.sink.types(reporting.runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
    expect(h.registry.sweep().popped).toBe(0);
  });

  it('cancels: RUN_FINISHED with outcome cancelled and the reason, the signal aborts, true once; false afterwards', async () => {
    const { runId, call, outcome } = await started();
    h.clock.advance(70);
    await expect(alice.cancel(runId, 'user pressed stop')).resolves.toBe(true);
    expect(call.request.signal.aborted).toBe(true);
    expect(call.request.signal.reason).toMatchObject({ state: 'cancelled', message: 'The run was cancelled: user pressed stop' });
    expect(h.sink.run(runId).at(-1)?.payload).toEqual({
      type: 'RUN_FINISHED',
      threadId: 'thread-main',
      runId,
      outcome: { type: 'cancelled' },
      metadata: { agentwire: { code: 'cancelled', reason: 'user pressed stop', duration_ms: 70, event_count: 2 } },
    });
    expect(await outcome).toMatchObject({ state: 'cancelled', durationMs: 70, cancelReason: 'user pressed stop' });
    await expect(alice.cancel(runId)).resolves.toBe(false);
    expect(alice.heartbeat(runId)).toBe(false);
  });

  describe('the signal, made when the agent reads it (aborting one costs even with no listener)', () => {
    it('held from the start: aborts when the run ends, its listener runs once with the reason, before the outcome resolves', async () => {
      const { runId, call, outcome } = await started();
      const { signal } = call.request;
      const heard: unknown[] = [];
      signal.addEventListener('abort', () => heard.push(signal.reason));
      let abortedWhenSettled: boolean | null = null;
      void outcome.then(() => (abortedWhenSettled = signal.aborted));
      expect(signal.aborted).toBe(false);
      await alice.cancel(runId, 'stop');
      expect(heard).toEqual([expect.objectContaining({ code: 'RUN_ABORTED', state: 'cancelled', message: 'The run was cancelled: stop' })]);
      expect(abortedWhenSettled).toBe(true);
      expect(call.request.signal).toBe(signal);
    });

    it('first read after the run ended: already aborted, with the reason of the ending, the same signal on every read', async () => {
      const { call, outcome } = await started(1_000);
      h.clock.advance(1_000);
      h.registry.sweep();
      expect((await outcome).state).toBe('timed_out');
      const { signal } = call.request;
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(RunAbortedError);
      expect(signal.reason).toMatchObject({ state: 'timed_out', message: 'The run exceeded its 1000 ms timeout' });
      expect(() => signal.throwIfAborted()).toThrow(RunAbortedError);
      expect(call.request.signal).toBe(signal);
    });

    it('is a getter of the request class, not an accessor of each request (one per object gives every request a hidden class that young collections keep, with its whole run)', async () => {
      const { call } = await started();
      const { request } = call;
      expect(Object.getOwnPropertyDescriptor(request, 'signal')).toBeUndefined();
      expect(Object.keys(request).sort()).toEqual(['input', 'reporter', 'runId', 'threadId', 'tools', 'userId']);
      expect(request.signal).toBeInstanceOf(AbortSignal);
      call.finish('done');
    });

    it('never read: no AbortController is made for the run, whether it times out, is cancelled or fails; one read makes one', async () => {
      const made: AbortController[] = [];
      const Original = globalThis.AbortController;
      globalThis.AbortController = class CountedAbortController extends Original {
        constructor() {
          super();
          made.push(this);
        }
      };
      try {
        const timedOut = await started(1_000);
        const cancelled = await started();
        const failed = await started();
        h.clock.advance(1_000);
        h.registry.sweep();
        await alice.cancel(cancelled.runId, 'stop');
        failed.call.fail(new Error('boom'));
        expect([(await timedOut.outcome).state, (await cancelled.outcome).state, (await failed.outcome).state]).toEqual(['timed_out', 'cancelled', 'failed']);
        expect(made).toHaveLength(0);
        expect(failed.call.request.signal.aborted).toBe(true);
        expect(made).toHaveLength(1);
      } finally {
        globalThis.AbortController = Original;
      }
    });

    it('a completed run never aborts it, read before or after the ending', async () => {
      const early = await started();
      const held = early.call.request.signal;
      early.call.finish('done');
      expect((await early.outcome).state).toBe('completed');
      expect(held.aborted).toBe(false);
      const late = await started();
      late.call.finish('done');
      await late.outcome;
      expect(late.call.request.signal.aborted).toBe(false);
    });
  });

  it('cancels without a reason', async () => {
    const { runId } = await started();
    await alice.cancel(runId);
    expect(h.sink.run(runId).at(-1)?.payload).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'cancelled' }, metadata: { agentwire: { code: 'cancelled' } } });
    expect(h.sink.run(runId).at(-1)?.payload['metadata']).not.toHaveProperty('agentwire.reason');
  });

  it('cancels before RUN_STARTED is out: the agent never runs', async () => {
    const { runId } = alice.startRun({ agent, input: 'x' });
    await expect(alice.cancel(runId)).resolves.toBe(true);
    await flush();
    expect(agent.calls).toHaveLength(0);
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
  });

  it('returns false from cancel of a run whose deadline passed, and ends it by that deadline', async () => {
    const { runId, outcome } = await started(undefined, hangRuled);
    h.clock.advance(10_000);
    await expect(alice.cancel(runId)).resolves.toBe(false);
    expect((await outcome).state).toBe('dead');
  });

  it('emits nothing after the terminal event: later reports are refused with RunEndedError, and a late answer changes nothing', async () => {
    const { runId, reporter, call, outcome } = await started();
    const tool = reporter.toolStarted('search', {});
    await alice.cancel(runId);
    const late: Promise<unknown>[] = [];
    expect(() => {
      late.push(reporter.thinking('after the end'));
      reporter.heartbeat();
      const another = reporter.toolStarted('another', {});
      late.push(another.ready.then(() => 'ready resolves'));
      late.push(another.complete('x', true));
      late.push(tool.complete('late result', true));
    }).not.toThrow();
    call.finish('late answer');
    await flush();
    expect((await outcome).state).toBe('cancelled');
    const settled = await Promise.allSettled(late);
    expect(settled.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as RunEndedError).code))).toEqual([
      'RUN_ENDED',
      'ready resolves',
      'RUN_ENDED',
      'RUN_ENDED',
    ]);
    expect(settled.filter((result) => result.status === 'rejected').every((result) => (result as PromiseRejectedResult).reason instanceof RunEndedError)).toBe(true);
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, ...TOOL_STARTED, EventType.RUN_FINISHED]);
    expect(alice.getRun(runId)?.heartbeatCount).toBe(1);
  });

  it('hands the sink one event of a run at a time, in order, however slow the sink is', async () => {
    const pending: (() => void)[] = [];
    h.sink.gate = () => new Promise((resolve) => pending.push(resolve));
    const { runId, outcome } = alice.startRun({ agent, input: 'x' });
    await flush();
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED]);
    pending.shift()?.();
    await flush();
    const { reporter } = agent.call(runId).request;
    reporter.thinking('one');
    reporter.thinking('two');
    reporter.toolStarted('t', {}).complete(1, true);
    agent.call(runId).finish('done');
    const total = 1 + 2 + TOOL_STARTED.length + 2; // RUN_STARTED, two thoughts, the tool call, its result, RUN_FINISHED
    for (let step = 0; step < total - 1; step += 1) {
      await flush();
      expect(h.sink.run(runId)).toHaveLength(2 + step);
      pending.shift()?.();
    }
    await outcome;
    expect(h.sink.types(runId)).toEqual([
      EventType.RUN_STARTED,
      EventType.REASONING_MESSAGE_CHUNK,
      EventType.REASONING_MESSAGE_CHUNK,
      ...TOOL_STARTED,
      EventType.TOOL_CALL_RESULT,
      EventType.RUN_FINISHED,
    ]);
    expect(h.sink.text(runId, EventType.REASONING_MESSAGE_CHUNK)).toBe('onetwo');
    expect(h.sink.maxInFlightPerRun).toBe(1);
  });

  it('keeps the state machine right when the sink rejects, and logs once per run plus the lost terminal event', async () => {
    h.sink.fail = () => new Error('manager is shutting down');
    const { runId, reporter, call, outcome } = await started();
    reporter.thinking('a');
    reporter.thinking('b');
    call.finish('done');
    expect((await outcome).state).toBe('completed');
    expect(alice.getRun(runId)).toMatchObject({ state: 'completed', eventCount: 4, emitFailures: 4 });
    expect(h.logger.lines.map((line) => [line.level, line.context['type'], line.context['failures']])).toEqual([
      ['warn', 'RUN_STARTED', 1],
      ['warn', 'RUN_FINISHED', 4],
    ]);
    expect(h.logger.lines[0]?.context).toMatchObject({ runId, userId: 'alice', error: 'manager is shutting down' });
    h.sink.fail = null;
  });

  it('keeps the state machine right when the sink throws rather than rejects (a sink that is not an async function)', async () => {
    const tried: string[] = [];
    const throwing = createHarness({
      sink: {
        emitAgentEvent: (_userId, event) => {
          tried.push(event.type);
          throw new Error('manager is closed');
        },
      },
    });
    const bob = throwing.trackerFor('bob');
    const run = bob.startRun({ agent, input: 'x' });
    await flush();
    const call = agent.call(run.runId);
    void call.request.reporter.thinking('a');
    call.finish('done');
    expect((await run.outcome).state).toBe('completed');
    expect(tried).toEqual([EventType.RUN_STARTED, EventType.REASONING_MESSAGE_CHUNK, EventType.RUN_FINISHED]);
    expect(bob.getRun(run.runId)).toMatchObject({ state: 'completed', eventCount: 3, emitFailures: 3 });
    expect(throwing.logger.lines.map((line) => [line.level, line.context['type'], line.context['failures']])).toEqual([
      ['warn', 'RUN_STARTED', 1],
      ['warn', 'RUN_FINISHED', 3],
    ]);
    await throwing.close();
  });

  it.each([EventType.RUN_STARTED, EventType.RUN_FINISHED])(
    'settles a run whose failed %s the logger could not report (its throw is logged as an internal error)',
    async (lost) => {
      const lines: string[] = [];
      const failing = createHarness({
        logger: {
          warn: () => {
            throw new Error('log sink is full');
          },
          error: (context, message) => void lines.push(`${message}: ${String(context['error'])}`),
        },
      });
      failing.sink.fail = (event) => (event.type === lost ? new Error('manager is shutting down') : null);
      const bob = failing.trackerFor('bob');
      const run = bob.startRun({ agent, input: 'x' });
      await flush();
      agent.call(run.runId).finish('done');
      expect((await run.outcome).state).toBe('completed');
      expect(bob.getRun(run.runId)).toMatchObject({ state: 'completed', emitFailures: 1 });
      expect(failing.sink.types(run.runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
      expect(lines).toEqual(['Internal error of the execution tracker: log sink is full']);
      await failing.close();
    },
  );

  it('keeps the latest phases when the history is full', async () => {
    const small = createHarness({ maxPhaseHistory: 2 });
    const smallAgent = new ControlledAgent();
    const { runId } = small.trackerFor('bob').startRun({ agent: smallAgent, input: 'x' });
    await flush();
    const { reporter } = smallAgent.call(runId).request;
    reporter.thinking('1');
    reporter.thinking('1 again'); // same phase: not a change
    reporter.toolStarted('t', {}).complete(null, true);
    small.clock.advance(5);
    reporter.thinking('2');
    const run = small.trackerFor('bob').getRun(runId);
    expect(run?.phases).toEqual([
      { phase: 'result_processing', at: T0 },
      { phase: 'thinking', at: T0 + 5 },
    ]);
    expect(run?.phasesDropped).toBe(2);
    await small.close();
  });

  it('never throws into the agent, even for reports it cannot render', async () => {
    const { runId, reporter, call, outcome } = await started();
    const hostile = { toString: () => { throw new Error('no string for you'); } } as unknown as string;
    let tool: ReturnType<typeof reporter.toolStarted> | undefined;
    expect(() => reporter.thinking(hostile)).not.toThrow();
    expect(() => (tool = reporter.toolStarted(hostile, {}))).not.toThrow();
    expect(() => tool?.complete('x', true)).not.toThrow();
    call.finish('fine');
    expect((await outcome).state).toBe('completed');
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
    expect(h.logger.lines).toHaveLength(2);
    expect(h.logger.lines[0]).toEqual({
      level: 'error',
      message: 'Internal error of the execution tracker',
      context: { runId, userId: 'alice', error: 'no string for you' },
    });
    h.logger.lines.length = 0; // expected errors, checked above
  });

  it('logs a failing run store and still ends every run exactly once', async () => {
    let broken = false;
    const memory = new InMemoryRunStore();
    const store = storeOver(memory, {
      update: () => {
        if (broken) throw new Error('store unavailable');
      },
      delete: (runId) => {
        if (broken) throw new Error('store unavailable');
        memory.delete(runId);
      },
    });
    const fragile = createHarness({ store, maxRetainedRuns: 0 });
    const fragileAgent = new ControlledAgent();
    const { runId, outcome } = fragile.trackerFor('carol').startRun({ agent: fragileAgent, input: 'x' });
    await flush();
    broken = true;
    fragileAgent.call(runId).request.reporter.thinking('hello');
    fragileAgent.call(runId).finish('ok');
    expect((await outcome).state).toBe('completed');
    expect(fragile.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.REASONING_MESSAGE_CHUNK, EventType.RUN_FINISHED]);
    expect(new Set(fragile.logger.lines.map((line) => `${line.level}: ${line.message}`))).toEqual(new Set(['error: The run store failed']));
    expect(fragile.logger.lines[0]?.context).toEqual({ runId, error: 'store unavailable' });
    fragile.logger.lines.length = 0; // expected errors, checked above
    broken = false;
    await fragile.close();
  });

  it("tells the store once each run settled, with its final record, and reads it back unchanged once packed", async () => {
    const memory = new InMemoryRunStore();
    const told: { runId: string; state: string; record: unknown }[] = [];
    const store = storeOver(memory, {
      settled: (record) => {
        // a deep copy of the record as the tracker leaves it, before the store packs it
        told.push({ runId: record.runId, state: record.state, record: structuredClone(record) });
        memory.settled(record);
      },
    });
    const tracked = createHarness({ store });
    const agent = new ControlledAgent();
    const alice = tracked.trackerFor('alice');
    const completed = alice.startRun({ agent, input: 'x' });
    const cancelled = alice.startRun({ agent, input: 'y' });
    await flush();
    agent.call(completed.runId).request.reporter.thinking('working on it');
    agent.call(completed.runId).finish('done');
    await completed.outcome;
    await alice.cancel(cancelled.runId, 'changed my mind');
    expect(told.map(({ runId, state }) => ({ runId, state }))).toEqual([
      { runId: completed.runId, state: 'completed' },
      { runId: cancelled.runId, state: 'cancelled' },
    ]);
    expect(memory.packedRecords).toBe(2);
    for (const { runId, record } of told) expect(alice.getRun(runId)).toEqual(record);
    expect(alice.getUserExecutions().map((run) => run.runId)).toEqual([completed.runId, cancelled.runId]);
    expect(alice.getRun(completed.runId)).toMatchObject({ phase: 'thinking', finalResponse: 'done', states: [{ state: 'pending' }, { state: 'starting' }, { state: 'running' }, { state: 'completing' }, { state: 'completed' }] });
    await tracked.close();
  });
});
