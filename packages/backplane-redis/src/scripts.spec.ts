import { RedisKeys } from './keys';
import { adminClient, testUser, useTestbed } from './redis.test-helpers';
import { APPEND_SCRIPT, RAISE_FLOOR_SCRIPT, READ_SCRIPT } from './scripts';

describe('the append script', () => {
  const bed = useTestbed();
  let keys: RedisKeys;
  const user = testUser('vic');

  /** Runs one batch of `count` entries: (batch id, floor) as the backplane sends them. */
  const append = (batchId: string, count: number, floor = 0, channel = 'nowhere'): Promise<unknown> => {
    const args: (string | number)[] = [channel, 'a:p1', batchId, floor, Date.now(), 100, 60_000, 0, count];
    for (let i = 0; i < count; i += 1) args.push('{"type":"note","seq":', `,"payload":{"n":${i}}}`, Date.now());
    return APPEND_SCRIPT.run(bed.admin, [keys.userMeta(user), keys.userLog(user)], args);
  };

  beforeEach(() => {
    keys = new RedisKeys(bed.prefix);
  });

  it('applies a batch sent twice (its reply was lost) once, and answers with the seq it got', async () => {
    expect(await append('b1', 3)).toBe(1);
    expect(await append('b1', 3)).toBe(1);
    expect(await append('b2', 2)).toBe(4);
    expect(await bed.admin.hget(keys.userMeta(user), 'seq')).toBe('5');
    expect(await bed.admin.xlen(keys.userLog(user))).toBe(5);
  });

  it('splices the seq into the envelope, stores it under id <seq>-0 and publishes one line per entry', async () => {
    const subscriber = adminClient();
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe(keys.userChannel(user));
    try {
      await append('b1', 2, 0, keys.userChannel(user));
      const [lastSeq, entries] = (await READ_SCRIPT.run(bed.admin, [keys.userMeta(user), keys.userLog(user)], [0, '1-0'])) as [number, [string, string[]][]];
      expect(lastSeq).toBe(2);
      expect(entries.map(([id, fields]) => [id, fields[3]])).toEqual([
        ['1-0', '{"type":"note","seq":1,"payload":{"n":0}}'],
        ['2-0', '{"type":"note","seq":2,"payload":{"n":1}}'],
      ]);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(received).toHaveLength(1);
      expect(received[0]?.split('\n').map((line) => line.replace(/^(\d+) \d+ /, '$1 '))).toEqual([
        '1 {"type":"note","seq":1,"payload":{"n":0}}',
        '2 {"type":"note","seq":2,"payload":{"n":1}}',
      ]);
    } finally {
      subscriber.disconnect();
    }
  });

  it('never hands out a seq below the floor, nor below the last one the log used', async () => {
    expect(await append('b1', 1, 10)).toBe(11);
    await bed.admin.del(keys.userMeta(user)); // Redis lost the position but kept the log
    expect(await append('b2', 1)).toBe(12);
    expect(await RAISE_FLOOR_SCRIPT.run(bed.admin, [keys.userMeta(user)], [20, 0])).toBe(1);
    expect(await RAISE_FLOOR_SCRIPT.run(bed.admin, [keys.userMeta(user)], [15, 0])).toBe(0);
    expect(await append('b3', 1)).toBe(21);
  });

  it('keeps at most maxEvents entries', async () => {
    for (let i = 0; i < 30; i += 1) await append(`b${i}`, 5);
    expect(await bed.admin.xlen(keys.userLog(user))).toBe(100);
    expect(await bed.admin.hget(keys.userMeta(user), 'seq')).toBe('150');
  });
});
