import { EventType } from '@agentwirejs/protocols';
import { performance } from 'node:perf_hooks';
import { ControlledAgent, type Harness, SINK_KINDS, flush, harnessWith, sleep, until } from './harness.test-helpers';

/**
 * Deltas (text, reasoning, tool arguments) are merged before they take a stream position:
 * consecutive deltas of one message within coalesceMs go out as one envelope, the first of them
 * no later than the window after it was reported, and a message's end (or any other event of the
 * run) sends what waits at once. The window runs on real timers, so these tests use real time
 * with small windows and bounded waits.
 */
describe.each(SINK_KINDS)('coalescing deltas before they are sequenced, the sink taking events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  let h: Harness;
  afterEach(() => h.close());

  async function started(options: Parameters<typeof createHarness>[0]) {
    h = createHarness(options);
    const agent = new ControlledAgent();
    const run = h.trackerFor('alice').startRun({ agent, input: 'x' });
    await flush();
    const call = agent.call(run.runId);
    return { ...run, call, reporter: call.request.reporter };
  }

  it('merges the deltas of one message reported within the window into one TEXT_MESSAGE_CONTENT', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 30 });
    const text = reporter.startText({ messageId: 'm' });
    for (let i = 0; i < 20; i += 1) await text.append(`w${i} `);
    await until(() => h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).length > 0, 1_000);
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).map((event) => event.payload)).toEqual([
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm', delta: Array.from({ length: 20 }, (_, i) => `w${i} `).join('') },
    ]);
    await text.end();
    call.resolveWith({});
    await outcome;
    // event_count counts envelopes, not deltas: RUN_STARTED, START, one CONTENT, END, RUN_FINISHED
    expect(h.sink.run(runId).at(-1)?.payload).toMatchObject({ metadata: { agentwire: { event_count: 5 } } });
    expect(h.trackerFor('alice').getRun(runId)?.eventCount).toBe(5);
  });

  it('sends the first delta no later than the window after it was reported', async () => {
    const coalesceMs = 30;
    const { runId, reporter, call, outcome } = await started({ coalesceMs });
    const text = reporter.startText();
    const reportedAt = performance.now();
    await text.append('first token');
    await flush();
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT)).toHaveLength(0); // it waits for more
    await until(() => h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).length === 1, 1_000);
    const waited = performance.now() - reportedAt;
    expect(waited).toBeGreaterThanOrEqual(coalesceMs - 1);
    expect(waited).toBeLessThan(coalesceMs + 200); // the window, plus a loaded machine's timer lag
    await text.end();
    call.resolveWith({});
    await outcome;
  });

  it('counts the window from the report, not from when the events before the delta left the sink', async () => {
    const coalesceMs = 20;
    const { runId, reporter, call, outcome } = await started({ coalesceMs });
    let releaseStart: () => void = () => undefined;
    h.sink.gate = (event) => (event.type === EventType.TEXT_MESSAGE_START ? new Promise((resolve) => (releaseStart = resolve)) : Promise.resolve());
    const text = reporter.startText();
    await text.append('queued behind a slow START');
    await sleep(coalesceMs + 20); // the delta's window passes while START is at the sink
    h.sink.gate = null;
    releaseStart();
    await flush();
    await flush();
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe('queued behind a slow START'); // at once, no second window
    await text.end();
    call.resolveWith({});
    await outcome;
  });

  it("sends what waits at once when the message ends: the end never waits for the window", async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 60_000 });
    const text = reporter.startText();
    await text.append('Hello, ');
    await text.append('world');
    await text.end();
    await flush();
    expect(h.sink.types(runId).slice(1)).toEqual(['TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END']);
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe('Hello, world');
    call.resolveWith({});
    await outcome;
  });

  it('sends a waiting delta at once when any other event of the run follows it, and never merges across it', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 60_000 });
    const text = reporter.startText();
    await text.append('before ');
    await reporter.custom('acme.mark', 1);
    await text.append('after');
    await text.end();
    await flush();
    expect(h.sink.run(runId).slice(2, -1).map((event) => [event.type, event.payload['delta'] ?? event.payload['name']])).toEqual([
      ['TEXT_MESSAGE_CONTENT', 'before '],
      ['CUSTOM', 'acme.mark'],
      ['TEXT_MESSAGE_CONTENT', 'after'],
    ]);
    call.resolveWith({});
    await outcome;
  });

  it('never merges deltas of two messages streamed at once: each keeps its exact text', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 60_000 });
    const answer = reporter.startText({ messageId: 'answer' });
    const thought = reporter.startReasoning({ messageId: 'thought' });
    for (let i = 0; i < 10; i += 1) {
      await answer.append(`a${i} `);
      await answer.append(`A${i} `);
      await thought.append(`t${i} `);
    }
    await answer.end();
    await thought.end();
    call.resolveWith({});
    await outcome;
    const ofMessage = (type: EventType, id: string) =>
      h.sink
        .ofType(runId, type)
        .filter((event) => event.payload['messageId'] === id)
        .map((event) => event.payload['delta'])
        .join('');
    expect(ofMessage(EventType.TEXT_MESSAGE_CONTENT, 'answer')).toBe(Array.from({ length: 10 }, (_, i) => `a${i} A${i} `).join(''));
    expect(ofMessage(EventType.REASONING_MESSAGE_CONTENT, 'thought')).toBe(Array.from({ length: 10 }, (_, i) => `t${i} `).join(''));
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT)).toHaveLength(10); // a_i and A_i merged, t_i between
  });

  it('merges reasoning and tool-argument deltas the same way', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 60_000 });
    const thought = reporter.startReasoning();
    for (const part of ['I ', 'should ', 'search']) await thought.append(part);
    await thought.end();
    const tool = reporter.startToolCall('search');
    for (const part of ['{"q"', ':', '"tides"}']) await tool.appendArgs(part);
    await tool.end();
    await tool.result([]);
    call.resolveWith({});
    await outcome;
    expect(h.sink.ofType(runId, EventType.REASONING_MESSAGE_CONTENT).map((event) => event.payload['delta'])).toEqual(['I should search']);
    expect(h.sink.ofType(runId, EventType.TOOL_CALL_ARGS).map((event) => event.payload['delta'])).toEqual(['{"q":"tides"}']);
  });

  it('merges the deltas that queue behind a slow sink, whatever the window (back-pressure never splits text)', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 1 });
    let releaseStart: () => void = () => undefined;
    h.sink.gate = (event) => (event.type === EventType.TEXT_MESSAGE_START ? new Promise((resolve) => (releaseStart = resolve)) : Promise.resolve());
    const text = reporter.startText();
    for (let i = 0; i < 300; i += 1) await text.append(`w${i} `);
    h.sink.gate = null;
    releaseStart();
    await text.end();
    call.resolveWith({});
    await outcome;
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT)).toHaveLength(1);
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe(Array.from({ length: 300 }, (_, i) => `w${i} `).join(''));
  });

  it('sends every delta as its own event with coalesceMs 0', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 0 });
    let releaseStart: () => void = () => undefined;
    h.sink.gate = (event) => (event.type === EventType.TEXT_MESSAGE_START ? new Promise((resolve) => (releaseStart = resolve)) : Promise.resolve());
    const text = reporter.startText();
    for (let i = 0; i < 5; i += 1) await text.append(`w${i} `);
    h.sink.gate = null;
    releaseStart();
    await text.end();
    call.resolveWith({});
    await outcome;
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).map((event) => event.payload['delta'])).toEqual(['w0 ', 'w1 ', 'w2 ', 'w3 ', 'w4 ']);
  });

  it('caps a merged delta at 65,536 characters: a longer burst goes out as several events, the text exact', async () => {
    const { runId, reporter, call, outcome } = await started({ coalesceMs: 60_000 });
    const text = reporter.startText();
    const parts = ['a', 'b', 'c'].map((letter) => letter.repeat(30_000));
    for (const part of parts) await text.append(part);
    await text.end();
    call.resolveWith({});
    await outcome;
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).map((event) => String(event.payload['delta']).length)).toEqual([60_000, 30_000]);
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe(parts.join(''));
  });

  it('sends a waiting delta before the terminal event when the run ends', async () => {
    const { runId, reporter, outcome } = await started({ coalesceMs: 60_000 });
    const text = reporter.startText();
    await text.append('cut short');
    await h.trackerFor('alice').cancel(runId);
    expect((await outcome).state).toBe('cancelled');
    expect(h.sink.types(runId).slice(1)).toEqual(['TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe('cut short');
  });

  it('keeps the coalescing of a later delta after an earlier one went out early (no stale window)', async () => {
    const coalesceMs = 40;
    const { runId, reporter, call, outcome } = await started({ coalesceMs });
    const text = reporter.startText();
    await text.append('one'); // its window starts…
    await reporter.custom('acme.mark', 1); // …and this sends it at once
    await sleep(coalesceMs + 10); // the old window would have run out here
    await text.append('two');
    await text.append('three');
    await flush();
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe('one'); // 'two' waits its own window
    await until(() => h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).length === 2, 1_000);
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_CONTENT).map((event) => event.payload['delta'])).toEqual(['one', 'twothree']);
    await text.end();
    call.resolveWith({});
    await outcome;
  });
});
