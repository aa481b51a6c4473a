import { AgentEventEnvelopeSchemas, type AgentEvent, EventType, ServerMessageSchema, type StreamEntry, serializeEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { compactBatch } from './compaction';
import { renderItem } from './render';
import { V1Translator } from './v1-translation';
import { type RunIds, runEvent, runFinished, runIds, runStarted, textMessage, toolCall } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const TS = '2025-01-01T00:00:00.000Z';
const run = runIds('run-1', 'thread-1');

/** Sequences events as a backplane would (seq 1, 2, …). */
function entries(events: readonly AgentEvent[], firstSeq = 1): StreamEntry[] {
  return events.map((event, i) => ({ seq: firstSeq + i, userId: uid('vic'), type: event.type, ts: TS, message: event, json: serializeEnvelope(event, firstSeq + i, uid('vic'), TS), appendedAt: 0 }));
}

/** What a v1 connection receives for these events: [type, seq, payload], each frame checked against the v1 server message schema. */
function translate(events: readonly AgentEvent[], translator = new V1Translator()): [string, number, Record<string, unknown>][] {
  return entries(events).map((entry) => {
    const frame = JSON.parse(translator.entry(entry)) as { type: string; seq: number; payload: Record<string, unknown> };
    const schema = (AgentEventEnvelopeSchemas as Record<string, { parse(value: unknown): unknown }>)[frame.type];
    if (schema !== undefined) {
      schema.parse(frame);
      ServerMessageSchema.parse(frame);
    } else expect(frame).toEqual(JSON.parse(entry.json)); // no v1 form: forwarded as stored
    return [frame.type, frame.seq, frame.payload];
  });
}

const cancelled = (ids: RunIds): AgentEvent =>
  runEvent(ids, { type: EventType.RUN_FINISHED, threadId: ids.thread_id, runId: ids.run_id, outcome: { type: 'cancelled' }, metadata: { agentwire: { code: 'cancelled', reason: 'user asked', duration_ms: 5, event_count: 2 } } } as never);
const failed = (ids: RunIds, code: string): AgentEvent => runEvent(ids, { type: EventType.RUN_ERROR, message: 'it broke', code, metadata: { agentwire: { duration_ms: 5, event_count: 2 } } } as never);
const reasoning = (ids: RunIds, delta: string): AgentEvent => runEvent(ids, { type: EventType.REASONING_MESSAGE_CONTENT, messageId: 'r1', delta });

/** The translation table (README "v1 clients"): AG-UI events in, what a v1 client receives out. */
const TABLE: readonly { readonly name: string; readonly events: AgentEvent[]; readonly expected: [string, number, Record<string, unknown>][] }[] = [
  {
    name: 'RUN_STARTED → agent_started {agent_name, input} from forwardedProps',
    events: [runStarted(run, { city: 'Paris' }, 'weather')],
    expected: [['agent_started', 1, { agent_name: 'weather', input: { city: 'Paris' } }]],
  },
  {
    name: 'REASONING_MESSAGE_CONTENT → agent_thinking {reasoning}',
    events: [reasoning(run, 'let me see')],
    expected: [['agent_thinking', 1, { reasoning: 'let me see' }]],
  },
  {
    name: 'REASONING_MESSAGE_CHUNK (reporter.thinking: one whole reasoning message) → agent_thinking {reasoning}',
    events: [runEvent(run, { type: EventType.REASONING_MESSAGE_CHUNK, messageId: 'r2', delta: 'one step' })],
    expected: [['agent_thinking', 1, { reasoning: 'one step' }]],
  },
  {
    name: 'a tool call: START and ARGS forwarded, END → tool_executing with the parsed arguments, RESULT → tool_completed',
    events: toolCall(run, 'call-1', 'search', { q: 'paris' }, { hits: 3 }),
    expected: [
      ['TOOL_CALL_START', 1, { type: 'TOOL_CALL_START', toolCallId: 'call-1', toolCallName: 'search' }],
      ['TOOL_CALL_ARGS', 2, { type: 'TOOL_CALL_ARGS', toolCallId: 'call-1', delta: '{"q":"paris"}' }],
      ['tool_executing', 3, { tool_name: 'search', parameters: { q: 'paris' } }],
      ['tool_completed', 4, { tool_name: 'search', results: { hits: 3 }, duration_ms: 2, success: true }],
    ],
  },
  {
    name: 'RUN_FINISHED success without result → agent_completed with the run’s streamed text as final_response',
    events: [...textMessage(run, 'm1', ['Hello', ', world']), runFinished(run, undefined, 5)],
    expected: [
      ['TEXT_MESSAGE_START', 1, { type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' }],
      ['TEXT_MESSAGE_CONTENT', 2, { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'Hello' }],
      ['TEXT_MESSAGE_CONTENT', 3, { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: ', world' }],
      ['TEXT_MESSAGE_END', 4, { type: 'TEXT_MESSAGE_END', messageId: 'm1' }],
      ['agent_completed', 5, { status: 'completed', final_response: 'Hello, world', duration_ms: 9, event_count: 5 }],
    ],
  },
  {
    name: 'RUN_FINISHED with result → agent_completed {final_response: result}',
    events: [...textMessage(run, 'm1', ['partial']), runFinished(run, 'the answer', 4)],
    expected: [
      ['TEXT_MESSAGE_START', 1, { type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' }],
      ['TEXT_MESSAGE_CONTENT', 2, { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'partial' }],
      ['TEXT_MESSAGE_END', 3, { type: 'TEXT_MESSAGE_END', messageId: 'm1' }],
      ['agent_completed', 4, { status: 'completed', final_response: 'the answer', duration_ms: 9, event_count: 4 }],
    ],
  },
  {
    name: 'RUN_FINISHED cancelled → agent_cancelled {reason}',
    events: [cancelled(run)],
    expected: [['agent_cancelled', 1, { reason: 'user asked' }]],
  },
  {
    name: 'RUN_ERROR → agent_error {code, message}',
    events: [failed(run, 'timed_out')],
    expected: [['agent_error', 1, { code: 'timed_out', message: 'it broke' }]],
  },
  {
    name: 'events without a v1 form (state, steps, CUSTOM) are forwarded as stored, same seq',
    events: [
      runEvent(run, { type: EventType.STATE_SNAPSHOT, snapshot: { n: 1 } }),
      runEvent(run, { type: EventType.STEP_STARTED, stepName: 'plan' }),
      runEvent(run, { type: EventType.CUSTOM, name: 'agentwire.interrupt', value: { id: 'i1', reason: 'confirm' } }),
    ],
    expected: [
      ['STATE_SNAPSHOT', 1, { type: 'STATE_SNAPSHOT', snapshot: { n: 1 } }],
      ['STEP_STARTED', 2, { type: 'STEP_STARTED', stepName: 'plan' }],
      ['CUSTOM', 3, { type: 'CUSTOM', name: 'agentwire.interrupt', value: { id: 'i1', reason: 'confirm' } }],
    ],
  },
];

describe('v1 translation', () => {
  it.each(TABLE)('$name', ({ events, expected }) => {
    expect(translate(events)).toEqual(expected);
  });

  it('keeps the envelope ids, ts and user of the stored event', () => {
    const [entry] = entries([runStarted(run)]);
    expect(JSON.parse(new V1Translator().entry(entry as StreamEntry))).toEqual({ type: 'agent_started', seq: 1, ts: TS, user_id: 'vic', thread_id: 'thread-1', run_id: 'run-1', payload: { agent_name: 'demo', input: 'hi' } });
  });

  it('translates a compacted replay: the folded reasoning is one agent_thinking with first_seq, folded text still makes final_response', () => {
    const translator = new V1Translator();
    const batch = compactBatch(entries([reasoning(run, 'a'), reasoning(run, 'b'), ...textMessage(run, 'm1', ['x', 'y', 'z']), runFinished(run)]));
    const frames = batch.map((item) => JSON.parse(renderItem(translator, item)) as { type: string; seq: number; first_seq?: number; payload: Record<string, unknown> });
    expect(frames.map((frame) => [frame.type, frame.seq, frame.first_seq ?? null])).toEqual([
      ['agent_thinking', 2, 1],
      ['TEXT_MESSAGE_START', 3, null],
      ['TEXT_MESSAGE_CONTENT', 6, 4],
      ['TEXT_MESSAGE_END', 7, null],
      ['agent_completed', 8, null],
    ]);
    expect(AgentEventEnvelopeSchemas.agent_thinking.safeParse(frames[0]).success).toBe(true);
    expect(frames[0]?.payload).toEqual({ reasoning: 'ab' });
    expect(frames[4]?.payload['final_response']).toBe('xyz');
  });

  it('does not count text twice when a resume replays positions the connection has seen', () => {
    const translator = new V1Translator();
    const stream = entries([...textMessage(run, 'm1', ['one ', 'two ', 'three']), runFinished(run)]);
    for (const entry of stream.slice(0, 4)) translator.entry(entry);
    // resume(afterSeq 1): positions 2..4 again, compacted, then the end of the run.
    const frames = compactBatch(stream.slice(1)).map((item) => JSON.parse(renderItem(translator, item)) as { type: string; payload: Record<string, unknown> });
    expect(frames[frames.length - 1]).toMatchObject({ type: 'agent_completed', payload: { final_response: 'one two three' } });
  });

  it('forwards what it cannot translate for want of state: a tool call whose start it never saw', () => {
    const [, , end] = toolCall(run, 'call-9', 'search', {}, null);
    expect(translate([end as AgentEvent])).toEqual([['TOOL_CALL_END', 1, { type: 'TOOL_CALL_END', toolCallId: 'call-9' }]]);
  });

  it('keeps bounded state: at most maxRuns runs and maxToolCalls tool calls, text capped per run, and a run forgotten at its terminal event', () => {
    const limits = { maxRuns: 2, maxToolCalls: 3, maxRunTextChars: 10, maxToolArgsChars: 10 };
    const translator = new V1Translator(limits);
    let seq = 0;
    const feed = (events: AgentEvent[]) => entries(events, seq + 1).map((entry) => ((seq = entry.seq), translator.entry(entry)));
    for (let r = 0; r < 5; r += 1) {
      const ids = runIds(`run-${r}`);
      feed([...textMessage(ids, `m${r}`, ['a']), ...toolCall(ids, `c${r}`, 'tool', {}, null).slice(0, 1)]);
    }
    expect(translator.tracked).toEqual({ runs: 2, toolCalls: 3 });
    const long = runIds('run-long');
    const [completed] = feed([...textMessage(long, 'mx', ['12345', '67890', 'overflow']), runFinished(long)]).slice(-1);
    expect(JSON.parse(completed as string).payload.final_response).toBe('1234567890');
    expect(translator.tracked.runs).toBe(1); // run-long ended; run-4 is still running
    feed([runFinished(runIds('run-4')), failed(runIds('run-long'), 'dead')]);
    expect(translator.tracked).toEqual({ runs: 0, toolCalls: 2 });
  });
});
