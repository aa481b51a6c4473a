import { EventSchemas } from '@ag-ui/core/schemas';
import { EventType, type StandaloneRunEvent } from '@agentwirejs/protocols';
import { InvalidReportError, RunEndedError, StreamClosedError } from './errors';
import { ControlledAgent, type Harness, SINK_KINDS, flush, harnessWith, rejectionOf, scriptedAgent, sleep, until } from './harness.test-helpers';
import type { AgentExecutionTracker } from './tracker';

/**
 * The agent API streams: text, reasoning, tool-call arguments, state, steps and app-defined
 * events, each an AG-UI event of the run, in call order, validated against @ag-ui/core's
 * EventSchemas by the recording sink. Coalescing is off here (coalesceMs 0: one envelope per
 * delta); coalescing.spec.ts covers it.
 */
describe.each(SINK_KINDS)('an agent streams its answer as AG-UI events, the sink taking events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  let h: Harness;
  let agent: ControlledAgent;
  let alice: AgentExecutionTracker;

  beforeEach(() => {
    h = createHarness({ coalesceMs: 0 });
    agent = new ControlledAgent();
    alice = h.trackerFor('alice');
  });
  afterEach(() => h.close());

  async function started() {
    const run = alice.startRun({ agent, input: 'Tell me about tides' });
    await flush();
    const call = agent.call(run.runId);
    return { ...run, call, reporter: call.request.reporter };
  }

  /** The payloads of one run's events after RUN_STARTED and before its terminal event. */
  function middle(runId: string): Readonly<Record<string, unknown>>[] {
    return h.sink.run(runId).slice(1, -1).map((event) => event.payload);
  }

  it('streams a text message: TEXT_MESSAGE_START (role assistant), one CONTENT per append, TEXT_MESSAGE_END', async () => {
    const { runId, reporter, call, outcome } = await started();
    const text = reporter.startText({ messageId: 'answer-1' });
    expect(text.messageId).toBe('answer-1');
    await text.append('Tides are ');
    await text.append(''); // ignored
    await text.append('caused by the moon.');
    await text.end();
    call.resolveWith({});
    expect((await outcome).state).toBe('completed');
    expect(middle(runId)).toEqual([
      { type: 'TEXT_MESSAGE_START', messageId: 'answer-1', role: 'assistant' },
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'answer-1', delta: 'Tides are ' },
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'answer-1', delta: 'caused by the moon.' },
      { type: 'TEXT_MESSAGE_END', messageId: 'answer-1' },
    ]);
    expect(h.sink.run(runId).at(-1)?.payload).not.toHaveProperty('result'); // the answer was streamed
    expect(alice.getRun(runId)?.phases.map((change) => change.phase)).toEqual(['result_processing']);
  });

  it('gives each message a unique id of the run unless the agent names one', async () => {
    const { runId, reporter, call, outcome } = await started();
    const first = reporter.startText();
    const second = reporter.startText();
    expect(first.messageId).not.toBe(second.messageId);
    expect(first.messageId.startsWith(runId)).toBe(true);
    await first.end();
    await second.end();
    call.resolveWith({});
    await outcome;
  });

  it('streams reasoning: REASONING_START, REASONING_MESSAGE_START, its deltas, then both ends', async () => {
    const { runId, reporter, call, outcome } = await started();
    const reasoning = reporter.startReasoning({ messageId: 'why-1' });
    await reasoning.append('The user asks about ');
    await reasoning.append('tides.');
    await reasoning.end();
    call.finish('Tides come from the moon.');
    await outcome;
    expect(middle(runId)).toEqual([
      { type: 'REASONING_START', messageId: 'why-1' },
      { type: 'REASONING_MESSAGE_START', messageId: 'why-1', role: 'reasoning' },
      { type: 'REASONING_MESSAGE_CONTENT', messageId: 'why-1', delta: 'The user asks about ' },
      { type: 'REASONING_MESSAGE_CONTENT', messageId: 'why-1', delta: 'tides.' },
      { type: 'REASONING_MESSAGE_END', messageId: 'why-1' },
      { type: 'REASONING_END', messageId: 'why-1' },
    ]);
    expect(h.sink.run(runId).at(-1)?.payload['result']).toBe('Tides come from the moon.');
  });

  it('emits thinking(text) as exactly one REASONING_MESSAGE_CHUNK {messageId, delta}, valid against EventSchemas: one report, one stream position', async () => {
    const { runId, reporter, call, outcome } = await started();
    await reporter.thinking('The user asks about tides.');
    await reporter.thinking('');
    call.resolveWith({});
    await outcome;
    const events = h.sink.run(runId);
    expect(events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'RUN_STARTED'],
      [2, 'REASONING_MESSAGE_CHUNK'],
      [3, 'REASONING_MESSAGE_CHUNK'],
      [4, 'RUN_FINISHED'],
    ]);
    const [first, second] = middle(runId);
    // AG-UI's shorthand for a whole reasoning message: each thought is its own message, under its own id
    expect(first).toEqual({ type: 'REASONING_MESSAGE_CHUNK', messageId: expect.stringMatching(/-reasoning\d+$/), delta: 'The user asks about tides.' });
    expect(second).toEqual({ type: 'REASONING_MESSAGE_CHUNK', messageId: expect.stringMatching(/-reasoning\d+$/), delta: '' });
    expect(first?.['messageId']).not.toBe(second?.['messageId']);
    for (const payload of middle(runId)) expect(EventSchemas.safeParse(payload)).toMatchObject({ success: true, data: payload });
    expect(alice.getRun(runId)).toMatchObject({ eventCount: 4, phases: [{ phase: 'thinking' }] });
  });

  it('streams a tool call: START, ARGS per fragment, END, then RESULT with the duration and success', async () => {
    const { runId, reporter, call, outcome } = await started();
    const tool = reporter.startToolCall('search', { toolCallId: 'call-1' });
    await tool.appendArgs('{"query":');
    await tool.appendArgs('"tides"}');
    await tool.end();
    h.clock.advance(120);
    await tool.result({ hits: 3 });
    call.finish('found 3');
    await outcome;
    expect(middle(runId)).toEqual([
      { type: 'TOOL_CALL_START', toolCallId: 'call-1', toolCallName: 'search' },
      { type: 'TOOL_CALL_ARGS', toolCallId: 'call-1', delta: '{"query":' },
      { type: 'TOOL_CALL_ARGS', toolCallId: 'call-1', delta: '"tides"}' },
      { type: 'TOOL_CALL_END', toolCallId: 'call-1' },
      {
        type: 'TOOL_CALL_RESULT',
        messageId: expect.any(String),
        toolCallId: 'call-1',
        role: 'tool',
        content: '{"hits":3}',
        metadata: { agentwire: { tool_name: 'search', duration_ms: 120, success: true } },
      },
    ]);
  });

  it('ends the arguments itself when a result comes first, and refuses a second result with StreamClosedError', async () => {
    const { runId, reporter, call, outcome } = await started();
    const tool = reporter.startToolCall('search');
    await tool.appendArgs('{}');
    await tool.result('nothing found', false);
    expect(await rejectionOf(tool.result('again'))).toBeInstanceOf(StreamClosedError);
    expect(await rejectionOf(tool.appendArgs('more'))).toBeInstanceOf(StreamClosedError);
    await expect(tool.end()).resolves.toBeUndefined(); // ending twice is a no-op
    call.finish('no luck');
    await outcome;
    expect(middle(runId).map((payload) => payload['type'])).toEqual(['TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'TOOL_CALL_RESULT']);
    expect(middle(runId)[3]).toMatchObject({ content: '"nothing found"', metadata: { agentwire: { success: false } } });
  });

  it('emits STATE_SNAPSHOT and STATE_DELTA, refusing what EventSchemas refuses with InvalidReportError and sending nothing', async () => {
    const { runId, reporter, call, outcome } = await started();
    await reporter.stateSnapshot({ city: 'Brest', tide: 'rising' });
    await reporter.stateDelta([{ op: 'replace', path: '/tide', value: 'falling' }]);
    const noSnapshot = await rejectionOf(reporter.stateSnapshot(undefined));
    const notAPatch = await rejectionOf(reporter.stateDelta([{ op: 'frobnicate', path: '/tide' }]));
    const noPath = await rejectionOf(reporter.stateDelta([{ op: 'add', value: 1 }]));
    for (const error of [noSnapshot, notAPatch, noPath]) expect(error).toBeInstanceOf(InvalidReportError);
    call.finish('ok');
    await outcome;
    expect(middle(runId)).toEqual([
      { type: 'STATE_SNAPSHOT', snapshot: { city: 'Brest', tide: 'rising' } },
      { type: 'STATE_DELTA', delta: [{ op: 'replace', path: '/tide', value: 'falling' }] },
    ]);
  });

  it('emits the standalone AG-UI events as they are, refusing other types and what EventSchemas refuses', async () => {
    const { runId, reporter, call, outcome } = await started();
    const messages: StandaloneRunEvent = { type: EventType.MESSAGES_SNAPSHOT, messages: [{ id: 'u1', role: 'user', content: 'hi' }] };
    const activity: StandaloneRunEvent = { type: EventType.ACTIVITY_SNAPSHOT, messageId: 'plan-1', activityType: 'PLAN', content: { steps: ['look up'] }, replace: true };
    const raw: StandaloneRunEvent = { type: EventType.RAW, event: { provider: 'x', kind: 'ping' } };
    await reporter.standaloneEvent(messages);
    await reporter.standaloneEvent(activity);
    await reporter.standaloneEvent(raw);
    const notStandalone = await rejectionOf(reporter.standaloneEvent({ type: 'TEXT_MESSAGE_START', messageId: 'm', role: 'assistant' } as never));
    const invalid = await rejectionOf(reporter.standaloneEvent({ type: 'MESSAGES_SNAPSHOT' } as never));
    for (const error of [notStandalone, invalid]) expect(error).toBeInstanceOf(InvalidReportError);
    call.finish('ok');
    await outcome;
    expect(middle(runId)).toEqual([messages, activity, raw]);
    expect(await rejectionOf(reporter.standaloneEvent(raw))).toBeInstanceOf(RunEndedError);
  });

  it('sends an event the agent built as it was when reported: changing its own object afterwards changes nothing sent', async () => {
    const { runId, reporter, call, outcome } = await started();
    let release = (): void => undefined;
    h.sink.gate = (event) => (event.type === EventType.CUSTOM ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve());
    void reporter.custom('acme.mark', 1); // held at the sink: what follows waits in the run's queue
    await flush();
    const messages = [{ id: 'u1', role: 'user', content: 'hi' }];
    const snapshot = { type: EventType.MESSAGES_SNAPSHOT, messages } as StandaloneRunEvent;
    const patch = [{ op: 'replace', path: '/tide', value: 'falling' }];
    const sent = [reporter.standaloneEvent(snapshot), reporter.stateDelta(patch)];
    messages.push({ role: 'assistant', content: 'no id: not a valid message' } as never);
    (snapshot as { type: string }).type = EventType.RUN_FINISHED;
    patch[0] = { op: 'frobnicate', path: '', value: '' };
    h.sink.gate = null;
    release();
    await Promise.all(sent);
    call.finish('ok');
    await outcome;
    expect(middle(runId)).toEqual([
      { type: 'CUSTOM', name: 'acme.mark', value: 1 },
      { type: 'MESSAGES_SNAPSHOT', messages: [{ id: 'u1', role: 'user', content: 'hi' }] },
      { type: 'STATE_DELTA', delta: [{ op: 'replace', path: '/tide', value: 'falling' }] },
    ]);
    expect(h.sink.invalid).toEqual([]);
  });

  it('refuses a state snapshot that cannot be copied (a function inside) with InvalidReportError, sending nothing', async () => {
    const { runId, reporter, call, outcome } = await started();
    const error = await rejectionOf(reporter.stateSnapshot({ onTide: () => 'high' }));
    expect(error).toBeInstanceOf(InvalidReportError);
    expect((error as Error).message).toMatch(/^STATE_SNAPSHOT cannot be sent/);
    call.finish('ok');
    await outcome;
    expect(middle(runId)).toEqual([]);
  });

  it('emits STEP_STARTED now and STEP_FINISHED from the returned function, once; a step of the same name cannot start twice at once', async () => {
    const { runId, reporter, call, outcome } = await started();
    const finishPlanning = reporter.startStep('planning');
    expect(() => reporter.startStep('planning')).toThrow(InvalidReportError);
    await finishPlanning();
    await finishPlanning(); // once
    const finishAgain = reporter.startStep('planning'); // finished, so it may start again
    await finishAgain();
    expect(() => reporter.startStep('')).toThrow(InvalidReportError);
    call.finish('planned');
    await outcome;
    expect(middle(runId)).toEqual([
      { type: 'STEP_STARTED', stepName: 'planning' },
      { type: 'STEP_FINISHED', stepName: 'planning' },
      { type: 'STEP_STARTED', stepName: 'planning' },
      { type: 'STEP_FINISHED', stepName: 'planning' },
    ]);
  });

  it('emits app-defined CUSTOM events and refuses names with the reserved agentwire. prefix', async () => {
    const { runId, reporter, call, outcome } = await started();
    await reporter.custom('acme.progress', { percent: 40 });
    const reserved = await rejectionOf(reporter.custom('agentwire.interrupt', { id: 'forged' }));
    expect(reserved).toBeInstanceOf(InvalidReportError);
    expect((reserved as InvalidReportError).message).toMatch(/reserved/);
    expect(await rejectionOf(reporter.custom('', 1))).toBeInstanceOf(InvalidReportError);
    // AG-UI refuses a CUSTOM event without a value; the manager does not check the tracker's events again
    const noValue = await rejectionOf(reporter.custom('acme.progress', undefined));
    expect(noValue).toBeInstanceOf(InvalidReportError);
    expect((noValue as Error).message).toBe('a custom event needs a value');
    call.finish('done');
    await outcome;
    expect(middle(runId)).toEqual([{ type: 'CUSTOM', name: 'acme.progress', value: { percent: 40 } }]);
  });

  it('asks the checkCustomEvent option about every custom event: its problem refuses the event, a throwing check too', async () => {
    const checked: [string, unknown][] = [];
    const strict = createHarness({
      coalesceMs: 0,
      checkCustomEvent: (name, value) => {
        checked.push([name, value]);
        if (name === 'acme.explode') throw new Error('check crashed');
        if (name !== 'acme.progress') return `unknown custom event ${name}`;
        return typeof value === 'number' ? null : 'acme.progress takes a number';
      },
    });
    const strictAgent = scriptedAgent('strict', async ({ reporter }) => {
      await reporter.custom('acme.progress', 40);
      const results = await Promise.allSettled([
        reporter.custom('acme.progress', 'forty'),
        reporter.custom('acme.other', 1),
        reporter.custom('acme.explode', 1),
      ]);
      return { finalResponse: results.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : 'sent')).join(' | ') };
    });
    const { runId, outcome } = strict.trackerFor('alice').startRun({ agent: strictAgent, input: 'x' });
    expect((await outcome).finalResponse).toBe('acme.progress takes a number | unknown custom event acme.other | the custom event check failed: check crashed');
    expect(checked.map(([name]) => name)).toEqual(['acme.progress', 'acme.progress', 'acme.other', 'acme.explode']);
    expect(strict.sink.ofType(runId, EventType.CUSTOM).map((event) => event.payload['value'])).toEqual([40]);
    await strict.close();
  });

  it('refuses to start a message or tool call id the run already used, with InvalidReportError', async () => {
    const { reporter, call, outcome } = await started();
    const text = reporter.startText({ messageId: 'm-1' });
    await text.end();
    expect(() => reporter.startText({ messageId: 'm-1' })).toThrow(InvalidReportError);
    expect(() => reporter.startText({ messageId: '' })).toThrow(InvalidReportError);
    const tool = reporter.startToolCall('search', { toolCallId: 'c-1' });
    expect(() => reporter.startToolCall('search', { toolCallId: 'c-1' })).toThrow(InvalidReportError);
    await tool.result('ok');
    call.finish('done');
    await outcome;
  });

  it('refuses a messageId or toolCallId of the form of its own ids (<runId>-msg<n>, -reasoning<n>, -call<n>, …): an id the agent names never equals one it makes', async () => {
    const { runId, reporter, call, outcome } = await started();
    const made = reporter.startText();
    await reporter.thinking('a thought');
    await until(() => h.sink.ofType(runId, EventType.REASONING_MESSAGE_CHUNK).length === 1); // out at the sink
    const thoughtId = String(h.sink.ofType(runId, EventType.REASONING_MESSAGE_CHUNK)[0]?.payload['messageId']);
    expect(() => reporter.startText({ messageId: made.messageId })).toThrow(/has the form of the ids the tracker makes/);
    expect(() => reporter.startReasoning({ messageId: thoughtId })).toThrow(InvalidReportError);
    expect(() => reporter.startReasoning({ messageId: `${runId}-reasoning99` })).toThrow(InvalidReportError); // nor one it is yet to make
    expect(() => reporter.startToolCall('search', { toolCallId: `${runId}-call7` })).toThrow(InvalidReportError);
    const own = reporter.startText({ messageId: `${runId}-answer` }); // any other id is the agent's to name
    await own.end();
    await made.end();
    call.resolveWith({});
    await outcome;
    expect(h.sink.ofType(runId, EventType.TEXT_MESSAGE_START).map((event) => event.payload['messageId'])).toEqual([made.messageId, `${runId}-answer`]);
  });

  it('refuses appends to an ended message with StreamClosedError; ending twice is a no-op', async () => {
    const { runId, reporter, call, outcome } = await started();
    const text = reporter.startText();
    await text.append('whole');
    await text.end();
    await expect(text.end()).resolves.toBeUndefined();
    const error = await rejectionOf(text.append('more'));
    expect(error).toBeInstanceOf(StreamClosedError);
    expect(error).toMatchObject({ code: 'STREAM_CLOSED' });
    call.resolveWith({});
    await outcome;
    expect(h.sink.text(runId, EventType.TEXT_MESSAGE_CONTENT)).toBe('whole');
  });

  it('keeps every call in call order with the run’s other events, whatever their kind', async () => {
    const { runId, reporter, call, outcome } = await started();
    const text = reporter.startText({ messageId: 'a' });
    void text.append('one ');
    void reporter.thinking('hmm');
    void text.append('two');
    const finishStep = reporter.startStep('s');
    void reporter.custom('acme.mark', 1);
    void finishStep();
    void text.end();
    call.resolveWith({});
    await outcome;
    expect(h.sink.types(runId)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'REASONING_MESSAGE_CHUNK',
      'TEXT_MESSAGE_CONTENT',
      'STEP_STARTED',
      'CUSTOM',
      'STEP_FINISHED',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
  });
});

describe.each(SINK_KINDS)('what a run leaves open when it ends, the sink taking events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  let h: Harness;
  let agent: ControlledAgent;
  let alice: AgentExecutionTracker;

  beforeEach(() => {
    h = createHarness({ coalesceMs: 0 });
    agent = new ControlledAgent();
    alice = h.trackerFor('alice');
  });
  afterEach(() => h.close()); // checkRunEventOrder: nothing open at RUN_FINISHED

  async function started() {
    const run = alice.startRun({ agent, input: 'x' });
    await flush();
    const call = agent.call(run.runId);
    return { ...run, call, reporter: call.request.reporter };
  }

  it('ends open messages and steps, in the order they opened, right before RUN_FINISHED', async () => {
    const { runId, reporter, call, outcome } = await started();
    const text = reporter.startText({ messageId: 'answer' });
    await text.append('half an answer');
    reporter.startStep('drafting');
    const reasoning = reporter.startReasoning({ messageId: 'thought' });
    await reasoning.append('still thinking');
    call.resolveWith({});
    expect((await outcome).state).toBe('completed');
    expect(h.sink.types(runId)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'STEP_STARTED',
      'REASONING_START',
      'REASONING_MESSAGE_START',
      'REASONING_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'STEP_FINISHED',
      'REASONING_MESSAGE_END',
      'REASONING_END',
      'RUN_FINISHED',
    ]);
    expect(h.sink.run(runId).slice(-5, -1).map((event) => event.payload)).toEqual([
      { type: 'TEXT_MESSAGE_END', messageId: 'answer' },
      { type: 'STEP_FINISHED', stepName: 'drafting' },
      { type: 'REASONING_MESSAGE_END', messageId: 'thought' },
      { type: 'REASONING_END', messageId: 'thought' },
    ]);
    // event_count counts the closing events too: it is the number of events of the run
    expect(h.sink.run(runId).at(-1)?.payload).toMatchObject({ metadata: { agentwire: { event_count: h.sink.run(runId).length } } });
  });

  it('ends open messages and tool-call arguments before a cancel’s RUN_FINISHED', async () => {
    const { runId, reporter } = await started();
    const text = reporter.startText({ messageId: 'answer' });
    await text.append('interrupted');
    const tool = reporter.startToolCall('search', { toolCallId: 'c-1' });
    await tool.appendArgs('{"q":');
    await alice.cancel(runId, 'stop');
    expect(h.sink.run(runId).slice(-3).map((event) => event.payload)).toEqual([
      { type: 'TEXT_MESSAGE_END', messageId: 'answer' },
      { type: 'TOOL_CALL_END', toolCallId: 'c-1' },
      expect.objectContaining({ type: 'RUN_FINISHED', outcome: { type: 'cancelled' } }),
    ]);
  });

  it('ends nothing before RUN_ERROR: a failed run’s open message stays as it was', async () => {
    const { runId, reporter, call, outcome } = await started();
    const text = reporter.startText({ messageId: 'answer' });
    await text.append('half');
    call.fail(new Error('model crashed'));
    expect((await outcome).state).toBe('failed');
    expect(h.sink.types(runId)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'RUN_ERROR']);
  });

  it('fails a run whose agent returns with a streamed tool call that has no result', async () => {
    const { reporter, call, outcome } = await started();
    const tool = reporter.startToolCall('search');
    await tool.end();
    call.resolveWith({});
    expect(await outcome).toMatchObject({ state: 'failed', error: { message: 'The agent returned while tool calls were still open: search' } });
  });
});

describe.each(SINK_KINDS)('after the run ended, every call is refused, the sink taking events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  it('rejects each emitting call with RunEndedError and sends nothing more', async () => {
    const h = createHarness({ coalesceMs: 0 });
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const { runId } = alice.startRun({ agent, input: 'x' });
    await flush();
    const { reporter } = agent.call(runId).request;
    const openText = reporter.startText();
    const openTool = reporter.startToolCall('search');
    const finishStep = reporter.startStep('work');
    await alice.cancel(runId);
    const before = h.sink.run(runId).length;

    const lateText = reporter.startText();
    const calls: Record<string, Promise<unknown>> = {
      thinking: reporter.thinking('late'),
      'toolStarted().complete': reporter.toolStarted('t', {}).complete(1, true),
      'open text append': openText.append('late'),
      'open text end': openText.end(),
      'late text append': lateText.append('late'),
      'late text end': lateText.end(),
      'startReasoning().append': reporter.startReasoning().append('late'),
      'open tool appendArgs': openTool.appendArgs('{}'),
      'open tool end': openTool.end(),
      'open tool result': openTool.result(1),
      stateSnapshot: reporter.stateSnapshot({}),
      stateDelta: reporter.stateDelta([]),
      'step finish': finishStep(),
      'late step finish': reporter.startStep('late')(),
      custom: reporter.custom('acme.late', 1),
      ask: reporter.ask({ reason: 'input_required' }),
    };
    const refused = await Promise.all(Object.entries(calls).map(async ([name, call]) => [name, await rejectionOf(call)] as const));
    for (const [name, error] of refused) {
      expect([name, error instanceof RunEndedError, (error as RunEndedError).code]).toEqual([name, true, 'RUN_ENDED']);
    }
    expect(() => reporter.heartbeat()).not.toThrow();
    expect(h.sink.run(runId)).toHaveLength(before);
    await h.close();
  });

  it('lets an agent drop refused calls without awaiting them: no unhandledRejection', async () => {
    // Jest fails the test in which a rejection goes unhandled, so this test passing is the check.
    const h = createHarness({ coalesceMs: 0 });
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const { runId } = alice.startRun({ agent, input: 'x' });
    await flush();
    const { reporter } = agent.call(runId).request;
    const text = reporter.startText();
    await alice.cancel(runId);
    void reporter.thinking('dropped');
    void text.append('dropped');
    void text.end();
    void reporter.custom('acme.dropped', 1);
    void reporter.stateSnapshot({});
    void reporter.ask({ reason: 'dropped' });
    void reporter.startToolCall('t').result(1);
    reporter.toolStarted('t', {}).complete(1, true);
    await sleep(10);
    await flush();
    expect(h.sink.types(runId).at(-1)).toBe(EventType.RUN_FINISHED);
    await h.close();
  });
});
