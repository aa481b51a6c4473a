import type { OutboundMessage } from '@agentwirejs/protocols';
import { generateRunId, generateThreadId } from '@agentwirejs/types';
import type { BenchSink } from './workloads';

/**
 * One streamed answer as a hand-written server sends it (the raw ws and socket.io baselines of
 * the token-stream workload): the AG-UI events the gateway's burst agent produces for
 * `{text_tokens, tokens_per_second}` (RUN_STARTED, TEXT_MESSAGE_START, one TEXT_MESSAGE_CONTENT
 * per token `w{i} `, TEXT_MESSAGE_END, RUN_FINISHED), each token its own frame, no coalescing.
 * Paced like the burst agent: by the clock from the moment the message opened, token i due at
 * start + i / R, sleeping only when the next token is more than 1 ms away, so a late timer sends
 * what is due at once rather than slowing the stream down.
 */
export async function streamTokenAnswer(sink: BenchSink, userId: string, tokens: number, tokensPerSecond: number): Promise<void> {
  // awaits a sink's promise only when it returns one (raw ws sends synchronously)
  const send = async (message: OutboundMessage): Promise<void> => {
    const sent = sink.toUser(userId, message);
    if (sent instanceof Promise) await sent;
  };
  const runId = generateRunId();
  const threadId = generateThreadId();
  const messageId = `${runId}-answer`;
  const ids = { run_id: runId, thread_id: threadId };
  const input = { text_tokens: tokens, tokens_per_second: tokensPerSecond };
  const runInput = { threadId, runId, messages: [], tools: [], context: [], state: {}, forwardedProps: { agent: 'burst', input } };
  const startedRun = Date.now();
  await send({ type: 'RUN_STARTED', ...ids, payload: { type: 'RUN_STARTED', threadId, runId, input: runInput } });
  await send({ type: 'TEXT_MESSAGE_START', ...ids, payload: { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' } });
  const startedAt = performance.now();
  for (let index = 0; index < tokens; index += 1) {
    if (tokensPerSecond > 0) {
      const dueIn = startedAt + (index * 1000) / tokensPerSecond - performance.now();
      if (dueIn > 1) await new Promise((resolve) => setTimeout(resolve, dueIn));
    }
    await send({ type: 'TEXT_MESSAGE_CONTENT', ...ids, payload: { type: 'TEXT_MESSAGE_CONTENT', messageId, delta: `w${index} ` } });
  }
  await send({ type: 'TEXT_MESSAGE_END', ...ids, payload: { type: 'TEXT_MESSAGE_END', messageId } });
  const metadata = { agentwire: { duration_ms: Date.now() - startedRun, event_count: tokens + 4 } };
  await send({ type: 'RUN_FINISHED', ...ids, payload: { type: 'RUN_FINISHED', threadId, runId, outcome: { type: 'success' }, metadata } });
}
