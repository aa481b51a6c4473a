import type { AgentInput, AgentRunRequest, AgentRunResult, AgentRunner } from '@agentwire/protocols';
import { AgentwireError } from '@agentwire/types';

export interface BurstLimits {
  readonly maxEvents: number;
  readonly maxPayloadBytes: number;
}

export interface BurstInput {
  readonly events: number;
  readonly payloadBytes: number;
  /** Pause between events (0 = as fast as the pipeline takes them). */
  readonly intervalMs: number;
}

const MAX_INTERVAL_MS = 10_000;

/** A burst request is malformed or over the configured limits; `code` says which (the wire error code). */
export class BurstInputError extends AgentwireError {
  constructor(
    readonly wireCode: 'invalid_message' | 'limit_exceeded',
    message: string,
  ) {
    super('BURST_INPUT_INVALID', message);
  }
}

/** Reads `{events, payload_bytes?, interval_ms?}` and checks it against the limits. */
export function parseBurstInput(input: AgentInput, limits: BurstLimits): BurstInput {
  if (typeof input !== 'object') throw new BurstInputError('invalid_message', 'burst input must be an object {events, payload_bytes}');
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
  return { events: events as number, payloadBytes: payloadBytes as number, intervalMs: intervalMs as number };
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

  async run({ input, signal, reporter }: AgentRunRequest): Promise<AgentRunResult> {
    const { events, payloadBytes, intervalMs } = parseBurstInput(input, this.limits);
    for (let index = 1; index <= events; index += 1) {
      if (intervalMs > 0 && index > 1) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        signal.throwIfAborted();
      } else if (index % YIELD_EVERY === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        signal.throwIfAborted();
      }
      await reporter.thinking(burstPayload(index, events, payloadBytes));
    }
    return { finalResponse: `Streamed ${events} events of ${payloadBytes} bytes.` };
  }
}
