import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { createWordCountTool } from './word-count-tool';

/** The graph's node names: what STEP_STARTED and STEP_FINISHED carry as stepName. */
export const MODEL_NODE = 'model';
export const TOOLS_NODE = 'tools';

/**
 * The agent: a LangGraph StateGraph over a list of messages, the usual tool loop. The model node
 * asks the chat model (with word_count bound); when its answer calls tools the tools node runs
 * them and the model is asked again; an answer without tool calls ends the run.
 */
export function createAgentGraph(model: BaseChatModel) {
  const tools = [createWordCountTool()];
  if (model.bindTools === undefined) throw new TypeError(`the chat model ${model._llmType()} cannot bind tools`);
  const modelWithTools = model.bindTools(tools);
  return new StateGraph(MessagesAnnotation)
    .addNode(MODEL_NODE, async (state, config) => ({ messages: [await modelWithTools.invoke(state.messages, config)] }))
    .addNode(TOOLS_NODE, new ToolNode(tools))
    .addEdge(START, MODEL_NODE)
    .addConditionalEdges(MODEL_NODE, toolsCondition, [TOOLS_NODE, END])
    .addEdge(TOOLS_NODE, MODEL_NODE)
    .compile();
}

export type AgentGraph = ReturnType<typeof createAgentGraph>;
