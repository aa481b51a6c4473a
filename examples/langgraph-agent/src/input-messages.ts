import { type Message, type ToolCall, contentToText } from '@ag-ui/core';
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';

/** A tool call's arguments as an object (AG-UI carries them as JSON text); {} when they are not a JSON object. */
function argsOf(call: ToolCall): Record<string, unknown> {
  try {
    const args = JSON.parse(call.function.arguments) as unknown;
    return typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * A RunAgentInput's conversation as LangChain messages: user, assistant (with its tool calls),
 * system, developer (as system) and tool messages. Reasoning and activity messages are the
 * client's record of what an agent showed; no model takes them back, so they are left out.
 * A user message's media parts are dropped: the example's model reads text only.
 */
export function langChainMessagesOf(messages: readonly Message[]): BaseMessage[] {
  return messages.flatMap((message): BaseMessage[] => {
    switch (message.role) {
      case 'user':
        return [new HumanMessage({ id: message.id, content: contentToText(message.content) })];
      case 'assistant':
        return [
          new AIMessage({
            id: message.id,
            content: message.content ?? '',
            tool_calls: (message.toolCalls ?? []).map((call) => ({ id: call.id, name: call.function.name, args: argsOf(call), type: 'tool_call' as const })),
          }),
        ];
      case 'system':
      case 'developer':
        return [new SystemMessage({ id: message.id, content: message.content })];
      case 'tool':
        return [new ToolMessage({ id: message.id, content: contentToText(message.content), tool_call_id: message.toolCallId })];
      default:
        return [];
    }
  });
}
