import { checkEventStreams, checkRunEventOrder, checkUserStream } from './index';
import type { OrderedEvent } from './index';

const ids = { run_id: 'run-1', thread_id: 'thread-1' };
const e = (type: string, payload: Record<string, unknown> = {}, extra: Partial<OrderedEvent> = {}): OrderedEvent => ({ type, ...ids, payload, ...extra });

const goodRun = [
  e('agent_started', { agent_name: 'demo', input: 'x' }),
  e('agent_thinking', { reasoning: 'r' }),
  e('tool_executing', { tool_name: 'calc', parameters: {} }),
  e('agent_thinking', { reasoning: 'waiting' }),
  e('tool_completed', { tool_name: 'calc', results: 4, duration_ms: 1, success: true }),
  e('agent_completed', { status: 'completed', final_response: '4', duration_ms: 3, event_count: 6 }),
];

describe('checkRunEventOrder', () => {
  it('accepts a run that follows the contract', () => {
    expect(checkRunEventOrder(goodRun)).toEqual({ ok: true, problems: [] });
    expect(checkRunEventOrder([e('agent_started'), e('agent_cancelled')]).ok).toBe(true);
    expect(checkRunEventOrder([e('agent_started'), e('tool_executing', { tool_name: 'slow' }), e('agent_error', { code: 'timed_out' })]).ok).toBe(true);
  });

  it.each([
    ['nothing', [], 'no events'],
    ['a run not starting with agent_started', [e('agent_thinking'), e('agent_completed')], 'event 1 is agent_thinking, expected agent_started first'],
    ['a second agent_started', [e('agent_started'), e('agent_started'), e('agent_completed')], 'event 2 (agent_started): agent_started again'],
    ['tool_completed without tool_executing', [e('agent_started'), e('tool_completed', { tool_name: 'calc' }), e('agent_completed')], 'tool_completed for calc without a tool_executing before it'],
    ['tool_completed of another tool', [e('agent_started'), e('tool_executing', { tool_name: 'a' }), e('tool_completed', { tool_name: 'b' }), e('agent_error')], 'tool_completed for b without a tool_executing'],
    ['no terminal event', [e('agent_started'), e('agent_thinking')], 'no terminal event'],
    ['two terminal events', [e('agent_started'), e('agent_completed'), e('agent_error')], 'event 3 (agent_error) follows the terminal event agent_completed (event 2)'],
    ['an event after the end', [e('agent_started'), e('agent_cancelled'), e('agent_thinking')], 'follows the terminal event agent_cancelled'],
    ['a mixed-up run id', [e('agent_started'), e('agent_completed', {}, { run_id: 'run-2' })], 'has run_id run-2, expected run-1'],
    ['completion with a tool still running', [e('agent_started'), e('tool_executing', { tool_name: 'calc' }), e('agent_completed')], 'agent_completed while calc still executing'],
    ['falling seq', [e('agent_started', {}, { seq: 5 }), e('agent_completed', {}, { seq: 4 })], 'has seq 4 after 5'],
    ['a non-agent message', [e('agent_started'), e('pong'), e('agent_completed')], 'event 2 (pong) is not an agent event'],
  ])('reports %s', (_name, events, problem) => {
    const report = checkRunEventOrder(events);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain(problem);
  });

  it('reports every problem, not only the first', () => {
    const report = checkRunEventOrder([e('agent_thinking'), e('tool_completed', { tool_name: 'x' })]);
    expect(report.problems).toHaveLength(3);
  });
});

describe('checkEventStreams', () => {
  it('checks interleaved runs separately and skips other messages', () => {
    const other = goodRun.map((event) => ({ ...event, run_id: 'run-2' }));
    const interleaved = goodRun.flatMap((event, i) => [event, other[i] as OrderedEvent, { type: 'note', payload: {} }]);
    expect(checkEventStreams(interleaved)).toEqual({ ok: true, problems: [], runs: 2 });
    const broken = checkEventStreams([...goodRun, { ...ids, run_id: 'run-3', type: 'agent_completed' }]);
    expect(broken.ok).toBe(false);
    expect(broken.problems[0]).toMatch(/^run-3: /);
  });
});

describe('checkRunEventOrder on an AG-UI run (agentwire.v2)', () => {
  const g = (type: string, payload: Record<string, unknown> = {}): OrderedEvent => ({ type, ...ids, payload: { type, ...payload } });
  const started = g('RUN_STARTED', { threadId: 'thread-1', runId: 'run-1' });
  const finished = g('RUN_FINISHED', { threadId: 'thread-1', runId: 'run-1' });
  const answer = [g('TEXT_MESSAGE_START', { messageId: 'm1' }), g('TEXT_MESSAGE_CONTENT', { messageId: 'm1', delta: 'Hi' }), g('TEXT_MESSAGE_END', { messageId: 'm1' })];
  const tool = [
    g('TOOL_CALL_START', { toolCallId: 'c1', toolCallName: 'calc' }),
    g('TOOL_CALL_ARGS', { toolCallId: 'c1', delta: '{}' }),
    g('TOOL_CALL_END', { toolCallId: 'c1' }),
    g('TOOL_CALL_RESULT', { toolCallId: 'c1', messageId: 'r1', content: '4' }),
  ];

  it('accepts a run that streams text, reasoning, a tool call and steps, then finishes', () => {
    const run = [started, g('REASONING_MESSAGE_CHUNK', { messageId: 'x', delta: 'thinking' }), g('STEP_STARTED', { stepName: 's' }), ...tool, g('STEP_FINISHED', { stepName: 's' }), ...answer, finished];
    expect(checkRunEventOrder(run)).toEqual({ ok: true, problems: [] });
    expect(checkRunEventOrder([started, g('TEXT_MESSAGE_START', { messageId: 'm1' }), g('RUN_ERROR', { message: 'x', code: 'dead' })]).ok).toBe(true);
  });

  it('reports content of a message never started, a result before its call ended, and a finish with something open', () => {
    expect(checkRunEventOrder([started, g('TEXT_MESSAGE_CONTENT', { messageId: 'm9', delta: 'x' }), finished]).problems).toEqual(['event 2 (TEXT_MESSAGE_CONTENT): messageId m9 is not open']);
    expect(checkRunEventOrder([started, tool[0] as OrderedEvent, tool[3] as OrderedEvent, finished]).problems[0]).toMatch(/result of tool call c1 before its TOOL_CALL_END/);
    expect(checkRunEventOrder([started, g('STEP_STARTED', { stepName: 's' }), finished]).problems).toEqual(['event 3 (RUN_FINISHED): RUN_FINISHED while STEP_STARTED:s still open']);
  });

  it('reports events after the terminal one, a second RUN_STARTED, a payload of another type, and no terminal event', () => {
    expect(checkRunEventOrder([started, finished, ...answer]).problems).toHaveLength(3);
    expect(checkRunEventOrder([started, started, finished]).problems).toContain('event 2 (RUN_STARTED): RUN_STARTED again');
    expect(checkRunEventOrder([started, { ...finished, payload: { type: 'RUN_ERROR' } }]).problems[0]).toMatch(/payload.type RUN_ERROR/);
    expect(checkRunEventOrder([started, ...answer]).problems).toEqual(['no terminal event (RUN_FINISHED or RUN_ERROR)']);
  });
});

describe('checkUserStream', () => {
  const m = (seq: number | null, user_id = 'alice'): OrderedEvent => ({ type: 'note', seq, user_id });
  it('accepts consecutive seqs for one user, with connection messages in between', () => {
    expect(checkUserStream([m(null), m(1), m(2), m(null), m(3)], 'alice').ok).toBe(true);
    expect(checkUserStream([m(5), m(6)], 'alice', { afterSeq: 4 }).ok).toBe(true);
  });

  it('accepts a compacted delta whose first_seq follows the previous position, and refuses one that skips or overlaps', () => {
    const folded = (first_seq: number, seq: number): OrderedEvent => ({ type: 'TEXT_MESSAGE_CONTENT', seq, first_seq, user_id: 'alice' });
    expect(checkUserStream([m(1), folded(2, 9), m(10)], 'alice').ok).toBe(true);
    expect(checkUserStream([folded(5, 9)], 'alice', { afterSeq: 4 }).ok).toBe(true);
    expect(checkUserStream([m(1), folded(3, 9)], 'alice').problems).toEqual(['message 2 (TEXT_MESSAGE_CONTENT) covers 3..9, expected it to start at 2']);
    expect(checkUserStream([m(1), m(2), folded(2, 9)], 'alice').ok).toBe(false);
    expect(checkUserStream([folded(9, 2)], 'alice').ok).toBe(false);
  });

  it('reports gaps, repeats and messages of another user', () => {
    expect(checkUserStream([m(1), m(3)], 'alice').problems).toEqual(['message 2 (note) has seq 3, expected 2']);
    expect(checkUserStream([m(1), m(1)], 'alice').ok).toBe(false);
    expect(checkUserStream([m(1, 'bob')], 'alice').problems[0]).toMatch(/addressed to bob/);
    expect(checkUserStream([m(6)], 'alice', { afterSeq: 4 }).ok).toBe(false);
  });
});
