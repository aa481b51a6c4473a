import { EventType } from '@agentwirejs/protocols';
import { InvalidTrackerOptionError } from './errors';
import { ControlledAgent, type Harness, createHarness, flush } from './harness.test-helpers';

/** Lets the clock pass in steps, sweeping after each, as the production timer would. */
function wait(h: Harness, ms: number, step = 250): { dead: number; timedOut: number } {
  const ended = { dead: 0, timedOut: 0 };
  for (let passed = 0; passed < ms; passed += step) {
    h.clock.advance(Math.min(step, ms - passed));
    const report = h.registry.sweep();
    ended.dead += report.dead;
    ended.timedOut += report.timedOut;
  }
  return ended;
}

describe('dead means the agent broke its own hang rule', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('lets an agent that awaits a 25 s call, reporting nothing, complete with the default options', async () => {
    h = createHarness();
    const agent = new ControlledAgent('llm-agent');
    const alice = h.trackerFor('alice');
    const { runId, outcome } = alice.startRun({ agent, input: 'a slow question' });
    await flush();
    expect(wait(h, 25_000)).toEqual({ dead: 0, timedOut: 0 });
    expect(alice.getRun(runId)).toMatchObject({ state: 'running', hangAfterMs: null, heartbeatCount: 0 });
    agent.call(runId).finish('a slow answer');
    expect(await outcome).toMatchObject({ state: 'completed', durationMs: 25_000, finalResponse: 'a slow answer' });
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
  });

  it('still ends a waiting agent at its run timeout', async () => {
    h = createHarness();
    const agent = new ControlledAgent('llm-agent');
    const { outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    expect(wait(h, 30_000)).toEqual({ dead: 0, timedOut: 1 });
    expect(await outcome).toMatchObject({ state: 'timed_out', durationMs: 30_000 });
  });

  it('ends an agent that declared a hang rule as dead, once, after that long without a report', async () => {
    h = createHarness();
    const agent = new ControlledAgent('watchful-agent', 5_000);
    const alice = h.trackerFor('alice');
    const { runId, outcome } = alice.startRun({ agent, input: 'x' });
    await flush();
    const { reporter, signal } = agent.call(runId).request;
    expect(wait(h, 4_000)).toEqual({ dead: 0, timedOut: 0 });
    await reporter.thinking('still working'); // the rule counts from here
    expect(wait(h, 4_999)).toEqual({ dead: 0, timedOut: 0 });
    expect(wait(h, 1)).toEqual({ dead: 1, timedOut: 0 });
    expect(wait(h, 10_000)).toEqual({ dead: 0, timedOut: 0 }); // once
    agent.call(runId).finish('too late');
    expect(await outcome).toMatchObject({ state: 'dead', durationMs: 9_000, error: { code: 'dead', message: 'No report from the agent for 5000 ms (its hang rule)' } });
    expect(signal.aborted).toBe(true);
    expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.REASONING_MESSAGE_CHUNK, EventType.RUN_ERROR]);
  });

  it('takes the run request over the agent, and the agent over the registry; 0 means none', async () => {
    h = createHarness({ hangAfterMs: 1_000 });
    const alice = h.trackerFor('alice');
    const silent = new ControlledAgent('silent-agent');
    const ruled = new ControlledAgent('ruled-agent', 3_000);
    const byRegistry = alice.startRun({ agent: silent, input: 'x' });
    const byAgent = alice.startRun({ agent: ruled, input: 'x' });
    const byRequest = alice.startRun({ agent: ruled, input: 'x', hangAfterMs: 2_000 });
    const switchedOff = alice.startRun({ agent: ruled, input: 'x', hangAfterMs: 0 });
    await flush();
    expect([byRegistry, byAgent, byRequest, switchedOff].map(({ runId }) => alice.getRun(runId)?.hangAfterMs)).toEqual([1_000, 3_000, 2_000, null]);
    expect(wait(h, 5_000)).toEqual({ dead: 3, timedOut: 0 });
    expect(await byRegistry.outcome).toMatchObject({ state: 'dead', durationMs: 1_000 });
    expect(await byRequest.outcome).toMatchObject({ state: 'dead', durationMs: 2_000 });
    expect(await byAgent.outcome).toMatchObject({ state: 'dead', durationMs: 3_000 });
    expect(alice.getRun(switchedOff.runId)?.state).toBe('running');
    ruled.call(switchedOff.runId).finish('done');
    expect((await switchedOff.outcome).state).toBe('completed');
  });

  it('refuses a hang rule that is not a whole number ≥ 0', () => {
    h = createHarness();
    const alice = h.trackerFor('alice');
    expect(() => alice.startRun({ agent: new ControlledAgent(), input: 'x', hangAfterMs: -1 })).toThrow(InvalidTrackerOptionError);
    expect(() => alice.startRun({ agent: new ControlledAgent('odd', 1.5), input: 'x' })).toThrow(/hangAfterMs: must be a whole number ≥ 0/);
    expect(h.registry.metrics().started).toBe(0);
  });
});
