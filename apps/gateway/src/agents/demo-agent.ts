import type { AgentInput, AgentRunReporter, AgentRunRequest, AgentRunResult, AgentRunner } from '@agentwirejs/protocols';
import { setTimeout as sleep } from 'node:timers/promises';

/** A tool call the demo agent decided to make, and why. */
export interface PlannedCall {
  readonly tool: 'calculator' | 'word_count' | 'current_time';
  readonly parameters: Record<string, unknown>;
  readonly reason: string;
}

const ARITHMETIC = /[(\-+]*\d[\d.\s()]*(?:[-+*/%^][\s(\-+]*\d[\d.\s()]*)+/g;
const COUNTING = /\b(count|how many|number of)\b[\s\S]*\b(words?|characters?|chars?|letters?)\b|\b(words?|characters?)\b[\s\S]*\bcount/i;
const TIME = /\b(time|clock|date)\b/i;
const IANA_ZONE = /\b([A-Z][A-Za-z_]+\/[A-Z][A-Za-z_-]+(?:\/[A-Z][A-Za-z_-]+)?)\b|\b(UTC)\b/;
const QUOTED = /["“«]([^"”»]+)["”»]/;

/** Reads a request and decides which tools answer it. Deterministic: same text, same plan. */
export function planToolCalls(text: string): PlannedCall[] {
  const calls: PlannedCall[] = [];
  for (const match of text.matchAll(ARITHMETIC)) {
    const expression = match[0].trim();
    calls.push({ tool: 'calculator', parameters: { expression }, reason: `The request contains the arithmetic expression "${expression}"; the calculator evaluates it exactly.` });
  }
  if (COUNTING.test(text)) {
    const quoted = QUOTED.exec(text)?.[1];
    const afterColon = text.includes(':') ? text.slice(text.indexOf(':') + 1).trim() : undefined;
    const subject = quoted ?? (afterColon !== undefined && afterColon !== '' ? afterColon : text);
    calls.push({ tool: 'word_count', parameters: { text: subject }, reason: `The request asks for a count; word_count counts the words and characters of "${clip(subject)}".` });
  }
  if (TIME.test(text)) {
    const zone = IANA_ZONE.exec(text);
    const timeZone = zone?.[1] ?? zone?.[2] ?? null;
    calls.push({
      tool: 'current_time',
      // No zone named: the agent asks the user which one (parameters.time_zone is filled in from the answer).
      parameters: timeZone === null ? {} : { time_zone: timeZone },
      reason: timeZone === null ? 'The request asks for the time and names no place, so I ask which time zone.' : `The request asks for the time in ${timeZone}.`,
    });
  }
  return calls;
}

/** The text an agent input stands for: the string itself, or an object's `text` field. */
export function inputText(input: AgentInput): string {
  if (typeof input === 'string') return input;
  return typeof input['text'] === 'string' ? input['text'] : JSON.stringify(input);
}

function clip(text: string, length = 60): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function describeResult(call: PlannedCall, results: unknown, success: boolean): string {
  const r = (results ?? {}) as Record<string, unknown>;
  if (!success) return `${call.tool} failed: ${String(r['error'] ?? 'unknown error')}.`;
  switch (call.tool) {
    case 'calculator':
      return `${String(r['expression'])} = ${String(r['value'])}.`;
    case 'word_count':
      return `"${clip(String(call.parameters['text']), 40)}" has ${String(r['words'])} words and ${String(r['characters'])} characters (${String(r['characters_without_spaces'])} without spaces).`;
    case 'current_time':
      return `It is ${String(r['local_time'])} in ${String(r['time_zone'])}.`;
  }
}

const HELP =
  'I can evaluate arithmetic ("what is (2+3)*4?"), count words and characters ("count the words in \\"to be or not to be\\""), and tell the time in an IANA zone ("what time is it in Asia/Tokyo?").';

/** What the demo agent asks when a request for the time names no place. */
export const TIME_ZONE_QUESTION = {
  reason: 'input_required',
  message: 'Which time zone? (an IANA name such as Europe/Paris, or UTC)',
  responseSchema: {
    type: 'object',
    properties: { time_zone: { type: 'string', minLength: 1, maxLength: 64, pattern: '^(UTC|[A-Za-z_]+/[A-Za-z_/+-]+)$' } },
    required: ['time_zone'],
  },
  expiresInMs: 120_000,
} as const;

/** The tokens a text is streamed in: words with the spaces that follow them. */
export function tokensOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The built-in demo agent: it reads the message, picks tools (calculator, word_count,
 * current_time), streams its reasoning, asks which time zone when a request for the time names
 * none, reports each tool's real result, and streams its answer token by token at
 * `tokensPerSecond` (AGENTWIRE_DEMO_TOKENS_PER_SECOND).
 */
export class DemoAgent implements AgentRunner {
  readonly name = 'demo';

  constructor(private readonly tokensPerSecond = 40) {}

  async run({ input, tools, signal, reporter }: AgentRunRequest): Promise<AgentRunResult> {
    const text = inputText(input);
    const plan = planToolCalls(text);
    await this.stream(reporter.startReasoning(), 
      plan.length === 0
        ? `Reading "${clip(text)}": it asks for nothing my tools can do.`
        : `Reading "${clip(text)}": it needs ${plan.length} tool call${plan.length === 1 ? '' : 's'} (${plan.map((c) => c.tool).join(', ')}).`,
      signal,
    );
    const sentences: string[] = [];
    for (const planned of plan) {
      signal.throwIfAborted();
      let call = planned;
      await reporter.thinking(call.reason);
      if (call.tool === 'current_time' && call.parameters['time_zone'] === undefined) {
        const answer = (await reporter.ask(TIME_ZONE_QUESTION)) as { time_zone: string };
        call = { ...call, parameters: { time_zone: answer.time_zone } };
      }
      const tool = tools.get(call.tool);
      const report = reporter.toolStarted(call.tool, call.parameters);
      await report.ready;
      let results: unknown;
      let success = true;
      try {
        if (tool === undefined) throw new Error(`tool ${call.tool} is not available`);
        results = await tool.execute(call.parameters, signal);
      } catch (error) {
        signal.throwIfAborted();
        success = false;
        results = { error: error instanceof Error ? error.message : String(error) };
      }
      await report.complete(results, success);
      sentences.push(describeResult(call, results, success));
    }
    signal.throwIfAborted();
    const answer = plan.length === 0 ? HELP : sentences.join(' ');
    if (plan.length > 0) await reporter.thinking(`Composing the answer from ${plan.length} tool result${plan.length === 1 ? '' : 's'}.`);
    await this.stream(reporter.startText(), answer, signal);
    return { finalResponse: answer };
  }

  /** Streams `text` into a message at the agent's pace, then ends it. */
  private async stream(message: ReturnType<AgentRunReporter['startText']>, text: string, signal: AbortSignal): Promise<void> {
    const interval = 1000 / this.tokensPerSecond;
    for (const [index, token] of tokensOf(text).entries()) {
      if (index > 0 && interval >= 1) await sleep(interval, undefined, { signal });
      await message.append(token);
    }
    await message.end();
  }
}
