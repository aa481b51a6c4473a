import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { langChainMessagesOf } from './input-messages';

describe("langChainMessagesOf: a RunAgentInput's messages as LangChain messages", () => {
  it('maps user, assistant (with tool calls), system, developer and tool messages, and leaves reasoning out', () => {
    const messages = langChainMessagesOf([
      { id: 's', role: 'system', content: 'Be brief.' },
      { id: 'd', role: 'developer', content: 'Count words.' },
      { id: 'u', role: 'user', content: [{ type: 'text', text: 'one two' }] },
      { id: 'a', role: 'assistant', toolCalls: [{ id: 'call-1', type: 'function', function: { name: 'word_count', arguments: '{"text":"one two"}' } }] },
      { id: 't', role: 'tool', toolCallId: 'call-1', content: '{"words":2}' },
      { id: 'r', role: 'reasoning', content: 'I should count.' },
    ]);

    expect(messages.map((message) => message.constructor)).toEqual([SystemMessage, SystemMessage, HumanMessage, AIMessage, ToolMessage]);
    expect(messages.map((message) => message.id)).toEqual(['s', 'd', 'u', 'a', 't']);
    expect(messages[2]?.text).toBe('one two');
    expect((messages[3] as AIMessage).tool_calls).toEqual([{ id: 'call-1', name: 'word_count', args: { text: 'one two' }, type: 'tool_call' }]);
    expect((messages[4] as ToolMessage).tool_call_id).toBe('call-1');
  });

  it('gives a tool call whose arguments are not a JSON object empty arguments', () => {
    const [message] = langChainMessagesOf([{ id: 'a', role: 'assistant', content: 'ok', toolCalls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: 'not json' } }] }]);
    expect((message as AIMessage).tool_calls?.[0]?.args).toEqual({});
  });
});
