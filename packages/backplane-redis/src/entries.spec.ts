import { type RawLogEntry, batchEndsBy, batchHeader, batchText, entriesFromLog, entriesOfBatch, parsePublication, publicationKind } from './entries';
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
