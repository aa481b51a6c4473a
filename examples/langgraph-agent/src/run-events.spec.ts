import { type Event, EventType } from '@ag-ui/core';
import { EventSchemas } from '@ag-ui/core/schemas';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { createAgentGraph } from './graph';
import { AGENT_ERROR_CODE, type MessagesGraph, type RunRequest, runEvents } from './run-events';
import { WordCounterChatModel } from './word-counter-model';

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
});
