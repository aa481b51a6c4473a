import type { AgentRunRequest, RunId, ThreadId, UserId } from './agent-test-imports.test-helpers';
import { recordingReporter } from './agent-test-reporter.test-helpers';
import { DemoAgent, planToolCalls } from './demo-agent';
import { createDemoTools } from './tools';

const fixedNow = () => new Date('2026-03-01T12:00:00Z');

async function runDemo(text: string, signal = new AbortController().signal, answers: unknown[] = []) {
  const { reporter, events, overtaken } = recordingReporter(answers);
  const request: AgentRunRequest = {
    runId: 'run-1' as RunId,
    threadId: 'thread-1' as ThreadId,
    userId: 'alice' as UserId,
    input: text,
    tools: createDemoTools(fixedNow),
    signal,
    reporter,
  };
  const result = await new DemoAgent(100_000).run(request);
  return { result, events, overtaken: overtaken() };
}

describe('planToolCalls', () => {
  it('finds arithmetic, counting and time requests', () => {
    expect(planToolCalls('what is (2+3)*4?').map((c) => [c.tool, c.parameters])).toEqual([['calculator', { expression: '(2+3)*4' }]]);
    expect(planToolCalls('count the words in "to be or not to be"').map((c) => [c.tool, c.parameters])).toEqual([['word_count', { text: 'to be or not to be' }]]);
    expect(planToolCalls('what time is it in Europe/Paris?').map((c) => [c.tool, c.parameters])).toEqual([['current_time', { time_zone: 'Europe/Paris' }]]);
    expect(planToolCalls('what time is it?')[0]?.parameters).toEqual({}); // no place named: the agent asks
    expect(planToolCalls('hello there')).toEqual([]);
    expect(planToolCalls('1+1 and 2*3').map((c) => c.parameters['expression'])).toEqual(['1+1', '2*3']);
  });
});

describe('DemoAgent', () => {
  it('streams its reasoning, calls the calculator and streams an answer built from its real result', async () => {
    const { result, events } = await runDemo('what is (2+3)*4?');
    expect(events.map((e) => e.kind)).toEqual(['reasoning', 'thinking', 'tool_started', 'tool_completed', 'thinking', 'text']);
    expect(events[3]).toEqual({ kind: 'tool_completed', tool: 'calculator', results: { expression: '(2+3)*4', value: 20 }, success: true });
    expect(events[5]).toEqual({ kind: 'text', text: '(2+3)*4 = 20.', deltas: 3 });
    expect(result.finalResponse).toBe('(2+3)*4 = 20.');
  });

  it('asks which time zone when a request for the time names no place, and uses the answer', async () => {
    const { result, events } = await runDemo('what time is it?', undefined, [{ time_zone: 'Asia/Tokyo' }]);
    const ask = events.find((e) => e.kind === 'ask');
    expect(ask).toMatchObject({ question: { reason: 'input_required', message: expect.stringMatching(/time zone/) } });
    expect(events.find((e) => e.kind === 'tool_started')).toEqual({ kind: 'tool_started', tool: 'current_time', parameters: { time_zone: 'Asia/Tokyo' } });
    expect(result.finalResponse).toContain('in Asia/Tokyo.');
  });

  it('uses several tools for one request and reports a failing tool as unsuccessful', async () => {
    const { result, events } = await runDemo('what is 1/0 and what time is it in Asia/Tokyo?');
    const completed = events.filter((e) => e.kind === 'tool_completed');
    expect(completed.map((e) => [e.tool, e.success])).toEqual([['calculator', false], ['current_time', true]]);
    expect(result.finalResponse).toContain('calculator failed: the result is not a finite number');
    expect(result.finalResponse).toContain('in Asia/Tokyo.');
  });

  it('awaits every report before the next, so a busy stream paces it', async () => {
    const { events, overtaken } = await runDemo('what is 1/0 and what time is it in Asia/Tokyo?');
    expect(events.length).toBeGreaterThan(5);
    expect(overtaken).toBe(0);
  });

  it('gives the same events for the same input', async () => {
    const a = await runDemo('count the characters in "hello world" and compute 3^4');
    const b = await runDemo('count the characters in "hello world" and compute 3^4');
    expect(a.events).toEqual(b.events);
    expect(a.result).toEqual(b.result);
  });

  it('explains what it can do when no tool applies', async () => {
    const { result, events } = await runDemo('hello');
    expect(events.map((e) => e.kind)).toEqual(['reasoning', 'text']);
    expect(result.finalResponse).toMatch(/I can evaluate arithmetic/);
  });

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(runDemo('what is 2+2?', controller.signal)).rejects.toThrow('cancelled');
  });
});
