import { type AgentEvent, DROPPABLE_MESSAGE_TYPES, type ServerEnvelope } from '@agentwire/protocols';
import { RecordingTransport, settle, waitForCount } from '@agentwire/protocols/testing';
import type { RunId, ThreadId, UserId } from '@agentwire/types';
import { type BackpressurePolicy, type BackpressureTarget, WriteOutcome, drainQueue, writeFrame } from './backpressure';
import type { UnifiedWebSocketManager } from './unified-manager';
import { type Rig, type RigConnection, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

describe('the slow-consumer policy (unit)', () => {
  const policy: BackpressurePolicy = { highWaterBytes: 100, queueMax: 3, queueMaxBytes: 10_000 };
  const target = (): BackpressureTarget & { transport: RecordingTransport } => ({ transport: new RecordingTransport(), queue: null });
  const gap = (from: number, to: number) => `gap ${from}-${to}`;

  it('writes while the socket is below the high-water mark, queues above it, and drains in order once it falls', () => {
    const t = target();
    expect(writeFrame(t, 'a', 1, 'note', policy)).toBe(WriteOutcome.Sent);
    t.transport.bufferedAmount = 101;
    expect(writeFrame(t, 'b', 2, 'note', policy)).toBe(WriteOutcome.Queued);
    t.transport.bufferedAmount = 0;
    expect(writeFrame(t, 'c', null, 'pong', policy)).toBe(WriteOutcome.Queued);
    expect(drainQueue(t, policy, gap)).toBe(2);
    expect(t.transport.frames).toEqual(['a', 'b', 'c']);
    expect(t.queue).toBeNull();
  });

  it('drops droppable frames past the bound, evicts the oldest droppable one for a frame that must not be lost, and marks each hole in place', () => {
    const t = target();
    t.transport.bufferedAmount = 1000;
    expect(writeFrame(t, 'think1', 1, 'agent_thinking', policy)).toBe(WriteOutcome.Queued);
    expect(writeFrame(t, 'tool2', 2, 'tool_executing', policy)).toBe(WriteOutcome.Queued);
    expect(writeFrame(t, 'think3', 3, 'agent_thinking', policy)).toBe(WriteOutcome.Queued);
    expect(writeFrame(t, 'think4', 4, 'agent_thinking', policy)).toBe(WriteOutcome.Dropped);
    expect(writeFrame(t, 'think5', 5, 'agent_thinking', policy)).toBe(WriteOutcome.Dropped);
    expect(writeFrame(t, 'tool6', 6, 'tool_completed', policy)).toBe(WriteOutcome.Queued); // evicts think1
    expect(writeFrame(t, 'done7', 7, 'agent_completed', policy)).toBe(WriteOutcome.Queued); // evicts think3
    expect(t.queue).toMatchObject({ frames: 3, dropped: 4 });
    expect(writeFrame(t, 'err8', null, 'error', policy)).toBe(WriteOutcome.Overflow);
    t.transport.bufferedAmount = 0;
    drainQueue(t, policy, gap);
    expect(t.transport.frames).toEqual(['gap 1-1', 'tool2', 'gap 3-5', 'tool6', 'done7']);
  });

  it('bounds the bytes queued as well as the frames', () => {
    const t = target();
    const small: BackpressurePolicy = { highWaterBytes: 0, queueMax: 100, queueMaxBytes: 10 };
    t.transport.bufferedAmount = 1;
    expect(writeFrame(t, 'x'.repeat(6), 1, 'agent_thinking', small)).toBe(WriteOutcome.Queued);
    expect(writeFrame(t, 'y'.repeat(6), 2, 'tool_executing', small)).toBe(WriteOutcome.Queued);
    expect(t.queue).toMatchObject({ frames: 1, bytes: 6, dropped: 1 });
    expect(writeFrame(t, 'z'.repeat(6), 3, 'tool_completed', small)).toBe(WriteOutcome.Overflow);
  });

  it('never treats anything but agent_thinking as droppable', () => {
    expect([...DROPPABLE_MESSAGE_TYPES]).toEqual(['agent_thinking']);
    const t = target();
    t.transport.bufferedAmount = 1000;
    for (const [seq, type] of ['tool_executing', 'tool_completed', 'agent_started'].entries()) writeFrame(t, type, seq + 1, type, policy);
    for (const type of ['agent_completed', 'agent_error', 'agent_cancelled', 'error', 'replay_gap']) {
      expect(writeFrame(t, type, type === 'error' ? null : 9, type, policy)).toBe(WriteOutcome.Overflow);
    }
  });
});

describe('a client that stops reading', () => {
  const KB = 1024;
  const HIGH_WATER = 64 * KB;
  const QUEUE_MAX = 20;
  const QUEUE_MAX_BYTES = 4096 * KB;
  const BODY = 'r'.repeat(16 * KB);
  const ids = { run_id: 'run-slow' as RunId, thread_id: 'thread-slow' as ThreadId };
  const thinking: AgentEvent = { type: 'agent_thinking', ...ids, payload: { reasoning: BODY } };
  const tool = (n: number): AgentEvent[] => [
    { type: 'tool_executing', ...ids, payload: { tool_name: `tool${n}`, parameters: { body: BODY } } },
    { type: 'tool_completed', ...ids, payload: { tool_name: `tool${n}`, results: n, duration_ms: 1, success: true } },
  ];
  let rig: Rig;
  let slow: RigConnection;
  let fast: RigConnection;
  /** The largest queue and socket buffer seen on the slow connection. */
  let peak: { frames: number; bytes: number; bufferedAmount: number };

  beforeEach(async () => {
    rig = await startRig({ sendHighWaterBytes: HIGH_WATER, sendQueueMax: QUEUE_MAX, sendQueueMaxBytes: QUEUE_MAX_BYTES, drainIntervalMs: 5 });
    slow = await rig.connect(rig.unified, 'sam');
    fast = await rig.connect(rig.unified, 'sam');
    peak = { frames: 0, bytes: 0, bufferedAmount: 0 };
  });
  afterEach(async () => {
    await rig.dispose();
  });

  async function emit(manager: UnifiedWebSocketManager, event: AgentEvent): Promise<void> {
    await manager.emitAgentEvent(uid('sam'), event);
    const queue = manager.getConnection(slow.connectionId) === null ? null : manager.getSendQueue(slow.connectionId);
    if (queue === null) return;
    peak = { frames: Math.max(peak.frames, queue.frames), bytes: Math.max(peak.bytes, queue.bytes), bufferedAmount: Math.max(peak.bufferedAmount, queue.bufferedAmount) };
  }

  /** Sends reasoning until the slow connection's socket is backed up and its queue has started dropping. */
  async function backUp(): Promise<number> {
    for (let i = 1; i <= 20_000; i += 1) {
      await emit(rig.unified, thinking);
      if ((rig.unified.getSendQueue(slow.connectionId)?.dropped ?? 0) > 0) return i;
      if (i % 25 === 0) await settle(1); // let the kernel take what it will
    }
    throw new Error('the socket never backed up');
  }

  it('keeps the slow connection within its bounds, drops only reasoning, marks each hole with replay_gap, and lets it catch up by resuming', async () => {
    slow.client.pauseReading(true);
    await emit(rig.unified, { type: 'agent_started', ...ids, payload: { agent_name: 'demo', input: 'go' } });
    await backUp();
    for (let n = 1; n <= 5; n += 1) {
      for (const event of tool(n)) await emit(rig.unified, event);
      for (let i = 0; i < 10; i += 1) await emit(rig.unified, thinking);
    }
    await emit(rig.unified, { type: 'agent_completed', ...ids, payload: { status: 'completed', final_response: 'ok', duration_ms: 1, event_count: 0 } });
    const last = await rig.unified.getLastSeq(uid('sam'));

    // Server-side memory of the slow connection stayed bounded while it did not read.
    expect(peak.frames).toBeLessThanOrEqual(QUEUE_MAX);
    expect(peak.frames).toBe(QUEUE_MAX);
    expect(peak.bytes).toBeLessThanOrEqual(QUEUE_MAX_BYTES);
    expect(peak.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER + 20 * KB);
    const stats = rig.unified.getStats();
    expect(stats.messagesDropped).toBeGreaterThan(0);
    expect(stats.slowConsumerCloses).toBe(0);
    // The other tab kept up and got everything.
    expect((await fast.client.waitForStream(last)).map((message) => message.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    slow.client.pauseReading(false);
    await waitForCount(() => slow.client.messages.filter((message) => message.type === 'agent_completed'), 1, 10_000, 'agent_completed');
    const received = slow.client.messages.slice(1);
    const stream = received.filter((message) => message.seq !== null);
    const gaps = received.filter((message) => message.type === 'replay_gap').map((message) => message.payload as { from_seq: number; to_seq: number });
    const covered = [...stream.map((message) => message.seq as number), ...gaps.flatMap(({ from_seq, to_seq }) => Array.from({ length: to_seq - from_seq + 1 }, (_, i) => from_seq + i))];
    expect(covered.sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(covered.length - stream.length).toBe(stats.messagesDropped);
    expect(stream.map((message) => message.seq)).toEqual([...stream.map((message) => message.seq)].sort((a, b) => (a as number) - (b as number)));
    const lifecycle = (messages: ServerEnvelope[]) => messages.filter((message) => message.type !== 'agent_thinking').map((message) => message.seq);
    expect(lifecycle(stream)).toEqual(lifecycle(fast.client.stream()));
    expect(rig.unified.getStats()).toMatchObject({ queuedFrames: 0, queuedBytes: 0 });

    // The client resumes from the first hole and gets everything it lacks.
    const firstGap = gaps[0] as { from_seq: number };
    const before = slow.client.messages.length;
    await rig.unified.resume(slow.connectionId, firstGap.from_seq - 1);
    await waitForCount(() => slow.client.messages.slice(before), last - firstGap.from_seq + 1, 10_000);
    const have = new Set(slow.client.stream().map((message) => message.seq));
    expect(have.size).toBe(last);
  });

  it('closes with 1013 when even dropping is not enough, and only that connection', async () => {
    slow.client.pauseReading(true);
    await backUp();
    let sent = 0;
    for (let n = 1; rig.unified.getConnection(slow.connectionId) !== null; n += 1) {
      for (const event of tool(n)) await emit(rig.unified, event);
      sent += 2;
      if (n > 5000) throw new Error('never closed');
    }
    expect(sent).toBeGreaterThan(QUEUE_MAX);
    expect(peak.frames).toBeLessThanOrEqual(QUEUE_MAX);
    expect(rig.unified.getStats()).toMatchObject({ slowConsumerCloses: 1, connections: 1, queuedFrames: 0 });
    expect(rig.unified.isUserConnected(uid('sam'))).toBe(true);
    slow.client.pauseReading(false);
    expect(await slow.client.waitForClose(10_000)).toBe(1013);
    expect(slow.client.closeReason).toBe('slow consumer');
    const last = await rig.unified.getLastSeq(uid('sam'));
    expect((await fast.client.waitForStream(last)).length).toBe(last);
  });
});
