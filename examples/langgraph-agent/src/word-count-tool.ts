import { tool } from '@langchain/core/tools';

export const WORD_COUNT_TOOL_NAME = 'word_count';

/** The number of whitespace-separated words in `text`. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** A LangChain tool the model calls: `{text}` in, `{"words": n}` (JSON text) out. */
export function createWordCountTool() {
  return tool(async ({ text }: { text: string }) => JSON.stringify({ words: countWords(text) }), {
    name: WORD_COUNT_TOOL_NAME,
    description: 'Counts the words of a text.',
    schema: {
      type: 'object',
      properties: { text: { type: 'string', description: 'the text whose words to count' } },
      required: ['text'],
      additionalProperties: false,
    },
  });
}
