import { AgentErrorCode, type AgentTool } from '@agentwire/protocols';
import { RunAbortedError } from './errors';
import { ControlledAgent, type Harness, T0, createHarness, flush, scriptedAgent } from './harness.test-helpers';
import type { RunStore } from './run-store';
import { InMemoryRunStore } from './run-store';
import type { AgentExecutionTracker } from './tracker';

describe('a run, from start to its one ending', () => {
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

  /** Starts a run and lets agent_started go out, so the agent is running. */
  async function started(timeoutMs?: number, runner: ControlledAgent = agent) {
    const run = alice.startRun({ agent: runner, input: 'What is 2+2?', timeoutMs });
    await flush();
    return { ...run, call: runner.call(run.runId), reporter: runner.call(run.runId).request.reporter };
  }

  it('emits agent_started, what the agent reports, then agent_completed with the duration and event count', async () => {
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

    expect(await outcome).toEqual({ runId, state: 'completed', durationMs: 500, finalResponse: '4', error: null, cancelReason: null });
    const events = h.sink.run(runId);
    expect(events.map((event) => event.type)).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'agent_completed',
    ]);
    expect(events.every((event) => event.run_id === runId && event.thread_id === threadId)).toBe(true);
    expect(threadId).toBe('thread-main');
    expect(events[0]?.payload).toEqual({ agent_name: 'controlled-agent', input: 'What is 2+2?' });
    expect(events[1]?.payload).toEqual({ reasoning: 'I should add the numbers' });
    expect(events[2]?.payload).toEqual({ tool_name: 'calculator', parameters: { expression: '2+2' } });
    expect(events[3]?.payload).toEqual({ tool_name: 'calculator', results: { value: 4 }, duration_ms: 250, success: true });
    expect(events[4]?.payload).toEqual({ status: 'completed', final_response: '4', duration_ms: 500, event_count: 5 });

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
    expect(run).toMatchObject({ heartbeatCount: 3, lastHeartbeatAt: T0 + 400, endedAt: T0 + 500, eventCount: 5, emitFailures: 0 });
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

  it('reports a failed tool with success false and its real result', async () => {
    const { runId, reporter, call, outcome } = await started();
    const tool = reporter.toolStarted('search', { q: 'x' });
    h.clock.advance(30);
    tool.complete({ error: 'upstream 503' }, false);
    tool.complete({ error: 'again' }, true); // a second complete is ignored
    call.finish('could not search');
    await outcome;
    expect(h.sink.run(runId)[2]?.payload).toEqual({ tool_name: 'search', results: { error: 'upstream 503' }, duration_ms: 30, success: false });
    expect(h.sink.types(runId)).toEqual(['agent_started', 'tool_executing', 'tool_completed', 'agent_completed']);
  });

  it('ends as failed with agent_error agent_failed when the agent throws, and aborts the signal', async () => {
    const { runId, call, outcome } = await started();
    h.clock.advance(40);
    call.fail(new Error('model overloaded'));
    const result = await outcome;
    expect(result).toMatchObject({ state: 'failed', durationMs: 40, error: { code: 'agent_failed', message: 'The agent failed: model overloaded' } });
    expect(h.sink.run(runId).at(-1)).toMatchObject({ type: 'agent_error', payload: { code: AgentErrorCode.AgentFailed, message: 'The agent failed: model overloaded' } });
    expect(call.request.signal.aborted).toBe(true);
    expect(alice.getRun(runId)?.states.map((change) => change.state)).toEqual(['pending', 'starting', 'running', 'failed']);
  });

  it('fails a run whose agent throws synchronously', async () => {
    const broken = scriptedAgent('broken', () => {
      throw new TypeError('not a function');
    });
    const { runId, outcome } = alice.startRun({ agent: broken, input: 'x' });
    expect(await outcome).toMatchObject({ state: 'failed', error: { code: 'agent_failed', message: 'The agent failed: not a function' } });
    expect(h.sink.types(runId)).toEqual(['agent_started', 'agent_error']);
  });

  it('treats an answer without a finalResponse string as an agent failure', async () => {
    const { call, outcome } = await started();
    call.resolveWith({ answer: 42 });
    expect(await outcome).toMatchObject({ state: 'failed', error: { code: 'agent_failed', message: 'The agent returned no finalResponse string' } });
  });

  it('never completes while a tool call is still open: that is an agent failure', async () => {
    const { runId, reporter, call, outcome } = await started();
    reporter.toolStarted('search', {});
    call.finish('done');
    expect(await outcome).toMatchObject({
      state: 'failed',
      error: { code: 'agent_failed', message: 'The agent returned while tool calls were still open: search' },
    });
    expect(h.sink.types(runId)).toEqual(['agent_started', 'tool_executing', 'agent_error']);
  });

  it('ends as timed_out at timeoutMs even while the agent keeps heartbeating', async () => {
    const { runId, reporter, call, outcome } = await started();
    for (let elapsed = 0; elapsed < 29_000; elapsed += 1_000) {
      h.clock.advance(1_000);
      reporter.heartbeat();
      expect(h.registry.sweep()).toEqual({ popped: 0, timedOut: 0, dead: 0, evicted: 0 });
    }
    h.clock.advance(999);
    expect(h.registry.sweep().popped).toBe(0);
    h.clock.advance(1);
    expect(h.registry.sweep()).toEqual({ popped: 1, timedOut: 1, dead: 0, evicted: 0 });
    expect(await outcome).toMatchObject({ state: 'timed_out', durationMs: 30_000, error: { code: 'timed_out' } });
    expect(h.sink.run(runId).at(-1)?.payload).toEqual({ code: 'timed_out', message: 'The run exceeded its 30000 ms timeout' });
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
    expect(h.registry.sweep()).toEqual({ popped: 1, timedOut: 0, dead: 1, evicted: 0 });
    expect(await outcome).toMatchObject({ state: 'dead', durationMs: 28_000 });
    expect(h.sink.run(runId).at(-1)?.payload).toEqual({ code: 'dead', message: 'No report from the agent for 10000 ms (its hang rule)' });
    expect(alice.getRun(runId)?.hangAfterMs).toBe(10_000);
    expect(alice.getRun(runId)).toMatchObject({ heartbeatCount: 2, lastHeartbeatAt: T0 + 18_000 });
  });

  it("does not count the tracker's own state changes as heartbeats", async () => {
    let release: () => void = () => undefined;
    h.sink.gate = (event) => (event.type === 'agent_started' ? new Promise((resolve) => (release = resolve)) : Promise.resolve());
    const { runId, outcome } = alice.startRun({ agent: hangRuled, input: 'slow start' });
    await flush(); // agent_started is now held in the sink
    h.clock.advance(5_000);
    release(); // agent_started is out: starting → running, the agent is invoked
    await flush();
    expect(alice.getRun(runId)?.state).toBe('running');
    h.clock.advance(5_000);
    expect(h.registry.sweep().dead).toBe(1);
    expect((await outcome).state).toBe('dead');
    expect(alice.getRun(runId)?.heartbeatCount).toBe(0);
  });

  it('ends a run that dies while agent_started is still in flight, and never invokes its agent', async () => {
    h.sink.gate = (event) => (event.type === 'agent_started' ? new Promise((resolve) => setTimeout(resolve, 5)) : Promise.resolve());
    const { runId, outcome } = alice.startRun({ agent: hangRuled, input: 'x' });
    h.clock.advance(10_000);
    expect(h.registry.sweep().dead).toBe(1);
    expect((await outcome).state).toBe('dead');
    await flush();
    expect(hangRuled.calls).toHaveLength(0);
    expect(alice.getRun(runId)?.states.map((change) => change.state)).toEqual(['pending', 'starting', 'dead']);
    expect(h.sink.types(runId)).toEqual(['agent_started', 'agent_error']);
  });

  it('lets no answer or report beat a deadline that passed before the sweep ran', async () => {
    const late = await started(undefined, hangRuled);
    h.clock.advance(10_000);
    late.call.finish('too late');
    expect((await late.outcome).state).toBe('dead');

    const reporting = await started(undefined, hangRuled);
    h.clock.advance(10_000);
    reporting.reporter.thinking('too late as well');
    expect((await reporting.outcome).state).toBe('dead');
    expect(h.sink.types(reporting.runId)).toEqual(['agent_started', 'agent_error']);
    expect(h.registry.sweep().popped).toBe(0);
  });

  it('cancels: agent_cancelled with the reason, the signal aborts, true once; false afterwards', async () => {
    const { runId, call, outcome } = await started();
    h.clock.advance(70);
    await expect(alice.cancel(runId, 'user pressed stop')).resolves.toBe(true);
    expect(call.request.signal.aborted).toBe(true);
    expect(call.request.signal.reason).toMatchObject({ state: 'cancelled', message: 'The run was cancelled: user pressed stop' });
    expect(h.sink.run(runId).at(-1)).toMatchObject({ type: 'agent_cancelled', payload: { reason: 'user pressed stop' } });
    expect(await outcome).toMatchObject({ state: 'cancelled', durationMs: 70, cancelReason: 'user pressed stop' });
    await expect(alice.cancel(runId)).resolves.toBe(false);
    expect(alice.heartbeat(runId)).toBe(false);
  });

  it('cancels without a reason', async () => {
    const { runId } = await started();
    await alice.cancel(runId);
    expect(h.sink.run(runId).at(-1)).toMatchObject({ type: 'agent_cancelled', payload: {} });
  });

  it('cancels before agent_started is out: the agent never runs', async () => {
    const { runId } = alice.startRun({ agent, input: 'x' });
    await expect(alice.cancel(runId)).resolves.toBe(true);
    await flush();
    expect(agent.calls).toHaveLength(0);
    expect(h.sink.types(runId)).toEqual(['agent_started', 'agent_cancelled']);
  });

  it('returns false from cancel of a run whose deadline passed, and ends it by that deadline', async () => {
    const { runId, outcome } = await started(undefined, hangRuled);
    h.clock.advance(10_000);
    await expect(alice.cancel(runId)).resolves.toBe(false);
    expect((await outcome).state).toBe('dead');
  });

  it('emits nothing after the terminal event: later reports are silent no-ops and a late answer changes nothing', async () => {
    const { runId, reporter, call, outcome } = await started();
    const tool = reporter.toolStarted('search', {});
    await alice.cancel(runId);
    expect(() => {
      reporter.thinking('after the end');
      reporter.heartbeat();
      reporter.toolStarted('another', {}).complete('x', true);
      tool.complete('late result', true);
    }).not.toThrow();
    call.finish('late answer');
    await flush();
    expect((await outcome).state).toBe('cancelled');
    expect(h.sink.types(runId)).toEqual(['agent_started', 'tool_executing', 'agent_cancelled']);
    expect(alice.getRun(runId)?.heartbeatCount).toBe(1);
  });

  it('hands the sink one event of a run at a time, in order, however slow the sink is', async () => {
    const pending: (() => void)[] = [];
    h.sink.gate = () => new Promise((resolve) => pending.push(resolve));
    const { runId, outcome } = alice.startRun({ agent, input: 'x' });
    await flush();
    expect(h.sink.types(runId)).toEqual(['agent_started']);
    pending.shift()?.();
    await flush();
    const { reporter } = agent.call(runId).request;
    reporter.thinking('one');
    reporter.thinking('two');
    reporter.toolStarted('t', {}).complete(1, true);
    agent.call(runId).finish('done');
    for (let step = 0; step < 5; step += 1) {
      await flush();
      expect(h.sink.run(runId)).toHaveLength(2 + step);
      pending.shift()?.();
    }
    await outcome;
    expect(h.sink.types(runId)).toEqual(['agent_started', 'agent_thinking', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed']);
    expect(h.sink.run(runId).map((event) => event.payload['reasoning'])).toContain('two');
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
      ['warn', 'agent_started', 1],
      ['warn', 'agent_completed', 4],
    ]);
    expect(h.logger.lines[0]?.context).toMatchObject({ runId, userId: 'alice', error: 'manager is shutting down' });
    h.sink.fail = null;
  });

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
    expect(h.sink.types(runId)).toEqual(['agent_started', 'agent_completed']);
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
    const store: RunStore = {
      add: (record) => memory.add(record),
      get: (runId) => memory.get(runId),
      listByUser: (userId) => memory.listByUser(userId),
      get size() {
        return memory.size;
      },
      update: () => {
        if (broken) throw new Error('store unavailable');
      },
      delete: (runId) => {
        if (broken) throw new Error('store unavailable');
        memory.delete(runId);
      },
    };
    const fragile = createHarness({ store, maxRetainedRuns: 0 });
    const fragileAgent = new ControlledAgent();
    const { runId, outcome } = fragile.trackerFor('carol').startRun({ agent: fragileAgent, input: 'x' });
    await flush();
    broken = true;
    fragileAgent.call(runId).request.reporter.thinking('hello');
    fragileAgent.call(runId).finish('ok');
    expect((await outcome).state).toBe('completed');
    expect(fragile.sink.types(runId)).toEqual(['agent_started', 'agent_thinking', 'agent_completed']);
    expect(new Set(fragile.logger.lines.map((line) => `${line.level}: ${line.message}`))).toEqual(new Set(['error: The run store failed']));
    expect(fragile.logger.lines[0]?.context).toEqual({ runId, error: 'store unavailable' });
    fragile.logger.lines.length = 0; // expected errors, checked above
    broken = false;
    await fragile.close();
  });
});
