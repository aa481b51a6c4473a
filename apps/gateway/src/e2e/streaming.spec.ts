import { EventType, WireProtocol } from '@agentwirejs/protocols';
import { eventually } from '@agentwirejs/protocols/testing';
import { burstText } from '../agents/burst-agent';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { type LogLine, capturingLogger, startTestGateway } from './harness.test-helpers';
import {
  ClientPool,
  RedisGateways,
  type V2Envelope,
  epochOf,
  isContent,
  isTerminal,
  lastSeqOf,
  managerStats,
  seqProblems,
  startReading,
  stopReading,
  streamOf,
  textOf,
} from './v2.test-helpers';

/**
 * Streamed answers over agentwire.v2, seen by real ws clients on 127.0.0.1: the burst agent
 * streams `{text_tokens: N, tokens_per_second: R}` as one text message whose deltas are `w0 `,
 * `w1 `, … (burstText(N) is the whole text). Deltas are coalesced for AGENTWIRE_STREAM_COALESCE_MS
 * before they take a seq, compacted on a replay (one envelope first_seq..seq), and merged in a
 * slow consumer's queue; whatever path a client takes, the text it ends up with is exact.
 */

const COALESCE_MS = 40;
const RATE = 200;
const TOKENS = 400;

/**
 * The most TEXT_MESSAGE_CONTENT envelopes a stream of `tokens` at `rate` tokens/s may take: the
 * tracker sends at most one envelope per key per coalescing window, the message lasts
 * tokens / rate seconds, so about that many windows; half as many again for windows that timer
 * jitter splits, plus the flush at the end.
 */
function contentBound(tokens: number, rate: number): number {
  const windows = Math.ceil(((tokens / rate) * 1000) / COALESCE_MS);
  return windows + Math.ceil(windows / 2) + 1;
}

const streamedText = (tokens: number, rate: number) => ({ type: 'start_agent', agent: 'burst', input: { text_tokens: tokens, tokens_per_second: rate } });

const pool = new ClientPool();

// Every message every client received fits the wire contract (run events: @ag-ui/core's EventSchemas).
afterEach(() => expect(pool.finish()).toEqual([]));

/**
 * A tab drops in the middle of a 400-token message and reconnects (on `reconnectOn`) with
 * ?after_seq=<its last seq>&epoch=<epoch>; returns what it saw before and after.
 */
async function dropAndReconnect(startOn: Gateway, reconnectOn: Gateway, tokens: TokenService, user: string) {
  const watcher = await pool.connect(startOn, tokens, user);
  const tab = await pool.connect(startOn, tokens, user);
  tab.send(streamedText(TOKENS, RATE));
  await tab.waitForCount(isContent, 3);
  const before = streamOf(tab);
  const afterSeq = lastSeqOf(tab);
  const epoch = epochOf(tab);
  tab.socket.terminate();
  // The message goes on without it: ten more positions are sequenced while it is away.
  await watcher.waitFor((m) => isContent(m) && (m.seq as number) >= afterSeq + 10);
  const storedAtReconnect = lastSeqOf(watcher);
  const back = await pool.connect(reconnectOn, tokens, user, { query: `?after_seq=${afterSeq}&epoch=${encodeURIComponent(epoch)}` });
  await back.waitFor(isTerminal);
  return { before, afterSeq, storedAtReconnect, after: streamOf(back), watcher };
}

/** What a resumed tab must have got: the missed part compacted, then the live tail; the text exact; the count bounded. */
function expectCompactedCatchUp(result: Awaited<ReturnType<typeof dropAndReconnect>>): void {
  const { before, afterSeq, storedAtReconnect, after } = result;
  // Everything it missed that was stored when it came back arrives as ONE compacted delta.
  const missed = after.filter((m) => (m.first_seq ?? (m.seq as number)) <= storedAtReconnect);
  expect(missed).toHaveLength(1);
  expect(missed[0]).toMatchObject({ type: EventType.TEXT_MESSAGE_CONTENT, first_seq: afterSeq + 1 });
  expect(missed[0]?.seq as number).toBeGreaterThanOrEqual(storedAtReconnect);
  // Then the live tail, ending the message and the run.
  expect(after.slice(-2).map((m) => m.type)).toEqual([EventType.TEXT_MESSAGE_END, EventType.RUN_FINISHED]);
  expect(textOf(before) + textOf(after)).toBe(burstText(TOKENS));
  expect(seqProblems([...before, ...after])).toEqual([]);
  // Bounded: far below one envelope per token (the missed part is one, the tail coalesced).
  expect(after.filter(isContent).length).toBeLessThanOrEqual(contentBound(TOKENS, RATE));
  expect(after.length).toBeLessThan(TOKENS / 4);
}

/** A full replay (after_seq=0) of the finished message: its START, ONE CONTENT with the whole text, its END. */
async function expectFullReplay(gateway: Gateway, tokens: TokenService, user: string): Promise<void> {
  const replay = await pool.connect(gateway, tokens, user, { query: '?after_seq=0' });
  await replay.waitFor(isTerminal);
  const stream = streamOf(replay);
  expect(stream.map((m) => m.type)).toEqual([EventType.RUN_STARTED, EventType.TEXT_MESSAGE_START, EventType.TEXT_MESSAGE_CONTENT, EventType.TEXT_MESSAGE_END, EventType.RUN_FINISHED]);
  const [, start, content, end] = stream as [V2Envelope, V2Envelope, V2Envelope, V2Envelope, V2Envelope];
  expect(content.payload['delta']).toBe(burstText(TOKENS));
  expect(content.payload['messageId']).toBe(start.payload['messageId']);
  expect(content.first_seq).toBe((start.seq as number) + 1);
  expect(content.seq).toBe((end.seq as number) - 1);
  expect(seqProblems(stream)).toEqual([]);
}

describe('a streamed answer on one gateway process', () => {
  let gateway: Gateway;
  let tokens: TokenService;

  beforeAll(async () => {
    ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_STREAM_COALESCE_MS: String(COALESCE_MS) }));
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('arrives as RUN_STARTED, TEXT_MESSAGE_START, coalesced CONTENT…, END, RUN_FINISHED whose deltas spell the exact text', async () => {
    const tab = await pool.connect(gateway, tokens, 'stream-reader');
    tab.send(streamedText(TOKENS, RATE));
    await tab.waitFor(isTerminal);
    const stream = streamOf(tab);
    const types = stream.map((m) => m.type);
    const contents = stream.filter(isContent);
    expect(types).toEqual([EventType.RUN_STARTED, EventType.TEXT_MESSAGE_START, ...contents.map(() => EventType.TEXT_MESSAGE_CONTENT), EventType.TEXT_MESSAGE_END, EventType.RUN_FINISHED]);
    expect(stream.at(-1)?.payload).toMatchObject({ outcome: { type: 'success' } });
    expect(textOf(stream)).toBe(burstText(TOKENS));
    expect(new Set(contents.map((m) => m.payload['messageId']))).toEqual(new Set([stream[1]?.payload['messageId']]));
    // Coalesced: about one envelope per window, far below one per token…
    expect(contents.length).toBeLessThanOrEqual(contentBound(TOKENS, RATE));
    expect(contents.length).toBeLessThan(TOKENS / 4);
    // …yet streamed: the first CONTENT carries a window's worth of tokens, not the answer, and more follow.
    expect(contents.length).toBeGreaterThan(2);
    expect(String(contents[0]?.payload['delta']).split(' ').length - 1).toBeLessThan(TOKENS / 4);
    // Live envelopes are never compacted: each stands for its own position.
    expect(stream.every((m) => m.first_seq === undefined)).toBe(true);
    expect(seqProblems(stream)).toEqual([]);
  });

  it('gives a tab that drops mid-message and reconnects with after_seq+epoch the missed part as one compacted envelope, then the live tail', async () => {
    const result = await dropAndReconnect(gateway, gateway, tokens, 'stream-dropper');
    expectCompactedCatchUp(result);
    // The tab that stayed saw the message live, coalesced and uncompacted, with the same text.
    expect(textOf(streamOf(result.watcher))).toBe(burstText(TOKENS));
  });

  it('gives a tab that sends resume on its open connection the text after its checkpoint compacted, then the live tail', async () => {
    const tab = await pool.connect(gateway, tokens, 'stream-resumer');
    tab.send(streamedText(TOKENS, RATE));
    await tab.waitForCount(isContent, 3);
    // The tab keeps what it had up to its checkpoint and asks for everything after it again.
    const kept = streamOf(tab);
    const checkpoint = lastSeqOf(tab);
    await tab.waitForCount(isContent, 12);
    const sentAt = tab.messages.length;
    tab.send({ type: 'resume', after_seq: checkpoint });
    const replayStart = await tab.waitFor((m) => (m as V2Envelope).first_seq === checkpoint + 1, 10_000, sentAt);
    const from = tab.messages.indexOf(replayStart);
    await tab.waitFor(isTerminal, 10_000, from);
    const resumed = streamOf(tab, from);
    expect(resumed[0]).toMatchObject({ type: EventType.TEXT_MESSAGE_CONTENT, first_seq: checkpoint + 1 });
    // the 9 or more positions it had received after the checkpoint come back as that one envelope
    expect(resumed[0]?.seq as number).toBeGreaterThanOrEqual(checkpoint + 9);
    expect(textOf(kept) + textOf(resumed)).toBe(burstText(TOKENS));
    expect(seqProblems([...kept, ...resumed])).toEqual([]);
    expect(resumed.filter(isContent).length).toBeLessThanOrEqual(contentBound(TOKENS, RATE));
    expect(tab.ofType('error')).toEqual([]);
  });

  it('replays a finished message from after_seq=0 as its START, ONE CONTENT holding the whole text, and its END', async () => {
    const tab = await pool.connect(gateway, tokens, 'stream-replayer');
    tab.send(streamedText(TOKENS, RATE));
    await tab.waitFor(isTerminal);
    expect(streamOf(tab).filter(isContent).length).toBeGreaterThan(1); // live, it took several envelopes
    await expectFullReplay(gateway, tokens, 'stream-replayer');
  });

  it("replays the demo agent's streamed reasoning and answer from after_seq=0 as one CONTENT each", async () => {
    const tab = await pool.connect(gateway, tokens, 'reasoning-replayer');
    tab.send({ type: 'user_message', text: 'what is 2+2?' });
    await tab.waitFor(isTerminal);
    const live = streamOf(tab);
    const isReasoningContent = (m: V2Envelope) => m.type === EventType.REASONING_MESSAGE_CONTENT;
    const reasoningText = live.filter(isReasoningContent).map((m) => m.payload['delta']).join('');
    expect(live.filter(isReasoningContent).length).toBeGreaterThan(1); // streamed at 40 tokens/s, over several windows
    const replay = await pool.connect(gateway, tokens, 'reasoning-replayer', { query: '?after_seq=0' });
    await replay.waitFor(isTerminal);
    const replayed = streamOf(replay);
    const compacted = replayed.filter(isReasoningContent);
    expect(compacted).toHaveLength(1);
    expect(compacted[0]?.payload['delta']).toBe(reasoningText);
    expect(replayed.filter(isContent)).toHaveLength(1);
    expect(textOf(replayed)).toBe(textOf(live));
    expect(textOf(live)).toBe('2+2 = 4.');
    expect(seqProblems(replayed)).toEqual([]);
    expect(replayed.at(-1)?.seq).toBe(live.at(-1)?.seq);
  });

  it('translates the streamed answer for a v1 client into agent_started … agent_completed with the whole text as final_response', async () => {
    const v1 = await pool.connect(gateway, tokens, 'stream-v1', { protocol: WireProtocol.V1 });
    v1.send(streamedText(40, 0));
    const completed = await v1.waitFor((m) => m.type === 'agent_completed');
    expect(v1.stream[0]?.type).toBe('agent_started');
    expect(completed.payload).toMatchObject({ status: 'completed', final_response: burstText(40) });
  });
});

describe('a streamed answer across two gateway processes over Redis', () => {
  const redis = new RedisGateways('streaming');
  let processA: Gateway;
  let processB: Gateway;

  beforeAll(async () => {
    const env = { AGENTWIRE_STREAM_COALESCE_MS: String(COALESCE_MS) };
    processA = await redis.start(env);
    processB = await redis.start(env);
  });
  afterAll(async () => {
    await redis.stopAll();
  }, 30_000);

  it('gives a tab that drops on process A and reconnects on process B the missed part compacted, then the live tail, exactly', async () => {
    const result = await dropAndReconnect(processA, processB, redis.tokens, 'redis-dropper');
    expectCompactedCatchUp(result);
    await expectFullReplay(processB, redis.tokens, 'redis-dropper');
  });

  it('gives a tab on process B the run process A streams, with resume on the open connection compacting what it asks for again', async () => {
    const starter = await pool.connect(processA, redis.tokens, 'redis-resumer');
    const tab = await pool.connect(processB, redis.tokens, 'redis-resumer');
    starter.send(streamedText(TOKENS, RATE));
    await tab.waitForCount(isContent, 3);
    const kept = streamOf(tab);
    const checkpoint = lastSeqOf(tab);
    await tab.waitForCount(isContent, 12);
    const sentAt = tab.messages.length;
    tab.send({ type: 'resume', after_seq: checkpoint });
    const replayStart = await tab.waitFor((m) => (m as V2Envelope).first_seq === checkpoint + 1, 10_000, sentAt);
    const from = tab.messages.indexOf(replayStart);
    await tab.waitFor(isTerminal, 10_000, from);
    const resumed = streamOf(tab, from);
    expect(textOf(kept) + textOf(resumed)).toBe(burstText(TOKENS));
    expect(seqProblems([...kept, ...resumed])).toEqual([]);
    expect(resumed.filter(isContent).length).toBeLessThanOrEqual(contentBound(TOKENS, RATE));
    // the tab that started it on process A saw the same text live
    await starter.waitFor(isTerminal);
    expect(textOf(streamOf(starter))).toBe(burstText(TOKENS));
  });
});

describe('a slow consumer of a streamed answer', () => {
  // Coalescing off: one envelope per token, so a long answer is many frames and backs the socket up.
  const SLOW_ENV = { AGENTWIRE_STREAM_COALESCE_MS: '0', AGENTWIRE_SEND_HIGH_WATER_BYTES: '1024', AGENTWIRE_SEND_QUEUE_MAX: '8' };
  const LONG = 60_000;
  let gateway: Gateway;
  let tokens: TokenService;
  let lines: LogLine[];

  beforeEach(async () => {
    const capture = capturingLogger();
    lines = capture.lines;
    ({ gateway, tokens } = await startTestGateway(SLOW_ENV, { logger: capture.logger }));
  });
  afterEach(async () => {
    const problems = pool.finish();
    await gateway.stop();
    expect(problems).toEqual([]);
  });

  it('ends up with the exact text when it pauses reading and resumes: queued deltas are merged (first_seq..seq), never dropped or repeated', async () => {
    const slow = await pool.connect(gateway, tokens, 'slow-reader');
    const fast = await pool.connect(gateway, tokens, 'slow-reader');
    stopReading(slow);
    fast.send(streamedText(LONG, 0));
    await fast.waitFor(isTerminal, 30_000);
    // Its queue held the answer's deltas merged; nothing overflowed.
    expect(managerStats(gateway).messagesDropped).toBeGreaterThan(0);
    expect(managerStats(gateway).slowConsumerCloses).toBe(0);
    startReading(slow);
    await slow.waitFor(isTerminal, 30_000);
    const stream = streamOf(slow);
    expect(textOf(stream)).toBe(burstText(LONG));
    expect(seqProblems(stream)).toEqual([]);
    const merged = stream.filter((m) => m.first_seq !== undefined);
    expect(merged.length).toBeGreaterThan(0);
    expect(merged.every(isContent)).toBe(true);
    expect(stream.filter(isContent).length).toBeLessThan(LONG);
    expect(stream[0]?.type).toBe(EventType.RUN_STARTED);
    expect(stream.at(-1)?.type).toBe(EventType.RUN_FINISHED);
    expect(slow.closeCode).toBeNull();
  }, 60_000);

  it('is closed with 1013 when it never reads again and the stream brings frames that cannot merge', async () => {
    const stalled = await pool.connect(gateway, tokens, 'never-reader');
    const other = await pool.connect(gateway, tokens, 'never-reader');
    const connectionId = String(stalled.messages[0]?.payload['connection_id']);
    stopReading(stalled);
    other.send(streamedText(LONG, 0));
    await other.waitFor(isTerminal, 30_000);
    // One long answer alone merges into one queued frame: the connection is still open.
    expect(managerStats(gateway).slowConsumerCloses).toBe(0);
    // Every further run adds RUN_STARTED, TEXT_MESSAGE_START, TEXT_MESSAGE_END, RUN_FINISHED: the queue of 8 overflows.
    for (let run = 0; run < 3 && managerStats(gateway).slowConsumerCloses === 0; run += 1) {
      const from = other.messages.length;
      other.send(streamedText(20, 0));
      await other.waitFor(isTerminal, 10_000, from);
    }
    await eventually(() => (managerStats(gateway).slowConsumerCloses > 0 ? true : undefined), 'the 1013 close', 10_000);
    const closed = await eventually(() => lines.find((line) => line.event === 'connection_closed' && line.connectionId === connectionId), 'the connection_closed log line', 10_000);
    expect(closed).toMatchObject({ closeCode: 1013, reason: 'slow consumer' });
    expect(other.closeCode).toBeNull();
  }, 60_000);
});
