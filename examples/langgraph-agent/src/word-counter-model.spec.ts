import { AIMessage, type AIMessageChunk, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { createWordCountTool } from './word-count-tool';
import { NOTHING_TO_COUNT_ANSWER, NO_COUNT_ANSWER, NO_TOOL_ANSWER, WordCounterChatModel, nextTurn, wordPiecesOf } from './word-counter-model';

const BOUND = ['word_count'];
const countResult = (words: unknown) => new ToolMessage({ content: JSON.stringify({ words }), tool_call_id: 'call-1', name: 'word_count' });

describe('the word counter chat model (a LangChain chat model that needs no network)', () => {
  describe('nextTurn: what it says, from its input alone', () => {
    it("calls word_count with the last user message's text, whitespace collapsed", () => {
      const messages = [new SystemMessage('Be brief.'), new HumanMessage('an earlier question'), new AIMessage('an earlier answer'), new HumanMessage('  what is\tsix   times seven? ')];
      expect(nextTurn(messages, BOUND)).toEqual({ kind: 'tool_call', name: 'word_count', args: { text: 'what is six times seven?' } });
    });

    it("answers with the count once word_count's result is the last message", () => {
      const messages = [new HumanMessage('hello there  friend'), new AIMessage('') , countResult(3)];
      expect(nextTurn(messages, BOUND)).toEqual({ kind: 'answer', text: '"hello there friend" has 3 words.' });
      expect(nextTurn([new HumanMessage('hi'), countResult(1)], BOUND)).toEqual({ kind: 'answer', text: '"hi" has 1 word.' });
    });

    it('says so when word_count gave no count, when there is no user text, and when word_count is not bound', () => {
      expect(nextTurn([new HumanMessage('hi'), countResult('many')], BOUND)).toEqual({ kind: 'answer', text: NO_COUNT_ANSWER });
      expect(nextTurn([new HumanMessage('   '), new AIMessage('')], BOUND)).toEqual({ kind: 'answer', text: NOTHING_TO_COUNT_ANSWER });
      expect(nextTurn([], BOUND)).toEqual({ kind: 'answer', text: NOTHING_TO_COUNT_ANSWER });
      expect(nextTurn([new HumanMessage('hello')], [])).toEqual({ kind: 'answer', text: NO_TOOL_ANSWER });
    });
  });

  it('splits an answer into word pieces that add up to it exactly', () => {
    expect(wordPiecesOf('"hello there" has 2 words.')).toEqual(['"hello ', 'there" ', 'has ', '2 ', 'words.']);
    expect(wordPiecesOf('')).toEqual([]);
  });

  it('streams a tool call (id and name first, then the arguments in pieces) once word_count is bound', async () => {
    const model = new WordCounterChatModel({ tokensPerSecond: 1000 }).bindTools([createWordCountTool()]);
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await model.stream([new HumanMessage('one two three')])) chunks.push(chunk);

    const pieces = chunks.flatMap((chunk) => chunk.tool_call_chunks ?? []);
    expect(pieces.map((piece) => piece.args).join('')).toBe('{"text":"one two three"}');
    expect(pieces[0]).toMatchObject({ name: 'word_count', index: 0, id: expect.stringMatching(/^call_/) });
    expect(pieces.slice(1).every((piece) => piece.name === undefined && piece.id === undefined)).toBe(true);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe('');
  });

  it('streams an answer word by word, and invoke returns the same message whole', async () => {
    const model = new WordCounterChatModel({ tokensPerSecond: 1000 });
    const input = [new HumanMessage('a b'), countResult(2)];
    const texts: string[] = [];
    for await (const chunk of await model.stream(input)) texts.push(chunk.text);

    expect(texts).toEqual(['"a ', 'b" ', 'has ', '2 ', 'words.']);
    expect((await model.invoke(input)).text).toBe('"a b" has 2 words.');
  });

  it('stops streaming when its signal aborts', async () => {
    const model = new WordCounterChatModel({ tokensPerSecond: 50 });
    const controller = new AbortController();
    const texts: string[] = [];
    const reading = (async () => {
      const words = Array.from({ length: 50 }, (_, index) => `w${index}`).join(' ');
      for await (const chunk of await model.stream([new HumanMessage(words), countResult(50)], { signal: controller.signal })) {
        texts.push(chunk.text);
        if (texts.length === 2) controller.abort();
      }
    })();

    await expect(reading).rejects.toThrow();
    expect(texts).toHaveLength(2);
  });

  it('refuses a pace that is not above zero', () => {
    expect(() => new WordCounterChatModel({ tokensPerSecond: 0 })).toThrow(RangeError);
  });
});
