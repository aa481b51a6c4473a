import { type AgentEvent, type AgentEventSink, type AppendFailures, EventType } from '@agentwirejs/protocols';
import { usedHeapAfterFullCollections } from '@agentwirejs/types/testing';
import { BatchingSink, ControlledAgent, type Harness, RecordingSink, createHarness, flush, scriptedAgent, sleep, until } from './harness.test-helpers';

/**
 * A sink that takes a batch (AgentEventSink.emitAgentEvents, as the manager does) gets a run's
 * queued events in one call, one batch at a time: an event out at the sink then costs no promise
 * of its own. What the agent and the run's user observe is the same as with one call per event.
 */
describe('a sink that takes batches', () => {
  let h: Harness;
  let sink: BatchingSink;
  afterEach(() => h.close());

  function harness(options: Parameters<typeof createHarness>[0] = {}): void {
    sink = new BatchingSink();
    h = createHarness(options, sink);
  }

  /** A harness whose sink takes batches only (its emitAgentEvent refuses): `emitAgentEvents` answers each call. */
  function batchesOnly(options: Parameters<typeof createHarness>[0], emitAgentEvents: NonNullable<AgentEventSink['emitAgentEvents']>): void {
    h = createHarness({ ...options, sink: { emitAgentEvent: () => Promise.reject(new Error('not used: the sink takes batches')), emitAgentEvents } });
  }

  /** An agent that reports `steps` chunks, `step 0` on, awaiting each. */
  function eagerAgent(steps: number): ReturnType<typeof scriptedAgent> {
    return scriptedAgent('eager', async ({ reporter }) => {
      for (let i = 0; i < steps; i += 1) await reporter.thinking(`step ${i}`);
      return { finalResponse: 'done' };
    });
  }

  /** Alice's run of an eagerAgent(steps) went out whole: RUN_STARTED, every chunk in order, RUN_FINISHED last, none failed. */
  function expectEveryStepInOrder(runId: string, steps: number): void {
    expect(sink.batchSizes.reduce((sum, size) => sum + size, 0)).toBe(steps + 2);
    expect(sink.ofType(runId, EventType.REASONING_MESSAGE_CHUNK).map((event) => event.payload['delta'])).toEqual(Array.from({ length: steps }, (_, i) => `step ${i}`));
    expect(sink.run(runId).at(-1)?.type).toBe(EventType.RUN_FINISHED);
    expect(h.trackerFor('alice').getRun(runId)).toMatchObject({ eventCount: steps + 2, emitFailures: 0 });
  }

  it('gets what a run queued while its last batch was out in one call, one batch at a time, at most maxEventsInFlight events each, in order', async () => {
    harness({ maxEventsInFlight: 8, eventHighWater: 16 });
    sink.gate = () => new Promise((resolve) => setImmediate(resolve)); // far slower than the agent
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent: eagerAgent(500), input: 'x' });
    expect((await outcome).state).toBe('completed');
    expect(sink.maxBatchesInFlightPerRun).toBe(1);
    expect(Math.max(...sink.batchSizes)).toBe(8);
    expect(sink.batchSizes.length).toBeLessThan(100);
    expectEveryStepInOrder(runId, 500);
  });

  it('invokes the agent only once the batch holding RUN_STARTED is out', async () => {
    harness({ maxEventsInFlight: 8 });
    const held: (() => void)[] = [];
    sink.gate = (event) => (event.type === EventType.RUN_STARTED ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve());
    const agent = new ControlledAgent();
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    for (let i = 0; i < 5; i += 1) await flush();
    expect(sink.types(runId)).toEqual([EventType.RUN_STARTED]);
    expect(agent.calls).toHaveLength(0);
    for (const release of held.splice(0)) release();
    await flush();
    const call = agent.call(runId);
    void call.request.reporter.thinking('a');
    call.finish('done');
    expect((await outcome).state).toBe('completed');
    expect(sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.REASONING_MESSAGE_CHUNK, EventType.RUN_FINISHED]);
  });

  it('counts only the events a batch refused as failed emits, and logs the first', async () => {
    harness({ maxEventsInFlight: 8, eventHighWater: 16 });
    sink.gate = () => new Promise((resolve) => setImmediate(resolve));
    sink.fail = (event) => (event.type === EventType.REASONING_MESSAGE_CHUNK && ['step 3', 'step 4'].includes(String((event.payload as Readonly<Record<string, unknown>>)['delta'])) ? new Error('too large') : null);
    const agent = scriptedAgent('eager', async ({ reporter }) => {
      for (let i = 0; i < 20; i += 1) await reporter.thinking(`step ${i}`);
      return { finalResponse: 'done' };
    });
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    expect((await outcome).state).toBe('completed');
    expect(sink.batchSizes.some((size) => size > 1)).toBe(true);
    expect(h.trackerFor('alice').getRun(runId)).toMatchObject({ state: 'completed', eventCount: 22, emitFailures: 2 });
    expect(h.logger.lines.map((line) => [line.level, line.context['type'], line.context['failures'], line.context['error']])).toEqual([
      ['warn', EventType.REASONING_MESSAGE_CHUNK, 1, 'too large'],
    ]);
    sink.fail = null;
  });

  it('counts every event of a refused call as a failed emit, the lost terminal event logged, and the run still settles', async () => {
    harness({ maxEventsInFlight: 8 });
    sink.refuse = (events) => (events.some((event) => event.type === EventType.RUN_FINISHED) ? new Error('manager is shutting down') : null);
    const agent = new ControlledAgent();
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    const call = agent.call(runId);
    void call.request.reporter.thinking('a');
    void call.request.reporter.thinking('b');
    call.finish('done');
    expect((await outcome).state).toBe('completed');
    const refusedSize = sink.batchSizes.at(-1) ?? 0;
    expect(refusedSize).toBeGreaterThanOrEqual(1);
    expect(h.trackerFor('alice').getRun(runId)).toMatchObject({ state: 'completed', eventCount: 4, emitFailures: refusedSize });
    expect(h.logger.lines.map((line) => [line.level, line.context['type']]).at(-1)).toEqual(['warn', EventType.RUN_FINISHED]);
    expect(sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.REASONING_MESSAGE_CHUNK, EventType.REASONING_MESSAGE_CHUNK, EventType.RUN_FINISHED]); // attempted
    sink.refuse = null;
  });

  it('treats a batch call that throws rather than rejects as refused, and the run still settles', async () => {
    const tried: number[] = [];
    h = createHarness({
      maxEventsInFlight: 8,
      sink: {
        emitAgentEvent: () => Promise.reject(new Error('not used: the sink takes batches')),
        emitAgentEvents: (_userId, events) => {
          tried.push(events.length);
          throw new Error('manager is closed');
        },
      },
    });
    const agent = new ControlledAgent();
    const bob = h.trackerFor('bob');
    const run = bob.startRun({ agent, input: 'x' });
    await flush();
    agent.call(run.runId).finish('done');
    expect((await run.outcome).state).toBe('completed');
    expect(tried).toEqual([1, 1]);
    expect(bob.getRun(run.runId)).toMatchObject({ state: 'completed', eventCount: 2, emitFailures: 2 });
    expect(h.logger.lines.map((line) => [line.level, line.context['type'], line.context['failures']])).toEqual([
      ['warn', EventType.RUN_STARTED, 1],
      ['warn', EventType.RUN_FINISHED, 2],
    ]);
  });

  it('sends a delta whose window passed while a batch was out with the next batch, merged with what came meanwhile', async () => {
    harness({ maxEventsInFlight: 8, coalesceMs: 20 });
    const held: (() => void)[] = [];
    sink.gate = (event) => (event.type === EventType.TEXT_MESSAGE_START ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve());
    const agent = new ControlledAgent();
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    const call = agent.call(runId);
    const answer = call.request.reporter.startText(); // TEXT_MESSAGE_START: out, held
    void answer.append('Tides ');
    await sleep(60); // three windows
    expect(sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT)).toEqual([]);
    void answer.append('follow the moon.');
    for (const release of held.splice(0)) release();
    await until(() => sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).length === 1);
    await sleep(30);
    expect(sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).map((event) => event.payload['delta'])).toEqual(['Tides follow the moon.']);
    void answer.end();
    call.finish('done');
    expect((await outcome).state).toBe('completed');
    expect(sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.TEXT_MESSAGE_START, EventType.TEXT_MESSAGE_CONTENT, EventType.TEXT_MESSAGE_END, EventType.RUN_FINISHED]);
  });

  it('keeps only the types of a batch out at the sink, not its events: the sink decides how long they live', async () => {
    // Over Redis a batch is out for a round trip; events kept until then outlived young collections with their payloads.
    const taken: WeakRef<AgentEvent>[] = [];
    const held: (() => void)[] = [];
    h = createHarness({
      maxEventsInFlight: 8,
      sink: {
        emitAgentEvent: () => Promise.reject(new Error('not used: the sink takes batches')),
        emitAgentEvents: (_userId, events): Promise<AppendFailures> => {
          if (events[0]?.type === EventType.RUN_STARTED) return Promise.resolve(null);
          for (const event of events) taken.push(new WeakRef(event));
          return new Promise<AppendFailures>((resolve) => held.push(() => resolve(null)));
        },
      },
    });
    const agent = new ControlledAgent();
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    const call = agent.call(runId);
    void call.request.reporter.thinking('a long thought '.repeat(1_000));
    await until(() => taken.length === 1);
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef's target is kept until the job that made it has ended
    usedHeapAfterFullCollections();
    const batchesOut = held.length;
    const alive = taken.map((ref) => ref.deref() !== undefined);
    for (const release of held.splice(0)) release();
    call.finish('done');
    await until(() => held.length === 1); // RUN_FINISHED's batch
    for (const release of held.splice(0)) release();
    expect((await outcome).state).toBe('completed');
    expect(batchesOut).toBe(1); // the collections ran while the chunk's batch was out
    expect(alive).toEqual([false]);
    expect(h.trackerFor('alice').getRun(runId)).toMatchObject({ eventCount: 3, emitFailures: 0 });
  });

  it('uses a sink whose emitAgentEvents is not a function one event at a time', async () => {
    const plain = new RecordingSink();
    (plain as unknown as { emitAgentEvents: unknown }).emitAgentEvents = null;
    h = createHarness({ maxEventsInFlight: 8 }, plain);
    const agent = scriptedAgent('brief', async ({ reporter }) => {
      for (let i = 0; i < 3; i += 1) await reporter.thinking(`step ${i}`);
      return { finalResponse: 'done' };
    });
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    expect((await outcome).state).toBe('completed');
    expect(plain.types(runId)).toEqual([EventType.RUN_STARTED, ...Array<string>(3).fill(EventType.REASONING_MESSAGE_CHUNK), EventType.RUN_FINISHED]);
  });

  describe('with maxBatchesInFlight above 1 (a sink that sequences its calls, as the manager does)', () => {
    it('hands over what a run reports in one turn as one batch at the end of the turn', async () => {
      harness({ maxEventsInFlight: 8, maxBatchesInFlight: 4 });
      const agent = new ControlledAgent();
      const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
      await flush();
      const call = agent.call(runId);
      for (const step of ['a', 'b', 'c']) void call.request.reporter.thinking(step);
      await flush();
      call.finish('done');
      expect((await outcome).state).toBe('completed');
      // With one batch at a time, 'a' goes alone and 'b' and 'c' wait for it: [1, 1, 2, 1].
      expect(sink.batchSizes).toEqual([1, 3, 1]);
      expect(sink.ofType(runId, EventType.REASONING_MESSAGE_CHUNK).map((event) => event.payload['delta'])).toEqual(['a', 'b', 'c']);
    });

    it('hands over RUN_STARTED within startRun: nothing else of the run can come before its agent is invoked', async () => {
      harness({ maxEventsInFlight: 8, maxBatchesInFlight: 4 });
      const { runId, outcome } = h.trackerFor('alice').startRun({ agent: eagerAgent(2), input: 'x' });
      expect(sink.batchSizes).toEqual([1]); // before the turn ends
      expect(sink.run(runId).map((event) => event.type)).toEqual([EventType.RUN_STARTED]);
      expect((await outcome).state).toBe('completed');
      expectEveryStepInOrder(runId, 2);
    });

    it('hands over batches while earlier ones are out, at most maxBatchesInFlight of them and maxEventsInFlight events, in order', async () => {
      harness({ maxEventsInFlight: 16, eventHighWater: 4, maxBatchesInFlight: 3 });
      sink.gate = () => new Promise((resolve) => setImmediate(resolve)); // far slower than the agent
      const { runId, outcome } = h.trackerFor('alice').startRun({ agent: eagerAgent(300), input: 'x' });
      expect((await outcome).state).toBe('completed');
      expect(sink.maxBatchesInFlightPerRun).toBe(3);
      expect(sink.maxInFlightPerRun).toBeLessThanOrEqual(16);
      expectEveryStepInOrder(runId, 300);
    });

    it('settles batches in whatever order the sink settles them, counts each one\'s failures, and settles the run once every batch is out', async () => {
      const held: { size: number; settle: (failures: AppendFailures) => void }[] = [];
      batchesOnly({ maxEventsInFlight: 8, maxBatchesInFlight: 4 }, (_userId, events) => {
        if (events[0]?.type === EventType.RUN_STARTED) return Promise.resolve(null);
        return new Promise<AppendFailures>((resolve) => held.push({ size: events.length, settle: resolve }));
      });
      const agent = new ControlledAgent();
      const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
      let settled = false;
      void outcome.then(() => (settled = true));
      await flush();
      const call = agent.call(runId);
      void call.request.reporter.thinking('a');
      void call.request.reporter.thinking('b');
      await flush();
      void call.request.reporter.thinking('c');
      await flush();
      call.finish('done');
      await until(() => held.length === 3); // [a, b], [c], [RUN_FINISHED]
      expect(held.map((batch) => batch.size)).toEqual([2, 1, 1]);
      const [first, second, last] = held as [(typeof held)[0], (typeof held)[0], (typeof held)[0]];
      second.settle([new Error('too large')]);
      last.settle(null);
      await flush();
      expect(settled).toBe(false); // [a, b] is still out
      first.settle([undefined, new Error('too large')]);
      expect((await outcome).state).toBe('completed');
      expect(h.trackerFor('alice').getRun(runId)).toMatchObject({ state: 'completed', eventCount: 5, emitFailures: 2 });
      expect(h.logger.lines.map((line) => [line.level, line.context['type'], line.context['failures']])).toEqual([
        ['warn', EventType.REASONING_MESSAGE_CHUNK, 1],
      ]);
    });

    it('treats a further batch whose call throws as refused, and the run still settles', async () => {
      const held: (() => void)[] = [];
      const tried: number[] = [];
      batchesOnly({ maxEventsInFlight: 8, maxBatchesInFlight: 4 }, (_userId, events) => {
        tried.push(events.length);
        if (tried.length === 2) return new Promise<AppendFailures>((resolve) => held.push(() => resolve(null))); // [a]
        if (tried.length === 3) throw new Error('manager is closed'); // [b]
        return Promise.resolve(null);
      });
      const agent = new ControlledAgent();
      const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
      await flush();
      const call = agent.call(runId);
      void call.request.reporter.thinking('a'); // held
      await flush();
      void call.request.reporter.thinking('b'); // thrown while [a] is out
      await flush();
      for (const release of held.splice(0)) release();
      call.finish('done');
      expect((await outcome).state).toBe('completed');
      expect(tried).toEqual([1, 1, 1, 1]);
      expect(h.trackerFor('alice').getRun(runId)).toMatchObject({ state: 'completed', eventCount: 4, emitFailures: 1 });
    });
  });
});
