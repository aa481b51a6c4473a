import { type Event, EventType } from '@ag-ui/core';
import { EventSchemas } from '@ag-ui/core/schemas';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { APPROVAL_SCHEMA, createAgentGraph } from './graph';
import { AGENT_ERROR_CODE, type MessagesGraph, type RunRequest, runEvents } from './run-events';
import { DECLINED_ANSWER, WordCounterChatModel } from './word-counter-model';

const request: RunRequest = {
  threadId: 'thread-1',
  runId: 'run-1',
  messages: [
    { id: 'm-0', role: 'system', content: 'Be brief.' },
    { id: 'm-1', role: 'user', content: 'an earlier question' },
    { id: 'm-2', role: 'assistant', content: 'an earlier answer' },
    { id: 'm-3', role: 'user', content: [{ type: 'text', text: 'count these four words' }] },
  ],
};

async function collect(events: AsyncIterable<Event>): Promise<Event[]> {
  const collected: Event[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

/** A graph whose stream fails after its first event. */
const failingGraph: MessagesGraph = {
  async *streamEvents(): AsyncGenerator<StreamEvent> {
    yield { event: 'on_chain_start', name: 'model', run_id: 'node-1', metadata: { langgraph_node: 'model' }, tags: ['graph:step:1'], data: {} };
    throw new Error('the model provider is down');
  },
};

describe('runEvents: one run of the graph as AG-UI events', () => {
  it("opens with RUN_STARTED and closes with one RUN_FINISHED (success), answering the last user message's text", async () => {
    const graph = createAgentGraph(new WordCounterChatModel({ tokensPerSecond: 1000 }));
    const events = await collect(runEvents(graph, request, new AbortController().signal));

    for (const event of events) expect(EventSchemas.safeParse(event).error).toBeUndefined();
    expect(events[0]).toEqual({ type: EventType.RUN_STARTED, threadId: 'thread-1', runId: 'run-1' });
    expect(events.at(-1)).toEqual({ type: EventType.RUN_FINISHED, threadId: 'thread-1', runId: 'run-1', outcome: { type: 'success' } });
    expect(events.filter((event) => event.type === EventType.RUN_FINISHED || event.type === EventType.RUN_ERROR)).toHaveLength(1);
    const text = events.flatMap((event) => (event.type === EventType.TEXT_MESSAGE_CONTENT ? [event.delta] : [])).join('');
    expect(text).toBe('"count these four words" has 4 words.');
  });

  it('ends with RUN_ERROR (after closing what was open) when the graph fails', async () => {
    const events = await collect(runEvents(failingGraph, request, new AbortController().signal));

    expect(events).toEqual([
      { type: EventType.RUN_STARTED, threadId: 'thread-1', runId: 'run-1' },
      { type: EventType.STEP_STARTED, stepName: 'model' },
      { type: EventType.STEP_FINISHED, stepName: 'model' },
      { type: EventType.RUN_ERROR, message: 'the model provider is down', code: AGENT_ERROR_CODE },
    ]);
  });

  it('yields nothing more once its signal aborts, and throws the reason', async () => {
    const graph = createAgentGraph(new WordCounterChatModel({ tokensPerSecond: 100 }));
    const controller = new AbortController();
    const seen: Event[] = [];
    const reason = new Error('the client went away');
    const reading = (async () => {
      for await (const event of runEvents(graph, request, controller.signal)) {
        seen.push(event);
        if (event.type === EventType.TOOL_CALL_START) controller.abort(reason);
      }
    })();

    await expect(reading).rejects.toBe(reason);
    expect(seen.at(-1)?.type).toBe(EventType.TOOL_CALL_START);
  });

  describe('with approval required (LangGraph interrupt() and Command({resume}))', () => {
    const approvalGraph = () => createAgentGraph(new WordCounterChatModel({ tokensPerSecond: 1000 }), { requireApproval: true });
    const ask = (threadId: string): RunRequest => ({ threadId, runId: `${threadId}-run-1`, messages: [{ id: 'u-1', role: 'user', content: 'count these words' }] });
    const answer = (threadId: string, interruptId: string, approved: boolean | null): RunRequest => ({
      threadId,
      runId: `${threadId}-run-2`,
      messages: [],
      resume: approved === null ? [{ interruptId, status: 'cancelled' }] : [{ interruptId, status: 'resolved', payload: { approved } }],
    });
    const textOf = (events: readonly Event[]): string => events.map((event) => (event.type === EventType.TEXT_MESSAGE_CONTENT ? event.delta : '')).join('');

    it('ends the first run with the interrupt outcome before the tool runs, and resumes it with the approval in a second run', async () => {
      const graph = approvalGraph();
      const first = await collect(runEvents(graph, ask('t-approve'), new AbortController().signal));
      for (const event of first) expect(EventSchemas.safeParse(event).error).toBeUndefined();
      const finished = first.at(-1);
      expect(finished).toMatchObject({ type: EventType.RUN_FINISHED, outcome: { type: 'interrupt', interrupts: [{ reason: 'tool_approval', message: expect.stringContaining('word_count') }] } });
      const interrupt = (finished as { outcome: { interrupts: { id: string; toolCallId?: string; responseSchema?: unknown }[] } }).outcome.interrupts[0];
      const toolCall = first.find((event) => event.type === EventType.TOOL_CALL_START);
      expect(interrupt?.toolCallId).toBe((toolCall as { toolCallId?: string } | undefined)?.toolCallId);
      expect(interrupt?.responseSchema).toEqual(APPROVAL_SCHEMA);
      expect(first.some((event) => event.type === EventType.TOOL_CALL_RESULT)).toBe(false);

      const second = await collect(runEvents(graph, answer('t-approve', String(interrupt?.id), true), new AbortController().signal));
      expect(second.filter((event) => event.type === EventType.TOOL_CALL_RESULT)).toHaveLength(1);
      expect(textOf(second)).toBe('"count these words" has 3 words.');
      expect(second.at(-1)).toMatchObject({ type: EventType.RUN_FINISHED, outcome: { type: 'success' } });
    });

    it('answers without running the tool when the user declines, or cancels the question', async () => {
      for (const [thread, approved] of [['t-decline', false], ['t-cancel', null]] as const) {
        const graph = approvalGraph();
        const first = await collect(runEvents(graph, ask(thread), new AbortController().signal));
        const id = (first.at(-1) as { outcome: { interrupts: { id: string }[] } }).outcome.interrupts[0]?.id;
        const second = await collect(runEvents(graph, answer(thread, String(id), approved), new AbortController().signal));
        expect(textOf(second)).toBe(DECLINED_ANSWER);
        // the call still gets its result: that it was declined
        expect(second.filter((event) => event.type === EventType.TOOL_CALL_RESULT)).toEqual([expect.objectContaining({ content: '{"declined":true}' })]);
      }
    });
  });
});
