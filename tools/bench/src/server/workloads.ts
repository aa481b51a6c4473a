import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { OutboundMessage } from '@agentwirejs/protocols';
import { generateRunId, generateThreadId } from '@agentwirejs/types';
import { monotonicUs } from '../machine';

/**
 * Where a producer's messages go: each server under test implements it its own natural way
 * (raw ws: JSON per socket; socket.io: io.to(room).emit; the manager: its public API).
 * A returned promise is awaited, as natural code awaits an async API.
 */
export interface BenchSink {
  toUser(userId: string, message: OutboundMessage): unknown;
  toRoom(room: string, message: OutboundMessage): unknown;
}

/** The room every connection of the broadcast workload joins. */
export const BENCH_ROOM = 'bench-room';
/** Sends between two yields to the event loop, as the gateway's burst agent does. */
export const YIELD_EVERY = 64;

/** The reasoning text of burst event `index` of `total`: `payloadBytes` ASCII characters when that is long enough. */
export function burstText(index: number, total: number, payloadBytes: number): string {
  const head = `burst ${index}/${total} `;
  return head.length >= payloadBytes ? head : head + 'x'.repeat(payloadBytes - head.length);
}

function settle(result: unknown): Promise<unknown> | null {
  return result instanceof Promise ? result : null;
}

/**
 * The run event the gateway's execution tracker emits for one of the burst's v1-shaped messages
 * (emitAgentEvent takes AG-UI run events since agentwire.v2; a v1 connection gets them translated
 * back at the edge, so the clients see agent_started, agent_thinking, agent_completed as before).
 * Other messages are returned unchanged.
 */
export function asRunEvent(message: OutboundMessage): OutboundMessage {
  const threadId = message.thread_id ?? '';
  const runId = message.run_id ?? '';
  const payload = message.payload;
  const event = (type: string, body: Readonly<Record<string, unknown>>): OutboundMessage => ({ ...message, type, payload: { type, ...body } });
  switch (message.type) {
    case 'agent_started':
      return event('RUN_STARTED', {
        threadId,
        runId,
        input: { threadId, runId, messages: [], tools: [], context: [], state: {}, forwardedProps: { agent: payload['agent_name'], input: payload['input'] } },
      });
    case 'agent_thinking':
      return event('REASONING_MESSAGE_CHUNK', { messageId: `${runId}-reasoning`, delta: payload['reasoning'] });
    case 'agent_completed':
      return event('RUN_FINISHED', {
        threadId,
        runId,
        outcome: { type: 'success' },
        result: payload['final_response'],
        metadata: { agentwire: { duration_ms: payload['duration_ms'], event_count: payload['event_count'] } },
      });
    default:
      return message;
  }
}

/** The vocabulary of a burst: v1's agent events, or AG-UI's run events (what an agentwire.v2 client gets). */
export type BurstVocabulary = 'v1' | 'ag-ui';

/**
 * One agent run as the gateway's burst agent streams it: agent_started, `events` agent_thinking
 * of `payloadBytes` each, agent_completed (in AG-UI's vocabulary: RUN_STARTED, REASONING_MESSAGE_CHUNK,
 * RUN_FINISHED, each built per event like the tracker builds them); yields to the event loop every YIELD_EVERY sends.
 */
export async function streamBurst(sink: BenchSink, userId: string, events: number, payloadBytes: number, vocabulary: BurstVocabulary = 'v1'): Promise<void> {
  const ids = { run_id: generateRunId(), thread_id: generateThreadId() };
  const startedAt = Date.now();
  const send = (message: OutboundMessage): Promise<unknown> | null => settle(sink.toUser(userId, vocabulary === 'ag-ui' ? asRunEvent(message) : message));
  let pending = send({ type: 'agent_started', ...ids, payload: { agent_name: 'burst', input: { events, payload_bytes: payloadBytes } } });
  if (pending !== null) await pending;
  for (let index = 1; index <= events; index += 1) {
    if (index % YIELD_EVERY === 0) await yieldToIo();
    pending = send({ type: 'agent_thinking', ...ids, payload: { reasoning: burstText(index, events, payloadBytes) } });
    if (pending !== null) await pending;
  }
  const payload = { status: 'completed', final_response: `Streamed ${events} events of ${payloadBytes} bytes.`, duration_ms: Date.now() - startedAt, event_count: events + 2 };
  pending = send({ type: 'agent_completed', ...ids, payload });
  if (pending !== null) await pending;
}

/** `count` messages to the room, numbered 1..count in payload.n, yielding to the event loop after every `perTurn` of them (a burst), and after the last. */
export async function streamBroadcast(sink: BenchSink, count: number, payloadBytes: number, perTurn = 1): Promise<void> {
  const text = 'b'.repeat(payloadBytes);
  for (let n = 1; n <= count; n += 1) {
    const pending = settle(sink.toRoom(BENCH_ROOM, { type: 'room_message', payload: { n, text } }));
    if (pending !== null) await pending;
    if (n % perTurn === 0 || n === count) await yieldToIo();
  }
}

/**
 * Publishes `rate` messages a second for `durationMs`, round robin over `users`, each carrying
 * its publish time (payload.t, CLOCK_MONOTONIC in µs, read right before the send) and its
 * number (payload.n). Paced by the clock, not by timer ticks, so a late tick sends what is due.
 */
export async function streamPaced(sink: BenchSink, users: readonly string[], rate: number, durationMs: number, payloadBytes: number): Promise<number> {
  const total = Math.floor((rate * durationMs) / 1000);
  const pad = 'p'.repeat(Math.max(0, payloadBytes - 40));
  const start = monotonicUs();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((monotonicUs() - start) * rate) / 1e6));
    while (sent < due) {
      const userId = users[sent % users.length] as string;
      const pending = settle(sink.toUser(userId, { type: 'latency_probe', payload: { n: sent, t: monotonicUs(), pad } }));
      if (pending !== null) await pending;
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

/** How many latency_probe messages user `position` (0-based, of `users`) receives out of `total`. */
export function pacedShare(total: number, users: number, position: number): number {
  return Math.floor(total / users) + (position < total % users ? 1 : 0);
}
