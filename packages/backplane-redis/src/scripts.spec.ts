import type { UserId } from '@agentwirejs/types';
import { RedisKeys } from './keys';
import { type RawLogEntry, entriesFromLog, entriesOfBatch, publicationKind } from './entries';
import { adminClient, range, storedSeqs, testUser, useTestbed, userBatchArgs } from './redis.test-helpers';
import { APPEND_SCRIPT, RAISE_FLOOR_SCRIPT, READ_SCRIPT } from './scripts';

describe('the append script', () => {
  const bed = useTestbed();
  let keys: RedisKeys;
  const user = testUser('vic');

  /** One call: a batch of `count` entries for each user named, with (batch id, floor) as the backplane sends them; the first seq of each. */
  const appendFor = async (users: readonly UserId[], batchId: string, count: number, floor = 0, channel?: string): Promise<unknown[]> => {
    const args: (string | number)[] = ['a:p1', batchId, Date.now(), 100, 60_000, 0, users.length];
    for (const target of users) {
      const appends = range(0, count - 1).map((i) => ({ head: '{"type":"note","seq":', tail: `,"payload":{"n":${i}}}`, appendedAt: Date.now() }));
      args.push(...userBatchArgs(channel ?? keys.userChannel(target), floor, appends));
    }
    return (await APPEND_SCRIPT.run(bed.admin, users.flatMap((target) => [keys.userMeta(target), keys.userLog(target)]), args)) as unknown[];
  };
  /** One batch of `count` entries for the user; its first seq. */
  const append = async (batchId: string, count: number, floor = 0, channel = 'nowhere'): Promise<unknown> => (await appendFor([user], batchId, count, floor, channel))[0];

  /** A client of its own subscribed to `channel`, recording each message published there. */
  const listenTo = async (channel: string): Promise<{ subscriber: ReturnType<typeof adminClient>; received: string[] }> => {
    const subscriber = adminClient();
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe(channel);
    return { subscriber, received };
  };
  /** The seqs the user's log holds. */
  const stored = (target: UserId = user): Promise<number[]> => storedSeqs(bed.admin, keys.userLog(target), target);

  beforeEach(() => {
    keys = new RedisKeys(bed.prefix);
  });

  it('applies a batch sent twice (its reply was lost) once, and answers with the seq it got', async () => {
    expect(await append('b1', 3)).toBe(1);
    expect(await append('b1', 3)).toBe(1);
    expect(await append('b2', 2)).toBe(4);
    expect(await bed.admin.hget(keys.userMeta(user), 'seq')).toBe('5');
    expect(await stored()).toEqual([1, 2, 3, 4, 5]);
  });

  it('stores a batch as one entry under its last seq and publishes its header, then the same text, from which readers put each seq into its envelope', async () => {
    const { subscriber, received } = await listenTo(keys.userChannel(user));
    try {
      await append('b0', 1, 0, keys.userChannel(user)); // seq 1, so the batch below starts past 1
      await append('b1', 2, 0, keys.userChannel(user));
      const [lastSeq, raw] = (await READ_SCRIPT.run(bed.admin, [keys.userMeta(user), keys.userLog(user)], [1, '2-0'])) as [number, RawLogEntry[]];
      expect(lastSeq).toBe(3);
      expect(raw.map(([id, fields]) => [id, fields[2]])).toEqual([['3-0', 'l']]);
      const expected = [
        [2, '{"type":"note","seq":2,"payload":{"n":0}}'],
        [3, '{"type":"note","seq":3,"payload":{"n":1}}'],
      ];
      expect(entriesFromLog(user, raw).map((entry) => [entry.seq, entry.json])).toEqual(expected);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(received).toHaveLength(4);
      expect(received.map(publicationKind)).toEqual([
        { kind: 'header', header: { first: 1, count: 1 } },
        { kind: 'lines' },
        { kind: 'header', header: { first: 2, count: 2 } },
        { kind: 'lines' },
      ]);
      // The text as it was sent: stored and published unchanged.
      expect(received[3]).toBe(raw[0]?.[1][3]);
      expect(entriesOfBatch(user, 2, received[3] ?? '').map((entry) => [entry.seq, entry.json])).toEqual(expected);
    } finally {
      subscriber.disconnect();
    }
  });

  it('appends for several users in one call, each in its own stream, and applies that call once when it is sent again', async () => {
    const others = [testUser('wes'), testUser('xia')];
    expect(await append('b1', 2)).toBe(1);
    expect(await appendFor([user, ...others], 'b2', 3)).toEqual([3, 1, 1]);
    expect(await appendFor([user, ...others], 'b2', 3)).toEqual([3, 1, 1]);
    expect(await Promise.all([user, ...others].map((target) => bed.admin.hget(keys.userMeta(target), 'seq')))).toEqual(['5', '3', '3']);
    expect(await Promise.all([user, ...others].map((target) => stored(target)))).toEqual([range(1, 5), range(1, 3), range(1, 3)]);
  });

  it("refuses one user's batch without storing any of it, and appends the other users of the call", async () => {
    const other = testUser('wes');
    await bed.admin.set(keys.userLog(user), 'not a stream');
    const [refused, appended] = await appendFor([user, other], 'b1', 2);
    expect(String(refused)).toMatch(/^ERR WRONGTYPE/);
    expect(appended).toBe(1);
    expect(await bed.admin.hget(keys.userMeta(user), 'seq')).toBeNull();
    expect(await stored(other)).toEqual([1, 2]);
  });

  it('goes on after the log when its stored seq fell behind it (meta hash lost, then a lower floor raised)', async () => {
    expect(await append('b1', 3)).toBe(1);
    await bed.admin.del(keys.userMeta(user));
    expect(await RAISE_FLOOR_SCRIPT.run(bed.admin, [keys.userMeta(user)], [2, 0])).toBe(1);
    expect(await append('b2', 1)).toBe(4);
    expect(await stored()).toEqual([1, 2, 3, 4]);
  });

  it('never hands out a seq below the floor, nor below the last one the log used', async () => {
    expect(await append('b1', 1, 10)).toBe(11);
    await bed.admin.del(keys.userMeta(user)); // Redis lost the position but kept the log
    expect(await append('b2', 1)).toBe(12);
    expect(await RAISE_FLOOR_SCRIPT.run(bed.admin, [keys.userMeta(user)], [20, 0])).toBe(1);
    expect(await RAISE_FLOOR_SCRIPT.run(bed.admin, [keys.userMeta(user)], [15, 0])).toBe(0);
    expect(await append('b3', 1)).toBe(21);
  });

  it('trims by age only once the oldest entry it found is due, and then removes exactly what expired', async () => {
    const T = 1_700_000_000_000;
    /** One entry appended at `at` (the caller's clock, as the backplane sends it), maxAgeMs 1,000. */
    const appendAt = (batchId: string, at: number): Promise<unknown> =>
      APPEND_SCRIPT.run(bed.admin, [keys.userMeta(user), keys.userLog(user)], ['a:p1', batchId, at, 100, 1_000, 0, 1, ...userBatchArgs('nowhere', 0, [{ head: '{"seq":', tail: '}', appendedAt: at }])]);
    const ids = async (): Promise<string[]> => (await bed.admin.xrange(keys.userLog(user), '-', '+')).map(([id]) => id);
    await appendAt('b1', T);
    expect(await bed.admin.hget(keys.userMeta(user), 'trim_at')).toBe(String(T + 1_000));
    await appendAt('b2', T + 500);
    await appendAt('b3', T + 1_000); // the first is not older than 1,000 ms yet
    expect(await ids()).toEqual(['1-0', '2-0', '3-0']);
    expect(await bed.admin.hget(keys.userMeta(user), 'trim_at')).toBe(String(T + 1_000));
    await appendAt('b4', T + 1_501); // 1 and 2 expired; 3 is due at T + 2,000
    expect(await ids()).toEqual(['3-0', '4-0']);
    expect(await bed.admin.hget(keys.userMeta(user), 'trim_at')).toBe(String(T + 2_000));
  });

  it("sets the expiries of log and meta with an eighth to spare, and sets them again only once that has passed on Redis's clock", async () => {
    /** One entry; maxAgeMs 8,000 and streamTtlMs 80,000, both set with 1,000 (an eighth of maxAgeMs) to spare. */
    const appendOne = (batchId: string): Promise<unknown> =>
      APPEND_SCRIPT.run(bed.admin, [keys.userMeta(user), keys.userLog(user)], ['a:p1', batchId, Date.now(), 100, 8_000, 80_000, 1, ...userBatchArgs('nowhere', 0, [{ head: '{"seq":', tail: '}', appendedAt: Date.now() }])]);
    const redisNow = async (): Promise<number> => {
      const [seconds, micros] = await bed.admin.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const expAt = async (): Promise<number> => Number(await bed.admin.hget(keys.userMeta(user), 'exp_at'));
    const before = await redisNow();
    await appendOne('b1');
    const due = await expAt();
    expect(due - before).toBeGreaterThanOrEqual(1_000);
    expect(due - (await redisNow())).toBeLessThanOrEqual(1_000);
    expect(await bed.admin.pttl(keys.userLog(user))).toBeGreaterThan(8_000);
    expect(await bed.admin.pttl(keys.userMeta(user))).toBeGreaterThan(80_000);
    await bed.admin.pexpire(keys.userLog(user), 8_500); // as if 500 ms had passed
    await appendOne('b2'); // within the spare second: nothing is set again
    expect(await expAt()).toBe(due);
    expect(await bed.admin.pttl(keys.userLog(user))).toBeLessThanOrEqual(8_500);
    await bed.admin.hset(keys.userMeta(user), 'exp_at', String((await redisNow()) - 1)); // as if the spare second had passed
    await appendOne('b3');
    expect(await expAt()).toBeGreaterThan(due);
    expect(await bed.admin.pttl(keys.userLog(user))).toBeGreaterThan(8_500);
    await bed.admin.del(keys.userLog(user)); // the log gone (evicted), the meta hash kept, its exp_at still ahead
    await appendOne('b4');
    expect(await bed.admin.pttl(keys.userLog(user))).toBeGreaterThan(8_000);
  });

  it('keeps the batches that hold the newest maxEvents entries, whole', async () => {
    for (let i = 0; i < 30; i += 1) await append(`b${i}`, 5);
    expect(await stored()).toEqual(range(51, 150));
    expect(await bed.admin.hget(keys.userMeta(user), 'seq')).toBe('150');
    await append('b30', 3); // 151–153: the batch of 51–55 now straddles the bound (54) and stays
    expect(await stored()).toEqual(range(51, 153));
    await append('b31', 2); // 154–155: 51–55 is past it
    expect(await stored()).toEqual(range(56, 155));
  });

  it('stores nothing and still publishes when no history is kept (maxEvents 0)', async () => {
    const { subscriber, received } = await listenTo(keys.userChannel(user));
    try {
      const args = ['a:p1', 'b1', Date.now(), 0, 60_000, 0, 1, ...userBatchArgs(keys.userChannel(user), 0, [{ head: '{"type":"note","seq":', tail: '}', appendedAt: Date.now() }])];
      expect(await APPEND_SCRIPT.run(bed.admin, [keys.userMeta(user), keys.userLog(user)], args)).toEqual([1]);
      expect(await bed.admin.exists(keys.userLog(user))).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(publicationKind(received[0] ?? '')).toEqual({ kind: 'header', header: { first: 1, count: 1 } });
      expect(entriesOfBatch(user, 1, received[1] ?? '').map((entry) => entry.json)).toEqual(['{"type":"note","seq":1}']);
    } finally {
      subscriber.disconnect();
    }
  });
});
