import { type Event, EventType } from '@ag-ui/core';
import { AIMessageChunk, ToolMessage } from '@langchain/core/messages';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';

/** A tool call a model message opened: its id, by the index its chunks carry. */
type OpenToolCalls = Map<number, string>;

/** One streaming chat model call: the text message and the tool calls it has opened. */
interface ModelCall {
  readonly messageId: string;
  textOpen: boolean;
  readonly toolCalls: OpenToolCalls;
}

const STEP_TAG_PREFIX = 'graph:step:';
const HIDDEN_TAG = 'langsmith:hidden';

/** True for the chain event of a graph node itself (not of a runnable inside it, nor LangGraph's hidden __start__). */
function isGraphNode(event: StreamEvent): boolean {
  const tags = event.tags ?? [];
  return event.metadata['langgraph_node'] === event.name && tags.some((tag) => tag.startsWith(STEP_TAG_PREFIX)) && !tags.includes(HIDDEN_TAG);
}

function textOf(content: ToolMessage['content']): string {
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/**
 * Turns one LangGraph run's `streamEvents(…, {version: 'v2'})` into AG-UI events, in order:
 * each graph node is a step (STEP_STARTED … STEP_FINISHED, stepName = the node's name); a chat
 * model's streamed text is a text message (START, one CONTENT per chunk, END when the model call
 * ends) whose id is the model message's; its tool call chunks are tool calls (START with the
 * call's id and name, ARGS per chunk, END when the model call ends); a tool's ToolMessage is the
 * TOOL_CALL_RESULT of its call. RUN_STARTED and RUN_FINISHED are the caller's to send.
 */
export class AgUiTranslator {
  /** Open chat model calls, by their run_id. */
  private readonly modelCalls = new Map<string, ModelCall>();
  /** Running graph nodes, by their run_id: their names. */
  private readonly steps = new Map<string, string>();

  translate(event: StreamEvent): Event[] {
    switch (event.event) {
      case 'on_chain_start':
        if (!isGraphNode(event)) return [];
        this.steps.set(event.run_id, event.name);
        return [{ type: EventType.STEP_STARTED, stepName: event.name }];
      case 'on_chain_end': {
        const stepName = this.steps.get(event.run_id);
        if (stepName === undefined) return [];
        this.steps.delete(event.run_id);
        return [{ type: EventType.STEP_FINISHED, stepName }];
      }
      case 'on_chat_model_stream':
        return AIMessageChunk.isInstance(event.data.chunk) ? this.modelChunk(event.run_id, event.data.chunk) : [];
      case 'on_chat_model_end': {
        const call = this.modelCalls.get(event.run_id);
        this.modelCalls.delete(event.run_id);
        return call === undefined ? [] : closingEvents(call);
      }
      case 'on_tool_end': {
        const output: unknown = event.data.output;
        if (!ToolMessage.isInstance(output)) return [];
        const toolCallId = output.tool_call_id;
        return [{ type: EventType.TOOL_CALL_RESULT, messageId: output.id ?? `${toolCallId}-result`, toolCallId, content: textOf(output.content), role: 'tool' }];
      }
      default:
        return [];
    }
  }

  /** Closes whatever is still open (a model call whose end never came), so the stream stays well-formed. */
  close(): Event[] {
    const events = [...this.modelCalls.values()].flatMap(closingEvents);
    events.push(...[...this.steps.values()].map((stepName): Event => ({ type: EventType.STEP_FINISHED, stepName })));
    this.modelCalls.clear();
    this.steps.clear();
    return events;
  }

  private modelChunk(runId: string, chunk: AIMessageChunk): Event[] {
    let call = this.modelCalls.get(runId);
    if (call === undefined) {
      call = { messageId: chunk.id ?? runId, textOpen: false, toolCalls: new Map() };
      this.modelCalls.set(runId, call);
    }
    const events: Event[] = [];
    const text = chunk.text;
    if (text !== '') {
      if (!call.textOpen) events.push({ type: EventType.TEXT_MESSAGE_START, messageId: call.messageId, role: 'assistant' });
      call.textOpen = true;
      events.push({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: call.messageId, delta: text });
    }
    for (const piece of chunk.tool_call_chunks ?? []) {
      const index = piece.index ?? 0;
      let toolCallId = call.toolCalls.get(index);
      if (toolCallId === undefined) {
        // a call's first chunk names it; a nameless piece of a call never started is dropped
        if (piece.name === undefined) continue;
        toolCallId = piece.id ?? `${call.messageId}-call-${index}`;
        call.toolCalls.set(index, toolCallId);
        events.push({ type: EventType.TOOL_CALL_START, toolCallId, toolCallName: piece.name, parentMessageId: call.messageId });
      }
      if (piece.args !== undefined && piece.args !== '') events.push({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta: piece.args });
    }
    return events;
  }
}

function closingEvents(call: ModelCall): Event[] {
  const events: Event[] = [];
  if (call.textOpen) events.push({ type: EventType.TEXT_MESSAGE_END, messageId: call.messageId });
  for (const toolCallId of call.toolCalls.values()) events.push({ type: EventType.TOOL_CALL_END, toolCallId });
  return events;
}
