import type { AgentRunRequest, RunId, ThreadId, UserId } from './agent-test-imports.test-helpers';
import { recordingReporter } from './agent-test-reporter.test-helpers';
import { BurstAgent, BurstInputError, burstPayload, burstText, parseBurstInput } from './burst-agent';

const limits = { maxEvents: 1000, maxPayloadBytes: 4096 };

describe('parseBurstInput', () => {
  it('reads events and payload_bytes (default 300)', () => {
    expect(parseBurstInput({ events: 10, payload_bytes: 50 }, limits)).toEqual({ kind: 'events', events: 10, payloadBytes: 50, intervalMs: 0 });
    expect(parseBurstInput({ events: 1 }, limits)).toEqual({ kind: 'events', events: 1, payloadBytes: 300, intervalMs: 0 });
    expect(parseBurstInput({ events: 3, interval_ms: 20 }, limits)).toEqual({ kind: 'events', events: 3, payloadBytes: 300, intervalMs: 20 });
  });

  it('reads text_tokens and tokens_per_second (default 0: as fast as the pipeline takes them)', () => {
    expect(parseBurstInput({ text_tokens: 300, tokens_per_second: 50 }, limits)).toEqual({ kind: 'text', textTokens: 300, tokensPerSecond: 50 });
    expect(parseBurstInput({ text_tokens: 3 }, limits)).toEqual({ kind: 'text', textTokens: 3, tokensPerSecond: 0 });
  });

  it.each([
    ['hello', 'invalid_message'],
    [{ events: 0 }, 'invalid_message'],
    [{ events: 1.5 }, 'invalid_message'],
    [{ events: 5, payload_bytes: -1 }, 'invalid_message'],
    [{ events: 1001 }, 'limit_exceeded'],
    [{ events: 5, interval_ms: -1 }, 'invalid_message'],
    [{ events: 5, interval_ms: 20_000 }, 'invalid_message'],
    [{ events: 5, payload_bytes: 5000 }, 'limit_exceeded'],
    [{ text_tokens: 0 }, 'invalid_message'],
    [{ text_tokens: 1001 }, 'limit_exceeded'],
    [{ text_tokens: 5, tokens_per_second: -1 }, 'invalid_message'],
    [{ text_tokens: 5, tokens_per_second: 'fast' }, 'invalid_message'],
  ])('rejects %j with %s', (input, code) => {
    let caught: unknown;
    try {
      parseBurstInput(input as never, limits);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BurstInputError);
    expect((caught as BurstInputError).wireCode).toBe(code);
  });
});

describe('BurstAgent', () => {
  it('streams exactly `events` thinking events of `payload_bytes` bytes', async () => {
    const { reporter, events } = recordingReporter();
    const request = { runId: 'r' as RunId, threadId: 't' as ThreadId, userId: 'u' as UserId, input: { events: 200, payload_bytes: 300 }, tools: new Map(), signal: new AbortController().signal, reporter } as AgentRunRequest;
    const result = await new BurstAgent(limits).run(request);
    expect(events).toHaveLength(200);
    expect(events.every((e) => e.kind === 'thinking' && Buffer.byteLength(e.reasoning) === 300)).toBe(true);
    expect(events[199]).toEqual({ kind: 'thinking', reasoning: burstPayload(200, 200, 300) });
    expect(result.finalResponse).toBe('Streamed 200 events of 300 bytes.');
  });

  it('awaits every report before the next, so the backplane paces it', async () => {
    const { reporter, events, overtaken } = recordingReporter();
    const request = { runId: 'r' as RunId, threadId: 't' as ThreadId, userId: 'u' as UserId, input: { events: 300, payload_bytes: 16 }, tools: new Map(), signal: new AbortController().signal, reporter } as AgentRunRequest;
    await new BurstAgent(limits).run(request);
    expect(events).toHaveLength(300);
    expect(overtaken()).toBe(0);
  });

  it('stops streaming when aborted', async () => {
    const controller = new AbortController();
    const { reporter, events } = recordingReporter();
    const request = { runId: 'r' as RunId, threadId: 't' as ThreadId, userId: 'u' as UserId, input: { events: 1000 }, tools: new Map(), signal: controller.signal, reporter } as AgentRunRequest;
    const running = new BurstAgent(limits).run(request);
    controller.abort(new Error('cancelled'));
    await expect(running).rejects.toThrow('cancelled');
    expect(events.length).toBeLessThan(1000);
  });
});

describe('BurstAgent text', () => {
  it('streams one text message whose deltas are w0 … w{N-1}, in order', async () => {
    const { reporter, events, overtaken } = recordingReporter();
    const request = { runId: 'r' as RunId, threadId: 't' as ThreadId, userId: 'u' as UserId, input: { text_tokens: 400 }, tools: new Map(), signal: new AbortController().signal, reporter } as AgentRunRequest;
    await new BurstAgent(limits).run(request);
    expect(events).toEqual([{ kind: 'text', text: burstText(400), deltas: 400 }]);
    expect(burstText(3)).toBe('w0 w1 w2 ');
    expect(overtaken()).toBe(0);
  });

  it('keeps tokens_per_second against the clock', async () => {
    const { reporter } = recordingReporter();
    const started = Date.now();
    const request = { runId: 'r' as RunId, threadId: 't' as ThreadId, userId: 'u' as UserId, input: { text_tokens: 11, tokens_per_second: 100 }, tools: new Map(), signal: new AbortController().signal, reporter } as AgentRunRequest;
    await new BurstAgent(limits).run(request);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 - 5);
  });
});

describe('BurstAgent pacing', () => {
  it('waits interval_ms between events', async () => {
    const { reporter, events } = recordingReporter();
    const started = Date.now();
    const request = { runId: 'r' as RunId, threadId: 't' as ThreadId, userId: 'u' as UserId, input: { events: 5, interval_ms: 20 }, tools: new Map(), signal: new AbortController().signal, reporter } as AgentRunRequest;
    await new BurstAgent(limits).run(request);
    expect(events).toHaveLength(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 20 - 5);
  });
});
