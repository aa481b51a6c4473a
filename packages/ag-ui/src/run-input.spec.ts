import type { RunAgentInput } from '@ag-ui/client';
import { RunInputError, startRequestOf } from './run-input';

const inputWith = (fields: Partial<RunAgentInput>): RunAgentInput => ({ threadId: 't', runId: 'r', messages: [], tools: [], context: [], ...fields });

describe('the start_agent an AG-UI run stands for', () => {
  it('sends the text of the last user message, joining its text parts', () => {
    const input = inputWith({
      messages: [
        { id: '1', role: 'user', content: 'first question' },
        { id: '2', role: 'assistant', content: 'an answer' },
        { id: '3', role: 'user', content: [{ type: 'text', text: 'what is' }, { type: 'text', text: '(2+3)*4?' }] },
        { id: '4', role: 'assistant', content: 'thinking…' },
      ],
    });
    expect(startRequestOf(input, 'demo')).toEqual({ agent: 'demo', input: 'what is\n(2+3)*4?' });
  });

  it('sends forwardedProps.input as it is, to the agent forwardedProps.agent names', () => {
    const input = inputWith({ messages: [{ id: '1', role: 'user', content: 'not this' }], forwardedProps: { agent: 'burst', input: { text_tokens: 5 } } });
    expect(startRequestOf(input, 'demo')).toEqual({ agent: 'burst', input: { text_tokens: 5 } });
  });

  it('refuses a run with nothing to send', () => {
    expect(() => startRequestOf(inputWith({ messages: [{ id: '1', role: 'assistant', content: 'hello' }] }), 'demo')).toThrow(RunInputError);
  });
});
