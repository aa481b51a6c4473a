import { EventType, type OutboundMessage, RunEventEnvelopeSchema, type ServerEnvelope, type StreamEntry, serializeEnvelope } from '@agentwirejs/protocols';
import { settle } from '@agentwirejs/protocols/testing';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import { CompactedDelta, type ReplayItem, compactBatch } from './compaction';
import { V2_RENDERER, renderItem } from './render';
import { type Rig, V2, receivedText, runFinished, runIds, runStarted, startRig, textMessage } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const TS = '2025-01-01T00:00:00.000Z';
const ids = { run_id: 'run-1' as RunId, thread_id: 'thread-1' as ThreadId };

function entryOf(seq: number, message: OutboundMessage, gap = false): StreamEntry {
  const json = serializeEnvelope(message, gap ? null : seq, uid('ann'), TS);
  return { seq, userId: uid('ann'), type: message.type, ts: TS, message, json, appendedAt: 0, ...(gap ? { gap: { fromSeq: seq - 1, toSeq: seq } } : {}) };
}
const delta = (type: string, field: 'messageId' | 'toolCallId', id: string) => (seq: number, text: string, run = ids) =>
  entryOf(seq, { type, ...run, payload: { type, [field]: id, delta: text } });
const textM1 = delta(EventType.TEXT_MESSAGE_CONTENT, 'messageId', 'm1');
const textM2 = delta(EventType.TEXT_MESSAGE_CONTENT, 'messageId', 'm2');
const thinking = delta(EventType.REASONING_MESSAGE_CONTENT, 'messageId', 'r1');
const toolArgs = delta(EventType.TOOL_CALL_ARGS, 'toolCallId', 'call-1');
const other = (seq: number) => entryOf(seq, { type: EventType.STEP_STARTED, ...ids, payload: { type: EventType.STEP_STARTED, stepName: 'search' } });
const gapAt = (seq: number) => entryOf(seq, { type: 'replay_gap', payload: { from_seq: seq - 1, to_seq: seq } }, true);

/** What a client receives for a batch: [seq, first_seq or null, delta or type]. */
function received(items: readonly ReplayItem[]): [number, number | null, string][] {
  return items.map((item) => {
    const envelope = JSON.parse(renderItem(V2_RENDERER, item)) as ServerEnvelope & { first_seq?: number };
    return [item.seq, envelope.first_seq ?? null, (envelope.payload['delta'] as string | undefined) ?? envelope.type];
  });
}

describe('compaction of a replayed batch', () => {
  it('folds consecutive deltas of one key into one envelope at its last position, the text concatenated in seq order', () => {
    const items = compactBatch([textM1(4, 'Hel'), textM1(5, 'lo'), textM1(6, '!')]);
    expect(items).toHaveLength(1);
    expect(items[0]).toBeInstanceOf(CompactedDelta);
    const json = renderItem(V2_RENDERER, items[0] as ReplayItem);
    expect(json.startsWith('{"type":"TEXT_MESSAGE_CONTENT","seq":6,"first_seq":4,"ts":')).toBe(true);
    const envelope = RunEventEnvelopeSchema.parse(JSON.parse(json));
    expect(envelope).toMatchObject({ seq: 6, first_seq: 4, run_id: 'run-1', thread_id: 'thread-1', user_id: 'ann', payload: { messageId: 'm1', delta: 'Hello!' } });
  });

  it('keeps interleaved keys apart: only runs of adjacent positions fold, so seq rises and nothing is folded past another envelope', () => {
    const batch = [textM1(1, 'a'), textM1(2, 'b'), thinking(3, 'x'), thinking(4, 'y'), textM1(5, 'c'), textM2(6, 'P'), textM2(7, 'Q'), textM1(8, 'd'), other(9), textM1(10, 'e'), textM1(11, 'f')];
    expect(received(compactBatch(batch))).toEqual([
      [2, 1, 'ab'],
      [4, 3, 'xy'],
      [5, null, 'c'],
      [7, 6, 'PQ'],
      [8, null, 'd'],
      [9, null, 'STEP_STARTED'],
      [11, 10, 'ef'],
    ]);
  });

  it('never folds across a gap entry', () => {
    expect(received(compactBatch([textM1(1, 'a'), textM1(2, 'b'), gapAt(4), textM1(5, 'c'), textM1(6, 'd')]))).toEqual([
      [2, 1, 'ab'],
      [4, null, 'CUSTOM'],
      [6, 5, 'cd'],
    ]);
  });

  it('folds tool-call arguments and reasoning the same way, and never deltas of two runs', () => {
    const otherRun = { run_id: 'run-2' as RunId, thread_id: 'thread-1' as ThreadId };
    const items = compactBatch([toolArgs(1, '{"q":'), toolArgs(2, '"paris"}'), thinking(3, 'hm'), thinking(4, 'm'), thinking(5, '!', otherRun)]);
    expect(received(items)).toEqual([
      [2, 1, '{"q":"paris"}'],
      [4, 3, 'hmm'],
      [5, null, '!'],
    ]);
  });

  it('keeps every entry that is not a delta as it is (the same object, written as stored), and a batch without deltas allocates nothing new', () => {
    const batch = [other(1), other(2)];
    const items = compactBatch(batch);
    expect(items).toEqual(batch);
    expect(items[0]).toBe(batch[0]);
    expect(renderItem(V2_RENDERER, items[0] as ReplayItem)).toBe(batch[0]?.json);
  });
});

describe('a replay of a streamed message over ws', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });
  const run = runIds('run-tokens', 'thread-tokens');
  const tokens = Array.from({ length: 400 }, (_, i) => `w${i} `);
  const message = textMessage(run, 'answer', tokens);
  const events = [runStarted(run, 'tell me'), ...message, runFinished(run, tokens.join(''), message.length + 2)];

  it('gives a client that reconnects in the middle of a 400-delta message the exact text, in a bounded number of envelopes, then the live tail', async () => {
    rig = await startRig({ replayMaxEvents: 1000 });
    const first = await rig.connect(rig.unified, 'tia', V2);
    const [head, tail] = [events.slice(0, 150), events.slice(150)];
    for (const event of head) await rig.unified.emitAgentEvent(uid('tia'), event);
    const seen = await first.client.waitForStream(head.length);
    first.client.ws.close();
    await first.client.waitForClose();
    // Produced while away: most of the message.
    for (const event of tail.slice(0, 200)) await rig.unified.emitAgentEvent(uid('tia'), event);
    const lastSeen = seen[seen.length - 1]?.seq as number;
    const second = await rig.connect(rig.unified, 'tia', { afterSeq: lastSeen, ...V2 });
    for (const event of tail.slice(200)) await rig.unified.emitAgentEvent(uid('tia'), event);
    const last = await rig.unified.getLastSeq(uid('tia'));
    await waitForRunEnd(second);
    const rest = second.client.stream() as (ServerEnvelope & { first_seq?: number })[];
    for (const envelope of [...seen, ...rest]) expect(RunEventEnvelopeSchema.safeParse(envelope).success).toBe(true);
    expect(receivedText([...seen, ...rest], 'answer')).toBe(tokens.join(''));
    // The 200 positions missed come back as one compacted delta; the live tail comes as it was sent.
    const replayedPart = rest.filter((envelope) => (envelope.seq as number) <= lastSeen + 200);
    expect(replayedPart).toHaveLength(1);
    expect(replayedPart[0]).toMatchObject({ type: 'TEXT_MESSAGE_CONTENT', first_seq: lastSeen + 1, seq: lastSeen + 200 });
    expect(rest.length).toBe(1 + tail.length - 200);
    const seqs = rest.map((envelope) => envelope.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[seqs.length - 1]).toBe(last);
  });

  it('replays a finished message in full as its START, one CONTENT and its END, and the replay budget counts the bytes written', async () => {
    // A budget of 10,000 bytes that does not drain: the 404 stored envelopes (about 60 KB) would spend it at once.
    rig = await startRig({ replayMaxEvents: 1000, replayBurstBytes: 10_000, replayBytesPerSecond: 1, clock: { now: () => 1_000_000 } });
    for (const event of events) await rig.unified.emitAgentEvent(uid('uma'), event);
    const tab = await rig.connect(rig.unified, 'uma', V2);
    const bytes = { total: 0 };
    tab.client.ws.on('message', (data: Buffer) => {
      if (!data.toString('utf8').includes('"seq":null')) bytes.total += data.length;
    });
    expect(await rig.unified.resume(tab.connectionId, 0)).toEqual({ replayed: 5, gap: null });
    await tab.client.waitForStream(5);
    await settle();
    const stream = tab.client.stream();
    expect(stream.map((envelope) => envelope.type)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(stream[2]).toMatchObject({ seq: 402, first_seq: 3, payload: { messageId: 'answer', delta: tokens.join('') } });
    // The budget was charged what was written (5 envelopes), not the 404 stored: a second replay may start.
    expect(bytes.total).toBeLessThan(10_000);
    const refusal = await rig.unified.resume(tab.connectionId, 0).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeNull();
  });
});

async function waitForRunEnd(connection: { client: { messages: ServerEnvelope[] } }): Promise<void> {
  for (let i = 0; i < 1000; i += 1) {
    if (connection.client.messages.some((message) => message.type === EventType.RUN_FINISHED)) return;
    await settle(5);
  }
  throw new Error('RUN_FINISHED never arrived');
}
