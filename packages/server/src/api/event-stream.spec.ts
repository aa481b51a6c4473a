import type { RemoteEvent } from '../agents/remote-agent-events';
import { deliverEventStream } from './event-stream';
import { ApiError } from './http-io';

/** A body arriving in the given chunks. */
async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

const data = (json: unknown): string => `data: ${JSON.stringify(json)}\n\n`;
const start = { type: 'TEXT_MESSAGE_START', messageId: 'm', role: 'assistant' };
const content = (delta: string) => ({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'm', delta });

describe('an AG-UI SSE body read by deliverEventStream', () => {
  function recorder() {
    const deliveries: string[][] = [];
    const deliver = async (events: readonly RemoteEvent[]) => {
      deliveries.push(events.map((event) => (event.type === 'TEXT_MESSAGE_CONTENT' ? `${event.type}:${event.delta}` : event.type)));
      return { accepted: events.length, finished: events.some((event) => event.type === 'RUN_FINISHED') };
    };
    return { deliveries, deliver };
  }

  it('delivers the events of each chunk as they arrive, across chunk boundaries, ignoring comments', async () => {
    const { deliveries, deliver } = recorder();
    const whole = data(content('b'));
    const outcome = await deliverEventStream(
      chunks(`${data(start)}: ping\n\n${data(content('a'))}`, whole.slice(0, 10), whole.slice(10), data({ type: 'RUN_FINISHED', threadId: 't', runId: 'r' })),
      1024,
      deliver,
    );
    expect(deliveries).toEqual([['TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT:a'], ['TEXT_MESSAGE_CONTENT:b'], ['RUN_FINISHED']]);
    expect(outcome).toEqual({ accepted: 4, finished: true });
  });

  it('delivers the events before an invalid one, then refuses it with invalid_message naming its position', async () => {
    const { deliveries, deliver } = recorder();
    const refusal = await deliverEventStream(chunks(`${data(start)}${data(content('a'))}data: {oops\n\n${data(content('never'))}`), 1024, deliver).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ code: 'invalid_message' });
    expect((refusal as Error).message).toContain('event 2 of the stream is not JSON; the 2 events before it entered the run');
    expect(deliveries).toEqual([['TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT:a']]);

    const schema = await deliverEventStream(chunks(data({ type: 'TEXT_MESSAGE_CONTENT', delta: 'x' })), 1024, deliver).catch((error: unknown) => error);
    expect(schema).toMatchObject({ code: 'invalid_message' });
    expect((schema as Error).message).toContain('event 0 of the stream.messageId');
  });

  it('refuses an event larger than the limit with payload_too_large, taking nothing after it', async () => {
    const { deliveries, deliver } = recorder();
    const refusal = await deliverEventStream(chunks(`${data(start)}${data(content('x'.repeat(200)))}${data(content('after'))}`), 100, deliver).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'payload_too_large' });
    expect(deliveries).toEqual([['TEXT_MESSAGE_START']]);
  });

  it('discards an event whose closing blank line never came, as the SSE standard says', async () => {
    const { deliveries, deliver } = recorder();
    expect(await deliverEventStream(chunks(`${data(start)}data: ${JSON.stringify(content('cut'))}\n`), 1024, deliver)).toEqual({ accepted: 1, finished: false });
    expect(deliveries).toEqual([['TEXT_MESSAGE_START']]);
  });
});
