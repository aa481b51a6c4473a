import { streamTokenAnswer } from './token-stream';
import { type BenchSink, streamBroadcast, streamBurst, streamPaced } from './workloads';

/** How a sink sends: through which manager call, and whether a room message is serialized once. */
export interface SinkChoice {
  /** Manager: emitAgentEvent (validated) or sendToUser. */
  readonly via?: 'emit' | 'send';
  /** Raw ws: one JSON.stringify per room message, or one per socket. */
  readonly serialize?: 'once' | 'per-socket';
}

/** A server under test, as the commands see it. */
export interface CommandTarget {
  sink(choice: SinkChoice): BenchSink;
  /** Reports a failure of a command running in the background. */
  report(error: unknown): void;
}

function integer(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Runs one client command in the background; false when the message is not a bench command.
 * `start_agent` {input: {events, payload_bytes, via, vocabulary}} streams a burst run to the sender's user,
 * {input: {text_tokens, tokens_per_second}} one streamed answer of AG-UI events (token-stream.ts);
 * `bench_broadcast` {count, payload_bytes, serialize, per_turn} sends room messages, per_turn of them between two yields;
 * `bench_pace` {users, rate, duration_ms, payload_bytes} publishes latency probes at a fixed rate.
 */
export function runCommand(target: CommandTarget, userId: string, command: Record<string, unknown>): boolean {
  const fail = (error: unknown): void => target.report(error);
  switch (command['type']) {
    case 'start_agent': {
      const input = record(command['input']);
      if (input['text_tokens'] !== undefined) {
        const rate = typeof input['tokens_per_second'] === 'number' && input['tokens_per_second'] >= 0 ? input['tokens_per_second'] : 0;
        streamTokenAnswer(target.sink({ via: 'send' }), userId, integer(input['text_tokens'], 1), rate).catch(fail);
        return true;
      }
      const via = input['via'] === 'send' ? 'send' : 'emit';
      const vocabulary = input['vocabulary'] === 'ag-ui' ? 'ag-ui' : 'v1';
      streamBurst(target.sink({ via }), userId, integer(input['events'], 1), integer(input['payload_bytes'], 300), vocabulary).catch(fail);
      return true;
    }
    case 'bench_broadcast': {
      const serialize = command['serialize'] === 'per-socket' ? 'per-socket' : 'once';
      streamBroadcast(target.sink({ serialize }), integer(command['count'], 1), integer(command['payload_bytes'], 300), Math.max(1, integer(command['per_turn'], 1))).catch(fail);
      return true;
    }
    case 'bench_pace': {
      const users = Array.isArray(command['users']) ? command['users'].filter((user): user is string => typeof user === 'string') : [userId];
      streamPaced(target.sink({ via: 'send' }), users, integer(command['rate'], 1000), integer(command['duration_ms'], 1000), integer(command['payload_bytes'], 300)).catch(fail);
      return true;
    }
    default:
      return false;
  }
}

/** Parses a text frame into a command object, or null. */
export function parseCommand(data: unknown): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(String(data));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
