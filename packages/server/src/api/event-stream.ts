import { ErrorCode } from '@agentwirejs/protocols';
import { loadCreateParser } from '../agents/remote-agent';
import type { RemoteEvent } from '../agents/remote-agent-events';
import { parseAgUiEvent } from './cluster';
import { ApiError } from './http-io';

/** A request body read as it arrives (an IncomingMessage is one). */
export type EventStreamBody = AsyncIterable<Buffer | string>;

/** What the events of a stream did to the run, summed over its deliveries. */
export interface StreamOutcome {
  readonly accepted: number;
  readonly finished: boolean;
}

/**
 * Reads an AG-UI SSE body (`data: {json}` + blank line per event; comments ignored) and hands the
 * events of each chunk that arrived to `deliver`, one delivery after another, so the run sees them
 * in order and while the body still arrives; reading waits for each delivery (TCP back-pressure
 * slows a sender that outpaces the user's stream). An event that is not JSON or not valid AG-UI,
 * or larger than maxEventBytes, is refused with invalid_message naming its position; the events
 * before it have entered the run and the rest of the body is not read.
 */
export async function deliverEventStream(body: EventStreamBody, maxEventBytes: number, deliver: (events: readonly RemoteEvent[]) => Promise<StreamOutcome>): Promise<StreamOutcome> {
  const createParser = await loadCreateParser();
  let pending: string[] = [];
  let problem: string | null = null;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    onEvent: (message) => {
      if (problem !== null) return; // nothing after an oversized event is taken
      if (message.data.length > maxEventBytes) problem ??= `an event of more than ${maxEventBytes} bytes (AGENTWIRE_MAX_PAYLOAD_BYTES)`;
      else pending.push(message.data);
    },
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') problem ??= `a line of more than ${maxEventBytes} bytes (AGENTWIRE_MAX_PAYLOAD_BYTES)`;
    },
  });
  const decoder = new TextDecoder();
  let position = 0;
  let accepted = 0;
  let finished = false;
  /** The event at `index` of the stream, parsed and checked. */
  const parse = (data: string, index: number): RemoteEvent => {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new ApiError(ErrorCode.InvalidMessage, `event ${index} of the stream is not JSON`);
    }
    return parseAgUiEvent(json, `event ${index} of the stream`);
  };
  /** Delivers the events parsed so far; the first bad one is refused after the ones before it went in. */
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    const events: RemoteEvent[] = [];
    let refusal: unknown = null;
    for (const data of batch) {
      try {
        events.push(parse(data, position + events.length));
      } catch (error) {
        refusal = error;
        break;
      }
    }
    if (events.length > 0) {
      position += events.length;
      const outcome = await deliver(events);
      accepted += outcome.accepted;
      finished = outcome.finished;
    }
    if (refusal instanceof ApiError) throw new ApiError(refusal.code, `${refusal.message}; the ${position} events before it entered the run`);
    if (refusal !== null) throw refusal;
  };
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    await flush();
    if (problem !== null) throw new ApiError(ErrorCode.PayloadTooLarge, `the stream holds ${problem}; the ${position} events before it entered the run`);
  }
  // an event without its closing blank line is discarded, as the SSE standard says
  return { accepted, finished };
}
