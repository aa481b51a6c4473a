import type { AgentInput, AgentRunRequest, AgentRunResult, AgentRunner } from '@agentwirejs/protocols';
import { AgentInputError } from '@agentwirejs/server';

export interface BurstLimits {
  readonly maxEvents: number;
  readonly maxPayloadBytes: number;
}

/** `{events, payload_bytes?, interval_ms?}`: events of reasoning; or `{text_tokens, tokens_per_second?}`: one streamed text message. */
export type BurstInput =
  | {
      readonly kind: 'events';
      readonly events: number;
      readonly payloadBytes: number;
      /** Pause between events (0 = as fast as the pipeline takes them). */
      readonly intervalMs: number;
    }
  | {
      readonly kind: 'text';
      /** Deltas `w0 `, `w1 `, … `w{N-1} ` in order, so the whole text is known. */
      readonly textTokens: number;
      /** 0 = as fast as the pipeline takes them. */
      readonly tokensPerSecond: number;
    };

const MAX_TOKENS_PER_SECOND = 100_000;

/** The text a `text_tokens` burst of `tokens` streams, whole. */
export function burstText(tokens: number): string {
  let text = '';
  for (let index = 0; index < tokens; index += 1) text += `w${index} `;
  return text;
}

const MAX_INTERVAL_MS = 10_000;

/** A burst request is malformed or over the configured limits; `code` says which (the wire error code). */
export class BurstInputError extends AgentInputError {
  constructor(wireCode: 'invalid_message' | 'limit_exceeded', message: string) {
    super(wireCode, message);
  }
}

/** Reads `{events, payload_bytes?, interval_ms?}` or `{text_tokens, tokens_per_second?}` and checks it against the limits. */
export function parseBurstInput(input: AgentInput, limits: BurstLimits): BurstInput {
  if (typeof input !== 'object') throw new BurstInputError('invalid_message', 'burst input must be an object {events, payload_bytes} or {text_tokens, tokens_per_second}');
  if (input['text_tokens'] !== undefined) {
    const textTokens = input['text_tokens'];
    const tokensPerSecond = input['tokens_per_second'] ?? 0;
    if (!Number.isInteger(textTokens) || (textTokens as number) < 1) throw new BurstInputError('invalid_message', 'text_tokens must be a whole number ≥ 1');
    if ((textTokens as number) > limits.maxEvents) throw new BurstInputError('limit_exceeded', `text_tokens is limited to ${limits.maxEvents}`);
    if (typeof tokensPerSecond !== 'number' || !Number.isFinite(tokensPerSecond) || tokensPerSecond < 0 || tokensPerSecond > MAX_TOKENS_PER_SECOND) {
      throw new BurstInputError('invalid_message', `tokens_per_second must be a number from 0 to ${MAX_TOKENS_PER_SECOND}`);
    }
    return { kind: 'text', textTokens: textTokens as number, tokensPerSecond };
  }
  const events = input['events'];
  const payloadBytes = input['payload_bytes'] ?? 300;
  if (!Number.isInteger(events) || (events as number) < 1) throw new BurstInputError('invalid_message', 'events must be a whole number ≥ 1');
  if (!Number.isInteger(payloadBytes) || (payloadBytes as number) < 0) throw new BurstInputError('invalid_message', 'payload_bytes must be a whole number ≥ 0');
  if ((events as number) > limits.maxEvents) throw new BurstInputError('limit_exceeded', `events is limited to ${limits.maxEvents}`);
  if ((payloadBytes as number) > limits.maxPayloadBytes) throw new BurstInputError('limit_exceeded', `payload_bytes is limited to ${limits.maxPayloadBytes}`);
  const intervalMs = input['interval_ms'] ?? 0;
  if (!Number.isInteger(intervalMs) || (intervalMs as number) < 0 || (intervalMs as number) > MAX_INTERVAL_MS) {
    throw new BurstInputError('invalid_message', `interval_ms must be a whole number from 0 to ${MAX_INTERVAL_MS}`);
  }
  return { kind: 'events', events: events as number, payloadBytes: payloadBytes as number, intervalMs: intervalMs as number };
}

/** The reasoning text of burst event `index` (1-based): exactly `payloadBytes` ASCII characters when that is long enough. */
export function burstPayload(index: number, total: number, payloadBytes: number): string {
  const head = `burst ${index}/${total} `;
  return head.length >= payloadBytes ? head : head + 'x'.repeat(payloadBytes - head.length);
}

const YIELD_EVERY = 64;

/**
 * The load-test agent: streams `events` agent_thinking events of `payload_bytes` each, as fast
 * as the pipeline takes them or `interval_ms` apart, then completes. It awaits every report, so
 * the backplane paces it (over Redis, one round trip per event) and a burst holds a bounded
 * queue, not all its events; it also yields to the event loop regularly, because on the
 * in-memory backplane the reports resolve in microtasks and other users must still be served.
 */
export class BurstAgent implements AgentRunner {
  readonly name = 'burst';

  constructor(private readonly limits: BurstLimits) {}

  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const burst = parseBurstInput(request.input, this.limits);
    if (burst.kind === 'text') return streamText(request, burst.textTokens, burst.tokensPerSecond);
    // The signal is read only where the agent waits (request.signal), not up front: the tracker
    // makes a run's AbortSignal at the first read, and a burst of one event never waits.
    const { reporter } = request;
    const { events, payloadBytes, intervalMs } = burst;
    for (let index = 1; index <= events; index += 1) {
      if (intervalMs > 0 && index > 1) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        request.signal.throwIfAborted();
      } else if (index % YIELD_EVERY === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        request.signal.throwIfAborted();
      }
      await reporter.thinking(burstPayload(index, events, payloadBytes));
    }
    return { finalResponse: `Streamed ${events} events of ${payloadBytes} bytes.` };
  }
}

/**
 * Streams `tokens` deltas of one text message at `tokensPerSecond` (0: as fast as the pipeline
 * takes them). The pace is kept against the clock, not by sleeping a fixed interval per token, so
 * timer granularity does not slow a fast stream down; deltas due together are appended together.
 */
async function streamText({ signal, reporter }: AgentRunRequest, tokens: number, tokensPerSecond: number): Promise<AgentRunResult> {
  const message = reporter.startText();
  const startedAt = performance.now();
  for (let index = 0; index < tokens; index += 1) {
    if (tokensPerSecond > 0) {
      const dueIn = startedAt + (index * 1000) / tokensPerSecond - performance.now();
      if (dueIn > 1) await new Promise((resolve) => setTimeout(resolve, dueIn));
    } else if (index % YIELD_EVERY === 0 && index > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    signal.throwIfAborted();
    await message.append(`w${index} `);
  }
  await message.end();
  return {};
}
