import { type Event, EventType, type Interrupt, type Message, type ResumeEntry } from '@ag-ui/core';
import type { BaseMessage } from '@langchain/core/messages';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { Command } from '@langchain/langgraph';
import { AgUiTranslator } from './ag-ui-translator';
import { langChainMessagesOf } from './input-messages';

/** How a run addresses its thread's checkpoints. */
interface ThreadConfig {
  readonly configurable: { readonly thread_id: string };
}

/** A question the graph left open (LangGraph's interrupt(): its id and the value the node passed). */
interface PendingInterrupt {
  readonly id?: string;
  readonly value?: unknown;
}

/** LangGraph's Command that resumes a paused thread with the answers (it goes to no node of its own). */
type ResumeCommand = Command<unknown, { messages?: BaseMessage[] }, never>;

/** The part of a compiled LangGraph graph a run uses (a CompiledStateGraph over messages is one). */
export interface MessagesGraph {
  streamEvents(input: { messages: BaseMessage[] } | ResumeCommand, options: ThreadConfig & { version: 'v2'; signal: AbortSignal }): AsyncIterable<StreamEvent>;
  /** Set when the graph was compiled with one: only then can it pause on interrupt(). */
  readonly checkpointer?: unknown;
  /** What a paused thread waits on (needs the checkpointer). */
  getState?(config: ThreadConfig): Promise<{ readonly tasks: readonly { readonly interrupts?: readonly PendingInterrupt[] }[] }>;
}

/** What a run reads of its RunAgentInput. */
export interface RunRequest {
  readonly threadId: string;
  readonly runId: string;
  readonly messages: readonly Message[];
  /** Answers to the interrupts that ended the thread's previous run (AG-UI's resume entries). */
  readonly resume?: readonly ResumeEntry[];
}

/** The RUN_ERROR code of a run the graph failed. */
export const AGENT_ERROR_CODE = 'AGENT_ERROR';

/**
 * The graph's input for a run: the conversation, or, when the run answers interrupts, LangGraph's
 * Command({resume}) (one answer as it is; several by interrupt id). A cancelled entry resumes with
 * `{cancelled: true}` (LangGraph reads a null resume as none, and would ask again), which the
 * approval node reads as "not approved".
 */
function graphInput(request: RunRequest): { messages: BaseMessage[] } | ResumeCommand {
  const resume = request.resume ?? [];
  if (resume.length === 0) return { messages: langChainMessagesOf(request.messages) };
  const answerOf = (entry: ResumeEntry): unknown => (entry.status === 'resolved' ? entry.payload : { cancelled: true });
  const [only] = resume;
  return new Command<unknown, { messages?: BaseMessage[] }, never>({ resume: resume.length === 1 && only !== undefined ? answerOf(only) : Object.fromEntries(resume.map((entry) => [entry.interruptId, answerOf(entry)])) });
}

/** AG-UI's Interrupt for a LangGraph interrupt whose value is a question object ({reason, message?, toolCallId?, responseSchema?}). */
function agUiInterruptOf(pending: PendingInterrupt, index: number): Interrupt {
  const value = (typeof pending.value === 'object' && pending.value !== null ? pending.value : {}) as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof value[key] === 'string' ? value[key] : undefined);
  const message = text('message') ?? (typeof pending.value === 'string' ? pending.value : undefined);
  const toolCallId = text('toolCallId');
  const schema = value['responseSchema'];
  return {
    id: pending.id ?? `interrupt-${index}`,
    reason: text('reason') ?? 'input_required',
    ...(message === undefined ? {} : { message }),
    ...(toolCallId === undefined ? {} : { toolCallId }),
    ...(typeof schema === 'object' && schema !== null ? { responseSchema: schema as Record<string, unknown> } : {}),
  };
}

/**
 * One run of `graph` as AG-UI events: RUN_STARTED, the graph's streamed events translated
 * (AgUiTranslator), then RUN_FINISHED: outcome `interrupt` with the questions when the graph
 * paused on interrupt() (the next run answers them in `resume`), `success` otherwise; RUN_ERROR
 * when the graph fails. `signal` stops the graph (LangGraph passes it down to the model and the
 * tools): after an abort nothing more is yielded and the generator throws the abort's reason.
 */
export async function* runEvents(graph: MessagesGraph, request: RunRequest, signal: AbortSignal): AsyncGenerator<Event> {
  const { threadId, runId } = request;
  yield { type: EventType.RUN_STARTED, threadId, runId };
  const translator = new AgUiTranslator();
  const config: ThreadConfig = { configurable: { thread_id: threadId } };
  let interrupts: Interrupt[] = [];
  try {
    const stream = graph.streamEvents(graphInput(request), { ...config, version: 'v2', signal });
    for await (const event of stream) {
      for (const agUiEvent of translator.translate(event)) {
        signal.throwIfAborted();
        yield agUiEvent;
      }
    }
    const state = graph.checkpointer ? await graph.getState?.(config) : undefined;
    interrupts = (state?.tasks ?? []).flatMap((task) => task.interrupts ?? []).map(agUiInterruptOf);
  } catch (error) {
    signal.throwIfAborted();
    yield* translator.close();
    yield { type: EventType.RUN_ERROR, message: error instanceof Error ? error.message : String(error), code: AGENT_ERROR_CODE };
    return;
  }
  signal.throwIfAborted();
  yield* translator.close();
  yield { type: EventType.RUN_FINISHED, threadId, runId, outcome: interrupts.length > 0 ? { type: 'interrupt', interrupts } : { type: 'success' } };
}
