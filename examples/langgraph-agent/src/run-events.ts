import { type Event, EventType, type Message } from '@ag-ui/core';
import type { BaseMessage } from '@langchain/core/messages';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { AgUiTranslator } from './ag-ui-translator';
import { langChainMessagesOf } from './input-messages';

/** The part of a compiled LangGraph graph a run uses (a CompiledStateGraph over messages is one). */
export interface MessagesGraph {
  streamEvents(input: { messages: BaseMessage[] }, options: { version: 'v2'; signal: AbortSignal; configurable: { thread_id: string } }): AsyncIterable<StreamEvent>;
}

/** What a run reads of its RunAgentInput. */
export interface RunRequest {
  readonly threadId: string;
  readonly runId: string;
  readonly messages: readonly Message[];
}

/** The RUN_ERROR code of a run the graph failed. */
export const AGENT_ERROR_CODE = 'AGENT_ERROR';

/**
 * One run of `graph` as AG-UI events: RUN_STARTED, the graph's streamed events translated
 * (AgUiTranslator), then RUN_FINISHED (outcome success), or RUN_ERROR when the graph fails.
 * `signal` stops the graph (LangGraph passes it down to the model and the tools): after an abort
 * nothing more is yielded and the generator throws the abort's reason, since no one is listening.
 */
export async function* runEvents(graph: MessagesGraph, request: RunRequest, signal: AbortSignal): AsyncGenerator<Event> {
  const { threadId, runId } = request;
  yield { type: EventType.RUN_STARTED, threadId, runId };
  const translator = new AgUiTranslator();
  try {
    const stream = graph.streamEvents({ messages: langChainMessagesOf(request.messages) }, { version: 'v2', signal, configurable: { thread_id: threadId } });
    for await (const event of stream) {
      for (const agUiEvent of translator.translate(event)) {
        signal.throwIfAborted();
        yield agUiEvent;
      }
    }
  } catch (error) {
    signal.throwIfAborted();
    yield* translator.close();
    yield { type: EventType.RUN_ERROR, message: error instanceof Error ? error.message : String(error), code: AGENT_ERROR_CODE };
    return;
  }
  signal.throwIfAborted();
  yield* translator.close();
  yield { type: EventType.RUN_FINISHED, threadId, runId, outcome: { type: 'success' } };
}
