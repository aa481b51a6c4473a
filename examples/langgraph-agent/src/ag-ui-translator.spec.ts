import { type Event, EventType } from '@ag-ui/core';
import { EventSchemas } from '@ag-ui/core/schemas';
import { AIMessageChunk, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { AgUiTranslator } from './ag-ui-translator';
import { MODEL_NODE, TOOLS_NODE, createAgentGraph } from './graph';
import { WordCounterChatModel } from './word-counter-model';

/** The AG-UI events one real graph run translates to, each checked against EventSchemas. */
async function translatedRun(userText: string): Promise<Event[]> {
  const graph = createAgentGraph(new WordCounterChatModel({ tokensPerSecond: 1000 }));
  const translator = new AgUiTranslator();
  const events: Event[] = [];
  for await (const event of graph.streamEvents({ messages: [new HumanMessage(userText)] }, { version: 'v2' })) events.push(...translator.translate(event));
  events.push(...translator.close());
  for (const event of events) expect(EventSchemas.safeParse(event).error).toBeUndefined();
  return events;
}

const streamEvent = (event: string, fields: Partial<StreamEvent> = {}): StreamEvent => ({ event, name: 'x', run_id: 'run-a', metadata: {}, data: {}, ...fields });

describe("AgUiTranslator: a LangGraph run's streamEvents as AG-UI events", () => {
  it('makes each node a step, the tool call a streamed TOOL_CALL with its result, and the answer a streamed text message', async () => {
    const events = await translatedRun('hello there friend');

    const types = events.map((event) => event.type);
    const contentCount = types.filter((type) => type === EventType.TEXT_MESSAGE_CONTENT).length;
    expect(types).toEqual([
      EventType.STEP_STARTED,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.STEP_FINISHED,
      EventType.STEP_STARTED,
      EventType.TOOL_CALL_RESULT,
      EventType.STEP_FINISHED,
      EventType.STEP_STARTED,
      EventType.TEXT_MESSAGE_START,
      ...Array<EventType>(contentCount).fill(EventType.TEXT_MESSAGE_CONTENT),
      EventType.TEXT_MESSAGE_END,
      EventType.STEP_FINISHED,
    ]);
    const steps = events.flatMap((event) => (event.type === EventType.STEP_STARTED || event.type === EventType.STEP_FINISHED ? [`${event.type} ${event.stepName}`] : []));
    expect(steps).toEqual([
      `STEP_STARTED ${MODEL_NODE}`,
      `STEP_FINISHED ${MODEL_NODE}`,
      `STEP_STARTED ${TOOLS_NODE}`,
      `STEP_FINISHED ${TOOLS_NODE}`,
      `STEP_STARTED ${MODEL_NODE}`,
      `STEP_FINISHED ${MODEL_NODE}`,
    ]);

    const start = events.find((event) => event.type === EventType.TOOL_CALL_START);
    const toolCallId = start?.type === EventType.TOOL_CALL_START ? start.toolCallId : '';
    expect(start).toMatchObject({ toolCallName: 'word_count', parentMessageId: expect.any(String) });
    const args = events.flatMap((event) => (event.type === EventType.TOOL_CALL_ARGS ? [event] : []));
    expect(args.every((event) => event.toolCallId === toolCallId)).toBe(true);
    expect(args.map((event) => event.delta).join('')).toBe('{"text":"hello there friend"}');
    expect(events.find((event) => event.type === EventType.TOOL_CALL_RESULT)).toEqual({
      type: EventType.TOOL_CALL_RESULT,
      messageId: `${toolCallId}-result`,
      toolCallId,
      content: '{"words":3}',
      role: 'tool',
    });

    const textStart = events.find((event) => event.type === EventType.TEXT_MESSAGE_START);
    const messageId = textStart?.type === EventType.TEXT_MESSAGE_START ? textStart.messageId : '';
    expect(textStart).toMatchObject({ role: 'assistant' });
    const deltas = events.flatMap((event) => (event.type === EventType.TEXT_MESSAGE_CONTENT ? [event] : []));
    expect(deltas.every((event) => event.messageId === messageId)).toBe(true);
    expect(deltas.map((event) => event.delta)).toEqual(['"hello ', 'there ', 'friend" ', 'has ', '3 ', 'words.']);
    expect(events.find((event) => event.type === EventType.TEXT_MESSAGE_END)).toEqual({ type: EventType.TEXT_MESSAGE_END, messageId });
  });

  it('translates nothing for the runnables inside a node, nor for LangGraph\'s hidden __start__ node', () => {
    const translator = new AgUiTranslator();
    expect(translator.translate(streamEvent('on_chain_start', { name: 'RunnableLambda', metadata: { langgraph_node: 'model' }, tags: [] }))).toEqual([]);
    expect(translator.translate(streamEvent('on_chain_start', { name: '__start__', metadata: { langgraph_node: '__start__' }, tags: ['graph:step:0', 'langsmith:hidden'] }))).toEqual([]);
    expect(translator.translate(streamEvent('on_chain_end', { name: 'RunnableLambda' }))).toEqual([]);
    expect(translator.translate(streamEvent('on_tool_end', { data: { output: 'not a ToolMessage' } }))).toEqual([]);
    expect(translator.close()).toEqual([]);
  });

  it('drops a nameless piece of a tool call never started, and keeps a tool result\'s own message id', () => {
    const translator = new AgUiTranslator();
    const nameless = new AIMessageChunk({ id: 'msg-1', content: '', tool_call_chunks: [{ type: 'tool_call_chunk', index: 0, args: '{}' }] });
    expect(translator.translate(streamEvent('on_chat_model_stream', { data: { chunk: nameless } }))).toEqual([]);
    const result = new ToolMessage({ id: 'tool-msg-1', content: 'done', tool_call_id: 'call-1' });
    expect(translator.translate(streamEvent('on_tool_end', { data: { output: result } }))).toEqual([
      { type: EventType.TOOL_CALL_RESULT, messageId: 'tool-msg-1', toolCallId: 'call-1', content: 'done', role: 'tool' },
    ]);
  });

  it('closes, on close(), the messages, tool calls and steps whose end never came', () => {
    const translator = new AgUiTranslator();
    translator.translate(streamEvent('on_chain_start', { name: 'model', run_id: 'node-1', metadata: { langgraph_node: 'model' }, tags: ['graph:step:1'] }));
    const chunk = new AIMessageChunk({ id: 'msg-1', content: 'Hi', tool_call_chunks: [{ type: 'tool_call_chunk', index: 0, id: 'call-1', name: 'word_count', args: '' }] });
    expect(translator.translate(streamEvent('on_chat_model_stream', { run_id: 'model-1', data: { chunk } }))).toEqual([
      { type: EventType.TEXT_MESSAGE_START, messageId: 'msg-1', role: 'assistant' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'msg-1', delta: 'Hi' },
      { type: EventType.TOOL_CALL_START, toolCallId: 'call-1', toolCallName: 'word_count', parentMessageId: 'msg-1' },
    ]);
    expect(translator.close()).toEqual([
      { type: EventType.TEXT_MESSAGE_END, messageId: 'msg-1' },
      { type: EventType.TOOL_CALL_END, toolCallId: 'call-1' },
      { type: EventType.STEP_FINISHED, stepName: 'model' },
    ]);
    expect(translator.close()).toEqual([]);
  });
});
