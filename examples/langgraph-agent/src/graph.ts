import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Command, END, MemorySaver, MessagesAnnotation, START, StateGraph, interrupt } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { createWordCountTool } from './word-count-tool';

/** The graph's node names: what STEP_STARTED and STEP_FINISHED carry as stepName. */
export const MODEL_NODE = 'model';
export const TOOLS_NODE = 'tools';
export const APPROVAL_NODE = 'approval';
/** Where a declined call goes: it answers each call with DECLINED_RESULT instead of running the tool. */
export const DECLINED_NODE = 'declined';

/** What the approval node asks (LangGraph's interrupt value): AG-UI's Interrupt fields, id aside. */
export interface ApprovalQuestion {
  readonly reason: 'tool_approval';
  readonly message: string;
  readonly toolCallId?: string;
  readonly responseSchema: Readonly<Record<string, unknown>>;
}

/** The answer the approval question takes: `{approved: true}` runs the tool, `{approved: false}` does not. */
export const APPROVAL_SCHEMA = {
  type: 'object',
  properties: { approved: { type: 'boolean', description: 'run the tool (true) or not (false)' } },
  required: ['approved'],
  additionalProperties: false,
} as const;

/** The tool result the model gets for a call the user declined. */
export const DECLINED_RESULT = JSON.stringify({ declined: true });

export interface AgentGraphOptions {
  /**
   * Ask before each tool call (LangGraph's interrupt(): the run ends with AG-UI's interrupt outcome
   * and a new run resumes it with the answer). Needs a checkpointer: a MemorySaver is used.
   */
  readonly requireApproval?: boolean;
}

/**
 * The agent: a LangGraph StateGraph over a list of messages, the usual tool loop. The model node
 * asks the chat model (with word_count bound); when its answer calls tools the tools node runs
 * them (after the approval node, when approval is required) and the model is asked again; an
 * answer without tool calls ends the run.
 */
export function createAgentGraph(model: BaseChatModel, options: AgentGraphOptions = {}) {
  const tools = [createWordCountTool()];
  if (model.bindTools === undefined) throw new TypeError(`the chat model ${model._llmType()} cannot bind tools`);
  const modelWithTools = model.bindTools(tools);
  const graph = new StateGraph(MessagesAnnotation).addNode(MODEL_NODE, async (state, config) => ({ messages: [await modelWithTools.invoke(state.messages, config)] }));
  if (options.requireApproval !== true) {
    return graph
      .addNode(TOOLS_NODE, new ToolNode(tools))
      .addEdge(START, MODEL_NODE)
      .addConditionalEdges(MODEL_NODE, toolsCondition, [TOOLS_NODE, END])
      .addEdge(TOOLS_NODE, MODEL_NODE)
      .compile();
  }
  return graph
    .addNode(APPROVAL_NODE, approveToolCalls, { ends: [TOOLS_NODE, DECLINED_NODE] })
    .addNode(TOOLS_NODE, new ToolNode(tools))
    // a tool node too, so every call still gets its result (AG-UI's TOOL_CALL_RESULT): that it was declined
    .addNode(DECLINED_NODE, new ToolNode(tools.map((each) => createDeclinedTool(each.name))))
    .addEdge(START, MODEL_NODE)
    .addConditionalEdges(MODEL_NODE, (state) => (toolsCondition(state) === END ? END : APPROVAL_NODE), [APPROVAL_NODE, END])
    .addEdge(TOOLS_NODE, MODEL_NODE)
    .addEdge(DECLINED_NODE, MODEL_NODE)
    .compile({ checkpointer: new MemorySaver() });
}

/** A stand-in for the tool `name` that runs nothing and answers DECLINED_RESULT. */
function createDeclinedTool(name: string) {
  return tool(async () => DECLINED_RESULT, { name, description: 'Answers that the user declined the call.', schema: { type: 'object', properties: {} } });
}

/** Asks the user about the model's tool calls (interrupt); runs them when approved, else answers each as declined. */
function approveToolCalls(state: typeof MessagesAnnotation.State): Command {
  const last = state.messages.at(-1);
  const calls = last !== undefined && AIMessage.isInstance(last) ? (last.tool_calls ?? []) : [];
  const first = calls[0];
  const question: ApprovalQuestion = {
    reason: 'tool_approval',
    message: first === undefined ? 'Run the tool?' : `Run ${first.name} on ${JSON.stringify(first.args)}?`,
    ...(first?.id === undefined ? {} : { toolCallId: first.id }),
    responseSchema: APPROVAL_SCHEMA,
  };
  const answer: unknown = interrupt(question);
  return new Command({ goto: (answer as { approved?: unknown } | null)?.approved === true ? TOOLS_NODE : DECLINED_NODE });
}

export type AgentGraph = ReturnType<typeof createAgentGraph>;
