import { JsonUtf8Writer, type OutboundMessage, type Utf8StreamEntry, roomEnvelopeParts, userEnvelope } from '@agentwirejs/protocols';
import type { RunId, ThreadId } from '@agentwirejs/types';
import {
  BatchLines,
  type RawLogEntry,
  appendOfParts,
  batchEndsBy,
  batchHeader,
  batchText,
  encodeBatch,
  encodedAppend,
  entriesFromLog,
  entriesOfBatch,
  entriesOfBatchBytes,
  parsePublication,
  publicationKind,
} from './entries';
import { testUser } from './redis.test-helpers';

describe('the batch text stored and published for one user', () => {
  const user = testUser('uma');
  const appends = [
    { head: '{"type":"note","seq":', tail: ',"payload":{"n":0}}', appendedAt: 1_000 },
    { head: '{"type":"note","seq":', tail: ',"payload":{"text":"a b\\nc"}}', appendedAt: 1_002 },
  ];
  const text = batchText(appends);

  it('gives each line the seq of its place after the first, put back into its envelope, with its own append time', () => {
    expect(entriesOfBatch(user, 41, text).map((entry) => [entry.seq, entry.appendedAt, entry.json, entry.userId])).toEqual([
      [41, 1_000, '{"type":"note","seq":41,"payload":{"n":0}}', user],
      [42, 1_002, '{"type":"note","seq":42,"payload":{"text":"a b\\nc"}}', user],
    ]);
  });

  it('is published as it is, after a header that gives its first seq and its count', () => {
    expect(publicationKind(batchHeader({ first: 41, count: 2 }))).toEqual({ kind: 'header', header: { first: 41, count: 2 } });
    expect(publicationKind(text)).toEqual({ kind: 'lines' });
    // not a header: read as an earlier release's publication
    for (const payload of ['@41', '@41 0', '@0 2', '@x 2', '@41 2\n1000 5 {}', '@-1 2', '3 1000 {"type":"note","seq":3}', '']) {
      expect(publicationKind(payload)).toEqual({ kind: 'earlier' });
    }
  });

  it('is stored as it is under its last seq, so a read from the log gives the same entries', () => {
    const raw: RawLogEntry[] = [['42-0', ['t', '1002', 'l', text]]];
    expect(entriesFromLog(user, raw).map((entry) => [entry.seq, entry.json])).toEqual(entriesOfBatch(user, 41, text).map((entry) => [entry.seq, entry.json]));
  });

  it('skips a malformed line and its seq, and keeps the seqs of the lines after it', () => {
    const malformed = `#not a line\n${batchText([appends[0] as (typeof appends)[number]]).slice(1)}\n5 999 {"type":"note","seq":}`;
    expect(entriesOfBatch(user, 7, malformed).map((entry) => entry.seq)).toEqual([8]);
    expect(entriesFromLog(user, [['9-0', ['t', '999', 'l', malformed]]]).map((entry) => entry.seq)).toEqual([8]); // three lines up to seq 9
    expect(entriesOfBatch(user, 0, text)).toEqual([]); // no seq to deliver them at
    expect(entriesOfBatch(user, 7, text.slice(1))).toEqual([]); // not a batch's text
  });

  it('skips text that is not an envelope (another client publishing on the prefix) instead of throwing, in a batch, a legacy line and the log', () => {
    expect(entriesOfBatch(user, 5, `#1000 5 not json at all\n${text.slice(1)}`).map((entry) => entry.seq)).toEqual([6, 7]);
    expect(parsePublication(user, '3 1000 {"no":"type"}\n4 1001 {"type":"note","seq":4}').map((entry) => entry.seq)).toEqual([4]);
    expect(entriesFromLog(user, [['3-0', ['t', '1000', 'j', '[]']]])).toEqual([]);
    expect(parsePublication(user, 'x 1000 {"type":"note","seq":1}\n0 1000 {"type":"note","seq":0}')).toEqual([]); // no seq to deliver it at
  });
});

describe('what the earlier releases published and stored, still read', () => {
  const user = testUser('uma');
  const appends = [
    { head: '{"type":"note","seq":', tail: ',"payload":{"n":0}}', appendedAt: 1_000 },
    { head: '{"type":"note","seq":', tail: ',"payload":{"text":"a b\\nc"}}', appendedAt: 1_002 },
  ];
  /** The previous release's batch: `@<first seq>`, then the lines, in one text (published and stored so). */
  const previous = (first: number): string => `@${first}\n${batchText(appends).slice(1)}`;

  it("reads the previous release's batch, published and stored whole with its first seq", () => {
    expect(parsePublication(user, previous(41)).map((entry) => [entry.seq, entry.appendedAt, entry.json])).toEqual([
      [41, 1_000, '{"type":"note","seq":41,"payload":{"n":0}}'],
      [42, 1_002, '{"type":"note","seq":42,"payload":{"text":"a b\\nc"}}'],
    ]);
    expect(entriesFromLog(user, [['42-0', ['t', '1002', 'b', previous(41)]]]).map((entry) => entry.seq)).toEqual([41, 42]);
    expect(parsePublication(user, `@7\nnot a line\n${batchText(appends).slice(1)}`).map((entry) => entry.seq)).toEqual([8, 9]);
    expect(parsePublication(user, `@x\n${batchText(appends).slice(1)}`)).toEqual([]);
  });

  it("tells whether the previous release's batch ends by a seq without reading its lines: a malformed line still takes its seq", () => {
    expect(batchEndsBy(previous(41), 42)).toBe(true);
    expect(batchEndsBy(previous(41), 100)).toBe(true);
    expect(batchEndsBy(previous(41), 41)).toBe(false); // 42 is beyond
    expect(batchEndsBy(previous(41), 40)).toBe(false);
    expect(batchEndsBy(`@7\nnot a line\n${batchText(appends).slice(1)}`, 9)).toBe(true);
    expect(batchEndsBy(`@7\nnot a line\n${batchText(appends).slice(1)}`, 8)).toBe(false);
    expect(batchEndsBy('@7', 7)).toBe(true); // no lines: nothing beyond
    // not a batch: never passed over
    for (const payload of ['@x\n1 2 {}', '@0\n1 2 {}', '@-3\n1 2 {}', '3 1000 {"type":"note","seq":3}', '']) expect(batchEndsBy(payload, 1_000)).toBe(false);
  });

  it('reads the release before it: one `<seq> <at> <json>` line per publication line, one log entry per seq', () => {
    const published = '3 1000 {"type":"note","seq":3,"payload":{}}\n4 1001 {"type":"note","seq":4,"payload":{}}';
    expect(parsePublication(user, published).map((entry) => [entry.seq, entry.appendedAt])).toEqual([
      [3, 1_000],
      [4, 1_001],
    ]);
    const raw: RawLogEntry[] = [
      ['3-0', ['t', '1000', 'j', '{"type":"note","seq":3,"payload":{}}']],
      ['5-0', ['t', '1003', 'b', previous(4)]],
      ['7-0', ['t', '1004', 'l', batchText(appends)]],
    ];
    expect(entriesFromLog(user, raw).map((entry) => [entry.seq, entry.json.slice(0, 24)])).toEqual([
      [3, '{"type":"note","seq":3,"'],
      [4, '{"type":"note","seq":4,"'],
      [5, '{"type":"note","seq":5,"'],
      [6, '{"type":"note","seq":6,"'],
      [7, '{"type":"note","seq":7,"'],
    ]);
  });
});

describe("a user's own batch, written and read as bytes", () => {
  const user = testUser('uma');
  const writer = new JsonUtf8Writer();
  const ts = '2026-12-06T16:00:00.000Z';
  const messages: OutboundMessage[] = [
    { type: 'REASONING_MESSAGE_CHUNK', thread_id: 't1' as ThreadId, run_id: 'r1' as RunId, payload: { type: 'REASONING_MESSAGE_CHUNK', messageId: 'm1', delta: 'one' } },
    { type: 'REASONING_MESSAGE_CHUNK', thread_id: 't1' as ThreadId, run_id: 'r1' as RunId, payload: { type: 'REASONING_MESSAGE_CHUNK', messageId: 'm1', delta: 'tide 🌊 "quoted"\n' } },
    { type: 'réponse', payload: { café: 'crème' } }, // a type outside ASCII: its head has more bytes than UTF-16 units
    { type: 'a"quoted\\type', payload: {} }, // a type with escapes
  ];
  const encoded = (message: OutboundMessage, at: number): ReturnType<typeof encodedAppend> => encodedAppend(writer.encode(userEnvelope(message, null, user, ts)), at);

  it('writes the same text as the batch of its envelopes given as text around their seq, whatever their characters', () => {
    const appendedAt = [1_000, 1_000, 1_001.5, 1_002];
    const bytes = encodeBatch(messages.map((message, i) => encoded(message, appendedAt[i] as number)));
    const asText = batchText(
      messages.map((message, i) => {
        const json = JSON.stringify(userEnvelope(message, 0, user, ts));
        const cut = json.indexOf(',"seq":') + ',"seq":'.length;
        return { head: json.slice(0, cut), tail: json.slice(cut + 1), appendedAt: appendedAt[i] as number };
      }),
    );
    expect(bytes.toString('utf8')).toBe(asText);
    expect(entriesOfBatch(user, 7, asText).map((entry) => [entry.seq, entry.appendedAt, entry.type, entry.json])).toEqual(
      messages.map((message, i) => [7 + i, appendedAt[i], message.type, JSON.stringify(userEnvelope(message, 7 + i, user, ts))]),
    );
  });

  it('gives entries whose bytes are their envelope with its seq, read without making their text, until they are released', () => {
    const entries = entriesOfBatchBytes(user, 41, encodeBatch(messages.map((message) => encoded(message, 1_000))));
    expect(entries.map((entry) => [entry.seq, entry.type, entry.jsonUtf8?.toString('utf8')])).toEqual(
      messages.map((message, i) => [41 + i, message.type, JSON.stringify(userEnvelope(message, 41 + i, user, ts))]),
    );
    const [first] = entries as [Utf8StreamEntry];
    expect(first.message).toEqual(messages[0]);
    expect(first.ts).toBe(ts);
    first.release();
    expect(first.jsonUtf8).toBeUndefined();
    expect(first.json).toBe(JSON.stringify(userEnvelope(messages[0] as OutboundMessage, 41, user, ts)));
    // Read from text (history, an earlier release): no bytes to hand out.
    expect(entriesOfBatch(user, 41, batchText([{ head: '{"type":"note","seq":', tail: '}', appendedAt: 1 }])).map((entry) => entry.jsonUtf8)).toEqual([undefined]);
  });

  it("writes a batch's envelopes into one buffer, each entry its own part of it, whatever the digits of their seqs", () => {
    // 60 appends with a short line prefix (`0 <cut> `) and seqs of 16 digits, more than it: the lines' size is not room enough, so the last entries take more buffers.
    const appends = Array.from({ length: 60 }, (_, i) => encoded({ type: 'note', payload: { i, text: 't'.repeat(100) } }, 0));
    const first = 1_000_000_000_000_000;
    const entries = entriesOfBatchBytes(user, first, encodeBatch(appends));
    expect(entries.map((entry) => entry.jsonUtf8?.toString('utf8'))).toEqual(appends.map((_, i) => JSON.stringify(userEnvelope({ type: 'note', payload: { i, text: 't'.repeat(100) } }, first + i, user, ts))));
    const buffers = new Set(entries.map((entry) => entry.jsonUtf8?.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    expect(buffers.size).toBeLessThan(entries.length / 5);
    // with the seqs of a young stream, one buffer
    expect(new Set(entriesOfBatchBytes(user, 1, encodeBatch(appends)).map((entry) => entry.jsonUtf8?.buffer)).size).toBe(1);
    const parts = entries.map((entry) => [entry.jsonUtf8?.byteOffset ?? 0, entry.jsonUtf8?.length ?? 0] as const);
    // no two entries of one buffer overlap
    entries.forEach((entry, i) => {
      const [at, length] = parts[i] as readonly [number, number];
      entries.slice(i + 1).forEach((other, j) => {
        const [otherAt, otherLength] = parts[i + 1 + j] as readonly [number, number];
        if (other.jsonUtf8?.buffer === entry.jsonUtf8?.buffer) expect(otherAt >= at + length || otherAt + otherLength <= at).toBe(true);
      });
    });
  });

  it("puts a room's frame back together around its room_seq, a room name outside ASCII included", () => {
    const message: OutboundMessage = { type: 'standup', payload: { at: '09:30' } };
    const parts = roomEnvelopeParts(message, 'équipe-7', ts);
    const [entry] = entriesOfBatchBytes(user, 3, encodeBatch([appendOfParts(parts, 5)]));
    expect(entry?.json).toBe(`${parts.head}3${parts.tail}`);
    expect(entry?.type).toBe('standup');
  });

  it('refuses bytes with no seq to cut at, and skips lines that are not its own in a batch read as bytes', () => {
    expect(() => encodedAppend(Buffer.from('{"type":"note","seq":1}'), 0)).toThrow(TypeError);
    const good = encodeBatch([encoded(messages[0] as OutboundMessage, 1_000)]).subarray(1).toString('utf8');
    const lines = ['x 5 {"type":"n","seq":}', '1000 x {"type":"n","seq":}', '1000 99 {"type":"n","seq":}', '1000 5 {"typ', '1000 4 {"no":"type"}', '1000', '', good];
    expect(entriesOfBatchBytes(user, 1, Buffer.from(`#${lines.join('\n')}`)).map((entry) => entry.seq)).toEqual([lines.length]);
    expect(entriesOfBatchBytes(user, 1, Buffer.from(good))).toEqual([]); // no mark: not a batch's lines
    expect(entriesOfBatchBytes(user, 0, Buffer.from(`#${good}`))).toEqual([]); // no seq to deliver them at
  });

  it('writes the lines of appends as they come and hands out at most so many at a time, each batch the bytes encodeBatch makes of its appends', () => {
    // 40 appends of about 200 bytes: past the first 4 KiB, so the lines grow while they are written.
    const appends = Array.from({ length: 40 }, (_, i) => encoded({ ...(messages[i % messages.length] as OutboundMessage), payload: { i, pad: 'p'.repeat(150) } }, 1_000 + Math.floor(i / 3)));
    const lines = new BatchLines(0);
    appends.slice(0, 25).forEach((append) => lines.add(append));
    expect(lines.count).toBe(25);
    const first = lines.take(10);
    const firstText = Buffer.from(first.text); // a copy: later lines must not change what was handed out
    appends.slice(25).forEach((append) => lines.add(append));
    const second = lines.take(10);
    const rest = lines.take(100);
    expect(lines.count).toBe(0);
    expect([first.count, second.count, rest.count]).toEqual([10, 10, 20]);
    expect(first.text.equals(firstText)).toBe(true);
    expect(firstText.equals(encodeBatch(appends.slice(0, 10)))).toBe(true);
    expect(second.text.equals(encodeBatch(appends.slice(10, 20)))).toBe(true);
    expect(rest.text.equals(encodeBatch(appends.slice(20)))).toBe(true);
    // each batch's time is its newest append's
    expect([first.appendedAt, second.appendedAt, rest.appendedAt]).toEqual([1_003, 1_006, 1_013]);
    expect(entriesOfBatchBytes(user, 11, second.text).map((entry) => [entry.seq, entry.appendedAt])).toEqual(appends.slice(10, 20).map((append, i) => [11 + i, append.appendedAt]));
    expect(() => lines.take(1)).toThrow(RangeError); // nothing left to take
  });

  it('refuses a line past what one buffer holds and keeps the lines written before it', () => {
    const lines = new BatchLines(0);
    const append = encoded(messages[0] as OutboundMessage, 1_000);
    lines.add(append);
    let refusal: unknown = null;
    try {
      lines.add({ ...append, envelope: { length: 2 ** 53 } as unknown as Buffer });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(lines.count).toBe(1);
    lines.add(append);
    expect(lines.take(10).text.equals(encodeBatch([append, append]))).toBe(true);
  });
});
