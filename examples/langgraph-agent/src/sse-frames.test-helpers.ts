import { EventSchemas } from '@ag-ui/core/schemas';
import { type Event, EventType } from '@ag-ui/core';

/** One SSE frame as it arrived: a `data: <json>` event (parsed, not yet checked) or a `: comment`. */
export type SseFrame = { readonly event: unknown } | { readonly comment: string };

/**
 * Reads a `text/event-stream` body frame by frame as it arrives; `stop` returning true ends the
 * reading there (the caller then aborts the request). Anything that is not a `data:` line or a
 * comment fails the test.
 */
export async function readFrames(response: Response, stop: (frames: readonly SseFrame[]) => boolean = () => false): Promise<SseFrame[]> {
  if (response.body === null) throw new Error('a response without a body');
  const frames: SseFrame[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
      const text = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (text.startsWith(':')) frames.push({ comment: text.slice(1).trim() });
      else if (text.startsWith('data: ') && !text.includes('\n')) frames.push({ event: JSON.parse(text.slice('data: '.length)) as unknown });
      else throw new Error(`not an SSE data or comment frame: ${JSON.stringify(text)}`);
      if (stop(frames)) return frames;
    }
  }
  if (buffered !== '') throw new Error(`the stream ended inside a frame: ${JSON.stringify(buffered)}`);
  return frames;
}

/** The events among `frames`, each checked against AG-UI's EventSchemas: throws naming the first that fails. */
export function agUiEventsOf(frames: readonly SseFrame[]): Event[] {
  return frames.flatMap((frame) => {
    if (!('event' in frame)) return [];
    const parsed = EventSchemas.safeParse(frame.event);
    if (!parsed.success) throw new Error(`not an AG-UI event: ${JSON.stringify(frame.event)}: ${parsed.error.message}`);
    return [parsed.data as Event];
  });
}

/** The text the TEXT_MESSAGE_CONTENT events spell. */
export function textOf(events: readonly Event[]): string {
  return events.flatMap((event) => (event.type === EventType.TEXT_MESSAGE_CONTENT ? [event.delta] : [])).join('');
}
