import { type RawLogEntry, batchEndsBy, batchText, entriesFromLog, parsePublication } from './entries';
import { testUser } from './redis.test-helpers';

describe('the batch text stored and published for one user', () => {
  const user = testUser('uma');
  const appends = [
    { head: '{"type":"note","seq":', tail: ',"payload":{"n":0}}', appendedAt: 1_000 },
    { head: '{"type":"note","seq":', tail: ',"payload":{"text":"a b\\nc"}}', appendedAt: 1_002 },
  ];
  /** What the append script makes of the batch when Redis gives it seq `first` onwards. */
  const asStored = (first: number): string => `@${first}\n${batchText(appends)}`;

  it('gives each line the seq of its place after the first, put back into its envelope, with its own append time', () => {
    expect(parsePublication(user, asStored(41)).map((entry) => [entry.seq, entry.appendedAt, entry.json, entry.userId])).toEqual([
      [41, 1_000, '{"type":"note","seq":41,"payload":{"n":0}}', user],
      [42, 1_002, '{"type":"note","seq":42,"payload":{"text":"a b\\nc"}}', user],
    ]);
  });

  it('tells whether a publication ends by a seq without reading its lines: a malformed line still takes its seq', () => {
    expect(batchEndsBy(asStored(41), 42)).toBe(true);
    expect(batchEndsBy(asStored(41), 100)).toBe(true);
    expect(batchEndsBy(asStored(41), 41)).toBe(false); // 42 is beyond
    expect(batchEndsBy(asStored(41), 40)).toBe(false);
    expect(batchEndsBy(`@7\nnot a line\n${batchText(appends)}`, 9)).toBe(true);
    expect(batchEndsBy(`@7\nnot a line\n${batchText(appends)}`, 8)).toBe(false);
    expect(batchEndsBy('@7', 7)).toBe(true); // no lines: nothing beyond
    // not a batch: never passed over
    for (const text of ['@x\n1 2 {}', '@0\n1 2 {}', '@-3\n1 2 {}', '3 1000 {"type":"note","seq":3}', '']) expect(batchEndsBy(text, 1_000)).toBe(false);
  });

  it('reads the same entries from the log, where a batch is stored under its last seq', () => {
    const raw: RawLogEntry[] = [['42-0', ['t', '1002', 'b', asStored(41)]]];
    expect(entriesFromLog(user, raw).map((entry) => entry.seq)).toEqual([41, 42]);
  });

  it('skips a malformed line and its seq, and keeps the seqs of the lines after it', () => {
    const text = `@7\nnot a line\n${batchText([appends[0] as (typeof appends)[number]])}\n5 999 {"type":"note","seq":}`;
    expect(parsePublication(user, text).map((entry) => entry.seq)).toEqual([8]);
    expect(parsePublication(user, `@x\n${batchText(appends)}`)).toEqual([]);
  });

  it('skips text that is not an envelope (another client publishing on the prefix) instead of throwing, in a batch, a legacy line and the log', () => {
    expect(parsePublication(user, `@5\n1000 5 not json at all\n${batchText([appends[0] as (typeof appends)[number]])}`).map((entry) => entry.seq)).toEqual([6]);
    expect(parsePublication(user, '3 1000 {"no":"type"}\n4 1001 {"type":"note","seq":4}').map((entry) => entry.seq)).toEqual([4]);
    expect(entriesFromLog(user, [['3-0', ['t', '1000', 'j', '[]']]])).toEqual([]);
    expect(parsePublication(user, 'x 1000 {"type":"note","seq":1}\n0 1000 {"type":"note","seq":0}')).toEqual([]); // no seq to deliver it at
  });

  it('still reads what a process of an earlier release published and stored: one `<seq> <at> <json>` line, one log entry per seq', () => {
    const published = '3 1000 {"type":"note","seq":3,"payload":{}}\n4 1001 {"type":"note","seq":4,"payload":{}}';
    expect(parsePublication(user, published).map((entry) => [entry.seq, entry.appendedAt])).toEqual([
      [3, 1_000],
      [4, 1_001],
    ]);
    const raw: RawLogEntry[] = [
      ['3-0', ['t', '1000', 'j', '{"type":"note","seq":3,"payload":{}}']],
      ['5-0', ['t', '1003', 'b', `@4\n${batchText(appends)}`]],
    ];
    expect(entriesFromLog(user, raw).map((entry) => [entry.seq, entry.json.slice(0, 24)])).toEqual([
      [3, '{"type":"note","seq":3,"'],
      [4, '{"type":"note","seq":4,"'],
      [5, '{"type":"note","seq":5,"'],
    ]);
  });
});
