import { type AgentRunReporter, EventType } from '@agentwirejs/protocols';
import { ControlledAgent, type Harness, SINK_KINDS, flush, harnessWith, scriptedAgent } from './harness.test-helpers';

/**
 * A run's events wait in a bounded queue for the sink (the manager, which over Redis costs a
 * round trip per event). An agent that awaits its reporter calls is paced by that queue; one
 * that does not cannot grow it without bound.
 */
describe.each(SINK_KINDS)('agents paced by a sink that takes events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  let h: Harness;
  afterEach(() => h.close());

  /** A sink that takes one event per turn of the event loop: far slower than an agent that only reports. */
  function slowSink(harness: Harness): void {
    harness.sink.gate = () => new Promise((resolve) => setImmediate(resolve));
  }

  it('makes an agent that awaits its reports wait for a slow sink: the queue stays bounded and every event goes out in order', async () => {
    h = createHarness({ eventHighWater: 16, maxQueuedEvents: 64 });
    slowSink(h);
    const STEPS = 2_000;
    let reported = 0;
    let mostAhead = 0;
    let runId = '';
    /** Events the agent reported that the sink has not been handed yet (RUN_STARTED is not the agent's). */
    const measure = (): void => {
      mostAhead = Math.max(mostAhead, reported - (h.sink.run(runId).length - 1));
    };
    const agent = scriptedAgent('eager', async ({ reporter }) => {
      for (let step = 1; step <= STEPS; step += 1) {
        if (step % 10 === 0) {
          const call = reporter.toolStarted('lookup', { step });
          reported += 3; // TOOL_CALL_START, TOOL_CALL_ARGS, TOOL_CALL_END
          await call.ready;
          measure();
          const completed = call.complete(step, true);
          reported += 1; // TOOL_CALL_RESULT
          await completed;
        } else {
          const thought = reporter.thinking(`step ${step}`);
          reported += 1; // one REASONING_MESSAGE_CHUNK
          await thought;
        }
        measure();
      }
      return { finalResponse: 'done' };
    });
    const run = h.trackerFor('alice').startRun({ agent, input: 'x' });
    runId = run.runId;
    expect(await run.outcome).toMatchObject({ state: 'completed' });
    expect(mostAhead).toBeGreaterThan(1); // the agent did run ahead of the sink…
    expect(mostAhead).toBeLessThanOrEqual(16); // …but never past the high-water mark
    const events = h.sink.run(runId);
    expect(events).toHaveLength(1 + reported + 1);
    expect(h.sink.ofType(runId, EventType.REASONING_MESSAGE_CHUNK).map((event) => event.payload['delta'])).toEqual(
      Array.from({ length: STEPS }, (_, i) => i + 1)
        .filter((step) => step % 10 !== 0)
        .map((step) => `step ${step}`),
    );
    expect(h.sink.ofType(runId, EventType.TOOL_CALL_RESULT).map((event) => event.payload['content'])).toEqual(
      Array.from({ length: STEPS / 10 }, (_, i) => String(10 * (i + 1))),
    );
  }, 30_000);

  it('resolves reporter calls at once below the high-water mark and holds them at it until half has gone out', async () => {
    h = createHarness({ eventHighWater: 4, maxQueuedEvents: 100 });
    const held: (() => void)[] = [];
    h.sink.gate = () => new Promise<void>((resolve) => held.push(resolve));
    const agent = new ControlledAgent();
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    held.shift()?.(); // RUN_STARTED is out: the agent runs
    await flush();
    const { reporter } = agent.call(runId).request;
    const settled: boolean[] = [];
    const calls = [0, 1, 2, 3, 4].map((i) => reporter.thinking(`t${i}`).then(() => (settled[i] = true)));
    await flush();
    // t0 is at the sink; t1..t4 wait: with the fourth waiting event the queue reached the mark.
    expect(settled).toEqual([true, true, true, true]);
    expect(h.sink.run(runId)).toHaveLength(2);
    held.shift()?.(); // t0 out, t1 at the sink: three wait, more than half the mark
    await flush();
    expect(settled[4]).toBeUndefined();
    held.shift()?.(); // t1 out, t2 at the sink: two wait, half the mark: t4's call goes on
    await flush();
    expect(settled).toEqual([true, true, true, true, true]);
    h.sink.gate = null;
    for (const resume of held.splice(0)) resume();
    await Promise.all(calls);
    agent.call(runId).finish('ok');
    expect((await outcome).state).toBe('completed');
  });

  it('paces thinking exactly like any one-event call: one queue slot and one stream position per report', async () => {
    /** Seven calls made at once against a held sink (eventHighWater 4): how many have settled as each event is let out. */
    async function pacingOf(report: (reporter: AgentRunReporter, i: number) => Promise<void>): Promise<{ settled: number[]; events: number }> {
      h = createHarness({ eventHighWater: 4, maxQueuedEvents: 100 });
      const held: (() => void)[] = [];
      h.sink.gate = () => new Promise<void>((resolve) => held.push(resolve));
      const agent = new ControlledAgent();
      const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
      await flush();
      held.shift()?.(); // RUN_STARTED is out: the agent runs
      await flush();
      const { reporter } = agent.call(runId).request;
      let settledCalls = 0;
      const calls = Array.from({ length: 7 }, (_, i) => report(reporter, i).then(() => (settledCalls += 1)));
      const settled: number[] = [];
      for (let out = 0; out < 7; out += 1) {
        await flush();
        settled.push(settledCalls);
        held.shift()?.();
      }
      h.sink.gate = null;
      for (const resume of held.splice(0)) resume();
      await Promise.all(calls);
      agent.call(runId).finish('ok');
      expect((await outcome).state).toBe('completed');
      return { settled, events: h.sink.run(runId).length - 2 };
    }
    const oneEventCalls = await pacingOf((reporter, i) => reporter.custom('progress', i));
    await h.close();
    const thoughts = await pacingOf((reporter, i) => reporter.thinking(`t${i}`));
    expect(thoughts).toEqual(oneEventCalls);
    // t0 at the sink, t1..t3 below the mark go on at once; t4..t6 once four are out and two wait (half the mark)
    expect(thoughts).toEqual({ settled: [4, 4, 4, 4, 7, 7, 7], events: 7 });
    expect(h.sink.types(h.sink.runIds()[0] ?? '').slice(1, -1)).toEqual(Array<string>(7).fill(EventType.REASONING_MESSAGE_CHUNK));
  });

  it('ends an agent that never awaits and keeps reporting past maxQueuedEvents, once, with RUN_ERROR agent_failed; memory stays bounded', async () => {
    h = createHarness({ eventHighWater: 8, maxQueuedEvents: 32 });
    slowSink(h);
    let calls = 0;
    let abortedAt: number | null = null;
    const agent = scriptedAgent('firehose', async ({ reporter, signal }) => {
      for (let i = 0; i < 100_000; i += 1) {
        void reporter.thinking(`flood ${i}`); // never awaited
        calls += 1;
        if (signal.aborted) abortedAt ??= calls;
      }
      return { finalResponse: 'flooded' };
    });
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    expect(await outcome).toMatchObject({
      state: 'failed',
      error: { code: 'agent_failed', message: 'The agent kept reporting without awaiting its reporter calls while 32 of its events were waiting to be sent' },
    });
    expect(calls).toBe(100_000);
    expect(abortedAt).toBe(34); // one at the sink, 32 queued: the 34th ended the run, the rest were refused
    const events = h.sink.run(runId);
    expect(events.map((event) => event.type)).toEqual([EventType.RUN_STARTED, ...Array<string>(33).fill(EventType.REASONING_MESSAGE_CHUNK), EventType.RUN_ERROR]);
  });

  it('hands a sink that sequences in call order up to maxEventsInFlight events of a run at once, still in order', async () => {
    h = createHarness({ maxEventsInFlight: 8, eventHighWater: 16 });
    slowSink(h);
    const agent = scriptedAgent('eager', async ({ reporter }) => {
      for (let i = 0; i < 500; i += 1) await reporter.thinking(`step ${i}`);
      return { finalResponse: 'done' };
    });
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    expect((await outcome).state).toBe('completed');
    expect(h.sink.maxInFlightPerRun).toBe(8);
    const events = h.sink.run(runId);
    expect(h.sink.ofType(runId, EventType.REASONING_MESSAGE_CHUNK).map((event) => event.payload['delta'])).toEqual(Array.from({ length: 500 }, (_, i) => `step ${i}`));
    expect(events.at(-1)?.type).toBe(EventType.RUN_FINISHED);
  });

  it('lets a reporter call waiting for room go on when the run ends, to find its signal aborted', async () => {
    h = createHarness({ eventHighWater: 2, maxQueuedEvents: 10 });
    const held: (() => void)[] = [];
    h.sink.gate = (event) => (event.type === EventType.REASONING_MESSAGE_CHUNK ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve());
    let progress: 'waiting' | 'went on' = 'waiting';
    let abortedWhenWoken: boolean | null = null;
    const agent = scriptedAgent('patient', async ({ reporter, signal }) => {
      await reporter.thinking('one'); // at the sink, held
      await reporter.thinking('two');
      await reporter.thinking('three'); // two wait: the mark
      progress = 'went on';
      abortedWhenWoken = signal.aborted;
      signal.throwIfAborted();
      return { finalResponse: 'never' };
    });
    const tracker = h.trackerFor('alice');
    const { runId, outcome } = tracker.startRun({ agent, input: 'x' });
    for (let i = 0; i < 5; i += 1) await flush();
    expect(progress).toBe('waiting');
    const cancelling = tracker.cancel(runId, 'enough');
    await flush();
    expect(progress).toBe('went on');
    expect(abortedWhenWoken).toBe(true);
    h.sink.gate = null;
    for (const resume of held.splice(0)) resume();
    await expect(cancelling).resolves.toBe(true);
    expect((await outcome).state).toBe('cancelled');
    expect(h.sink.types(runId)).toEqual([
      EventType.RUN_STARTED,
      EventType.REASONING_MESSAGE_CHUNK,
      EventType.REASONING_MESSAGE_CHUNK,
      EventType.REASONING_MESSAGE_CHUNK,
      EventType.RUN_FINISHED,
    ]);
  });
});
