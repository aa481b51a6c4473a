import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { BaseChatModel, type BaseChatModelCallOptions, type BaseChatModelParams, type BindToolsInput } from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import { WORD_COUNT_TOOL_NAME } from './word-count-tool';

/**
 * A chat model that needs no network: LangChain's own test models (FakeListChatModel,
 * FakeStreamingChatModel) answer from a fixed list, and this one answers from its input, so a
 * test can say the exact text. It acts as a tool-calling model does: given the user's message it
 * calls word_count (when bound) with the message's text; given word_count's result it answers
 * `"<the text>" has <n> words.`, streamed word by word at a steady pace.
 */

export interface WordCounterCallOptions extends BaseChatModelCallOptions {
  /** Names of the tools bindTools bound (a real provider gets their JSON schemas here). */
  readonly tools?: readonly string[];
}

export interface WordCounterModelFields extends BaseChatModelParams {
  /** How many chunks (words of the answer, pieces of a tool call's arguments) a second it streams. */
  readonly tokensPerSecond: number;
}

/** What the model says next: a tool call, or an answer. */
export type Turn = { readonly kind: 'tool_call'; readonly name: string; readonly args: { readonly text: string } } | { readonly kind: 'answer'; readonly text: string };

export const NOTHING_TO_COUNT_ANSWER = 'You said nothing I could count.';
export const NO_TOOL_ANSWER = 'I count words with the word_count tool, and it is not bound.';
export const NO_COUNT_ANSWER = 'The word_count tool gave me no count.';
export const DECLINED_ANSWER = 'You declined, so I did not count the words.';

/** The last user message's text, whitespace collapsed ('' when there is none). */
function lastUserText(messages: readonly BaseMessage[]): string {
  const user = messages.findLast((message) => message.getType() === 'human');
  return user === undefined ? '' : user.text.split(/\s+/).filter(Boolean).join(' ');
}

function wordsOf(count: number): string {
  return count === 1 ? '1 word' : `${count} words`;
}

/** The count in a word_count result (`{"words": n}`), 'declined' for a call the user declined, or undefined when it holds none. */
function countIn(result: ToolMessage): number | 'declined' | undefined {
  try {
    const parsed = JSON.parse(result.text) as { words?: unknown; declined?: unknown };
    if (parsed.declined === true) return 'declined';
    return typeof parsed.words === 'number' && Number.isInteger(parsed.words) ? parsed.words : undefined;
  } catch {
    return undefined;
  }
}

/** Deterministic: the next turn for `messages` with the tools named `boundTools`. */
export function nextTurn(messages: readonly BaseMessage[], boundTools: readonly string[]): Turn {
  const last = messages.at(-1);
  const text = lastUserText(messages);
  if (last !== undefined && ToolMessage.isInstance(last) && last.name === WORD_COUNT_TOOL_NAME) {
    const count = countIn(last);
    if (count === 'declined') return { kind: 'answer', text: DECLINED_ANSWER };
    return { kind: 'answer', text: count === undefined ? NO_COUNT_ANSWER : `"${text}" has ${wordsOf(count)}.` };
  }
  if (text === '') return { kind: 'answer', text: NOTHING_TO_COUNT_ANSWER };
  if (!boundTools.includes(WORD_COUNT_TOOL_NAME)) return { kind: 'answer', text: NO_TOOL_ANSWER };
  return { kind: 'tool_call', name: WORD_COUNT_TOOL_NAME, args: { text } };
}

/** Word-sized pieces that concatenate back to `text` exactly (`"hello `, `there" `, `has `, …). */
export function wordPiecesOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

/** The message chunks a turn streams as: one per word of an answer; a tool call's arguments in three pieces, the first naming the call. */
export function chunksOf(turn: Turn, toolCallId: string): AIMessageChunk[] {
  if (turn.kind === 'answer') return wordPiecesOf(turn.text).map((piece) => new AIMessageChunk({ content: piece }));
  const argPieces = ['{"text":', JSON.stringify(turn.args.text), '}'];
  return argPieces.map(
    (args, index) =>
      new AIMessageChunk({
        content: '',
        tool_call_chunks: [{ type: 'tool_call_chunk', index: 0, args, ...(index === 0 ? { id: toolCallId, name: turn.name } : {}) }],
      }),
  );
}

function nameOf(tool: BindToolsInput): string | undefined {
  const candidate = tool as { name?: unknown; function?: { name?: unknown } };
  if (typeof candidate.name === 'string') return candidate.name;
  return typeof candidate.function?.name === 'string' ? candidate.function.name : undefined;
}

export class WordCounterChatModel extends BaseChatModel<WordCounterCallOptions> {
  private readonly pauseMs: number;

  constructor({ tokensPerSecond, ...fields }: WordCounterModelFields) {
    super(fields);
    if (!(tokensPerSecond > 0)) throw new RangeError(`tokensPerSecond must be more than zero, got ${tokensPerSecond}`);
    this.pauseMs = 1000 / tokensPerSecond;
  }

  static override lc_name(): string {
    return 'WordCounterChatModel';
  }

  override _llmType(): string {
    return 'word-counter';
  }

  override bindTools(tools: BindToolsInput[], kwargs?: Partial<WordCounterCallOptions>): Runnable<BaseLanguageModelInput, AIMessageChunk, WordCounterCallOptions> {
    const names = tools.flatMap((tool) => nameOf(tool) ?? []);
    return this.withConfig({ ...kwargs, tools: [...(kwargs?.tools ?? []), ...names] });
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const turn = nextTurn(messages, options.tools ?? []);
    for (const message of chunksOf(turn, `call_${randomUUID()}`)) {
      // a model's time per token; the run's signal (a client that went away) cuts it short
      await sleep(this.pauseMs, undefined, { signal: options.signal });
      const chunk = new ChatGenerationChunk({ message, text: message.text });
      yield chunk;
      await runManager?.handleLLMNewToken(chunk.text, undefined, undefined, undefined, undefined, { chunk });
    }
  }

  override async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let whole: ChatGenerationChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) whole = whole === undefined ? chunk : whole.concat(chunk);
    return { generations: whole === undefined ? [] : [{ text: whole.text, message: whole.message }] };
  }
}
