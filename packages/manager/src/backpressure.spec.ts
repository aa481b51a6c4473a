import { type AgentEvent, EventType, type OutboundMessage, type ServerEnvelope, type StreamEntry, serializeEnvelope } from '@agentwirejs/protocols';
import { RecordingTransport, settle, waitForCount } from '@agentwirejs/protocols/testing';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import { type BackpressurePolicy, type BackpressureTarget, WriteOutcome, drainQueue, writeFrame } from './backpressure';
import { type FrameRenderer, V2_RENDERER } from './render';
import type { UnifiedWebSocketManager } from './unified-manager';
import { V1Translator } from './v1-translation';
import { type Rig, type RigConnection, V2, receivedText, runEvent, runIds, runStarted, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const ids = { run_id: 'run-1' as RunId, thread_id: 'thread-1' as ThreadId };
const TS = '2025-01-01T00:00:00.000Z';

/** A stream entry as a backplane hands it to the manager. */
function entryOf(seq: number, message: OutboundMessage): StreamEntry {
  return { seq, userId: uid('ann'), type: message.type, ts: TS, message, json: serializeEnvelope(message, seq, uid('ann'), TS), appendedAt: 0 };
}
const text = (seq: number, delta: string, messageId = 'm1') => entryOf(seq, { type: EventType.TEXT_MESSAGE_CONTENT, ...ids, payload: { type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta } });
const reasoning = (seq: number, delta: string) => entryOf(seq, { type: EventType.REASONING_MESSAGE_CONTENT, ...ids, payload: { type: EventType.REASONING_MESSAGE_CONTENT, messageId: 'r1', delta } });
const snapshot = (seq: number, n: number) => entryOf(seq, { type: EventType.STATE_SNAPSHOT, ...ids, payload: { type: EventType.STATE_SNAPSHOT, snapshot: { n } } });
const stateDelta = (seq: number) => entryOf(seq, { type: EventType.STATE_DELTA, ...ids, payload: { type: EventType.STATE_DELTA, delta: [{ op: 'replace', path: '/n', value: 0 }] } });
const custom = (seq: number) => entryOf(seq, { type: EventType.CUSTOM, ...ids, payload: { type: EventType.CUSTOM, name: 'app.x', value: seq } });

describe('the slow-consumer policy (unit)', () => {
  const policy: BackpressurePolicy = { highWaterBytes: 100, queueMax: 3, queueMaxBytes: 10_000 };
  const target = (renderer: FrameRenderer = V2_RENDERER): BackpressureTarget & { transport: RecordingTransport } => ({ transport: new RecordingTransport(), renderer, queue: null });
  /** Writes entries as the registry does: the frame the connection's renderer gives, with its seq and source. */
  const write = (t: BackpressureTarget, entry: StreamEntry, bound = policy) => writeFrame(t, t.renderer.entry(entry), entry.seq, entry, bound);
  const drained = (t: BackpressureTarget & { transport: RecordingTransport }) => {
    t.transport.bufferedAmount = 0;
    drainQueue(t, policy);
    return t.transport.messages<ServerEnvelope & { first_seq?: number }>();
  };

  it('writes while the socket is below the high-water mark, queues above it, and drains in order once it falls', () => {
    const t = target();
    expect(writeFrame(t, 'a', 1, null, policy)).toBe(WriteOutcome.Sent);
    t.transport.bufferedAmount = 101;
    expect(writeFrame(t, 'b', 2, null, policy)).toBe(WriteOutcome.Queued);
    t.transport.bufferedAmount = 0;
    expect(writeFrame(t, 'c', null, null, policy)).toBe(WriteOutcome.Queued);
    expect(drainQueue(t, policy)).toBe(2);
    expect(t.transport.frames).toEqual(['a', 'b', 'c']);
    expect(t.queue).toBeNull();
  });

  it('merges a queued delta into the delta queued right before it (same run and key): one frame, first_seq..seq, the text concatenated', () => {
    const t = target();
    t.transport.bufferedAmount = 1000;
    expect(write(t, text(1, 'Hel'))).toBe(WriteOutcome.Queued);
    expect(write(t, text(2, 'lo, '))).toBe(WriteOutcome.Folded);
    expect(write(t, text(3, 'world'))).toBe(WriteOutcome.Folded);
    expect(t.queue).toMatchObject({ frames: 1, dropped: 2 });
    const [merged] = drained(t);
    expect(merged).toMatchObject({ type: 'TEXT_MESSAGE_CONTENT', seq: 3, first_seq: 1, payload: { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'Hello, world' } });
    expect(Object.keys(merged as object).slice(0, 3)).toEqual(['type', 'seq', 'first_seq']);
  });

  it('never merges across another frame or another key, so every position up to a received seq was received', () => {
    const t = target();
    t.transport.bufferedAmount = 1000;
    const bound = { ...policy, queueMax: 100 };
    for (const entry of [text(1, 'a'), reasoning(2, 'r'), text(3, 'b'), text(4, 'c', 'm2'), text(5, 'd', 'm2'), custom(6), text(7, 'e', 'm2')]) write(t, entry, bound);
    const got = drained(t);
    expect(got.map((message) => [message.seq, message.first_seq ?? null, message.payload['delta'] ?? null])).toEqual([
      [1, null, 'a'],
      [2, null, 'r'],
      [3, null, 'b'],
      [5, 4, 'cd'],
      [6, null, null],
      [7, null, 'e'],
    ]);
  });

  it('lets a snapshot supersede the snapshot queued right before it (first_seq = the older one), but never across a STATE_DELTA that applies to it', () => {
    const t = target();
    t.transport.bufferedAmount = 1000;
    const bound = { ...policy, queueMax: 100 };
    for (const entry of [snapshot(1, 1), snapshot(2, 2), snapshot(3, 3), stateDelta(4), snapshot(5, 5)]) write(t, entry, bound);
    expect(t.queue).toMatchObject({ frames: 3, dropped: 2 });
    const got = drained(t);
    expect(got.map((message) => [message.type, message.seq, message.first_seq ?? null])).toEqual([
      ['STATE_SNAPSHOT', 3, 1],
      ['STATE_DELTA', 4, null],
      ['STATE_SNAPSHOT', 5, null],
    ]);
    expect(got[0]?.payload).toEqual({ type: 'STATE_SNAPSHOT', snapshot: { n: 3 } });
  });

  it('merges reasoning for a v1 connection as one agent_thinking with first_seq', () => {
    const t = target(new V1Translator());
    t.transport.bufferedAmount = 1000;
    write(t, reasoning(1, 'let me '));
    write(t, reasoning(2, 'think'));
    expect(drained(t)).toEqual([expect.objectContaining({ type: 'agent_thinking', seq: 2, first_seq: 1, payload: { reasoning: 'let me think' } })]);
  });

  it('overflows only for a frame that neither folds nor fits: deltas keep merging into a full queue until its byte bound', () => {
    const t = target();
    t.transport.bufferedAmount = 1000;
    const small: BackpressurePolicy = { highWaterBytes: 0, queueMax: 2, queueMaxBytes: 600 };
    expect(write(t, custom(1), small)).toBe(WriteOutcome.Queued);
    expect(write(t, text(2, 'x'), small)).toBe(WriteOutcome.Queued);
    expect(write(t, text(3, 'y'.repeat(100)), small)).toBe(WriteOutcome.Folded);
    expect(write(t, custom(4), small)).toBe(WriteOutcome.Overflow);
    let outcome: WriteOutcome = WriteOutcome.Folded;
    for (let seq = 4; seq < 100 && outcome === WriteOutcome.Folded; seq += 1) outcome = write(t, text(seq, 'z'.repeat(50)), small);
    expect(outcome).toBe(WriteOutcome.Overflow);
    expect(t.queue?.bytes).toBeLessThanOrEqual(600);
  });
});

describe('a client that stops reading a streamed answer', () => {
  const KB = 1024;
  const HIGH_WATER = 64 * KB;
  const QUEUE_MAX = 20;
  const QUEUE_MAX_BYTES = 32 * 1024 * KB;
  const run = runIds('run-slow', 'thread-slow');
  const deltaOf = (i: number) => `w${i} ${'.'.repeat(4 * KB)}|`;
  let rig: Rig;
  let slow: RigConnection;
  let fast: RigConnection;
  let peakFrames: number;

  beforeEach(async () => {
    rig = await startRig({ sendHighWaterBytes: HIGH_WATER, sendQueueMax: QUEUE_MAX, sendQueueMaxBytes: QUEUE_MAX_BYTES, drainIntervalMs: 5 });
    slow = await rig.connect(rig.unified, 'sam', V2);
    fast = await rig.connect(rig.unified, 'sam', V2);
    peakFrames = 0;
  });
  afterEach(async () => {
    await rig.dispose();
  });

  async function emit(manager: UnifiedWebSocketManager, event: AgentEvent): Promise<void> {
    await manager.emitAgentEvent(uid('sam'), event);
    const queue = manager.getConnection(slow.connectionId) === null ? null : manager.getSendQueue(slow.connectionId);
    if (queue !== null) peakFrames = Math.max(peakFrames, queue.frames);
  }

  /** Streams deltas until the slow connection's queue has merged some, then `more` others; returns every delta sent. */
  async function streamUntilMerged(more: number): Promise<string[]> {
    const sent: string[] = [];
    await emit(rig.unified, runStarted(run));
    await emit(rig.unified, runEvent(run, { type: EventType.TEXT_MESSAGE_START, messageId: 'answer', role: 'assistant' }));
    let extra = -1;
    for (let i = 0; extra < more; i += 1) {
      if (i > 20_000) throw new Error('the socket never backed up');
      sent.push(deltaOf(i));
      await emit(rig.unified, runEvent(run, { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'answer', delta: deltaOf(i) }));
      if (extra >= 0) extra += 1;
      else if ((rig.unified.getSendQueue(slow.connectionId)?.dropped ?? 0) > 0) extra = 0;
      if (i % 25 === 0) await settle(1); // let the kernel take what it will
    }
    return sent;
  }

  it('never sees corrupted text: queued deltas merge, seq keeps rising, every position arrives or is folded, and the text is exact', async () => {
    slow.client.pauseReading(true);
    const sent = await streamUntilMerged(200);
    await emit(rig.unified, runEvent(run, { type: EventType.TEXT_MESSAGE_END, messageId: 'answer' }));
    await emit(rig.unified, runEvent(run, { type: EventType.RUN_FINISHED, threadId: run.thread_id, runId: run.run_id }));
    const last = await rig.unified.getLastSeq(uid('sam'));
    expect(peakFrames).toBeLessThanOrEqual(QUEUE_MAX);
    expect(rig.unified.getStats()).toMatchObject({ slowConsumerCloses: 0 });
    expect(rig.unified.getStats().messagesDropped).toBeGreaterThan(0);
    // The other tab kept up and got every delta as its own envelope.
    expect((await fast.client.waitForStream(last)).map((message) => message.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    slow.client.pauseReading(false);
    await waitForCount(() => slow.client.messages.filter((message) => message.type === 'RUN_FINISHED'), 1, 10_000, 'RUN_FINISHED');
    const stream = slow.client.stream() as (ServerEnvelope & { first_seq?: number })[];
    const seqs = stream.map((message) => message.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const covered = stream.flatMap((message) => Array.from({ length: (message.seq as number) - (message.first_seq ?? (message.seq as number)) + 1 }, (_, i) => (message.first_seq ?? (message.seq as number)) + i));
    expect(covered).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(stream.length).toBeLessThan(last);
    expect(receivedText(stream, 'answer')).toBe(sent.join(''));
    expect(receivedText(fast.client.stream(), 'answer')).toBe(sent.join(''));
    expect(slow.client.messages.some((message) => message.type === 'replay_gap' || message.payload['name'] === 'agentwire.replay_gap')).toBe(false);
    expect(rig.unified.getStats()).toMatchObject({ queuedFrames: 0, queuedBytes: 0 });
  });

  it('closes with 1013 when it still cannot keep up (frames that do not fold fill the queue), and only that connection', async () => {
    slow.client.pauseReading(true);
    await streamUntilMerged(0);
    let sent = 0;
    for (let n = 1; rig.unified.getConnection(slow.connectionId) !== null; n += 1) {
      if (n > 5000) throw new Error('never closed');
      await emit(rig.unified, runEvent(run, { type: EventType.CUSTOM, name: 'app.progress', value: { n, body: 'p'.repeat(4 * KB) } }));
      sent += 1;
    }
    expect(sent).toBeLessThanOrEqual(QUEUE_MAX);
    expect(peakFrames).toBeLessThanOrEqual(QUEUE_MAX);
    expect(rig.unified.getStats()).toMatchObject({ slowConsumerCloses: 1, connections: 1, queuedFrames: 0 });
    expect(rig.unified.isUserConnected(uid('sam'))).toBe(true);
    slow.client.pauseReading(false);
    expect(await slow.client.waitForClose(10_000)).toBe(1013);
    expect(slow.client.closeReason).toBe('slow consumer');
    const last = await rig.unified.getLastSeq(uid('sam'));
    expect((await fast.client.waitForStream(last)).length).toBe(last);
  });
});
