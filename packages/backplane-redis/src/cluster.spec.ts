import { randomBytes } from 'node:crypto';
import { type RunId, generateRunId, generateThreadId } from '@agentwirejs/types';
import { Cluster } from 'ioredis';
import { RedisControlBus } from './control-bus';
import { InvalidRedisOptionError } from './errors';
import { RedisKeys } from './keys';
import { type RedisBackplaneOptions, hashTagOf, resolveRedisOptions } from './options';
import { RedisBackplane } from './redis-backplane';
import { type Closable, eventually, note, range, recorder, storedSeqs, testOptions, testUser } from './redis.test-helpers';
import { RedisRunDirectory } from './run-directory';
import { type LocalRedisTopology, startRedisCluster } from './testing';

describe('on a Redis Cluster (the app passes an ioredis Cluster client)', () => {
  let topology: LocalRedisTopology;
  let app: Cluster;
  const opened: Closable[] = [];
  const prefix = (): string => `{agentwire-test-${randomBytes(4).toString('hex')}}:`;
  const options = (keyPrefix: string, overrides: Partial<RedisBackplaneOptions> = {}): RedisBackplaneOptions =>
    testOptions(keyPrefix, { url: undefined, client: app, ...overrides });
  async function connected<T extends Closable & { connect(): Promise<void> }>(component: T): Promise<T> {
    opened.push(component);
    await component.connect();
    return component;
  }

  beforeAll(async () => {
    topology = await startRedisCluster(3);
    // the app's own client; its own key prefix is not applied to agentwire's connections
    app = new Cluster([...topology.nodes], { keyPrefix: 'app:', lazyConnect: true });
  }, 60_000);

  afterEach(async () => {
    for (const component of opened.splice(0).reverse()) await component.close();
  });

  afterAll(async () => {
    app?.disconnect();
    await topology?.stop();
  }, 30_000);

  it('puts every key in one hash slot: a prefix without a hash tag is refused, and none given becomes {agentwire}:', () => {
    expect(() => resolveRedisOptions({ client: app, keyPrefix: 'agentwire:' })).toThrow(InvalidRedisOptionError);
    expect(() => resolveRedisOptions({ client: app, keyPrefix: 'agentwire:{}:' })).toThrow(/hash tag/);
    expect(resolveRedisOptions({ client: app }).keyPrefix).toBe('{agentwire}:');
    expect(hashTagOf('app:{aw}:')).toBe('aw');
    // a single server needs no tag
    expect(resolveRedisOptions({ url: 'redis://127.0.0.1:6379' }).keyPrefix).toBe('agentwire:');
  });

  it("delivers a user's entries appended in two processes to both, in one order, and reads them back from history", async () => {
    const keyPrefix = prefix();
    const [one, two] = [await connected(new RedisBackplane(options(keyPrefix))), await connected(new RedisBackplane(options(keyPrefix)))];
    const user = testUser('cleo');
    const [seenByOne, seenByTwo] = [recorder(), recorder()];
    await one.subscribeUser(user, seenByOne.listener);
    await two.subscribeUser(user, seenByTwo.listener);

    await Promise.all(range(1, 20).map((n) => (n % 2 === 0 ? one : two).appendToUser(user, note({ n }))));

    await eventually(() => seenByOne.entries.length === 20 && seenByTwo.entries.length === 20, 'twenty entries in both');
    expect(seenByOne.seqs()).toEqual(range(1, 20));
    expect(seenByTwo.seqs()).toEqual(range(1, 20));
    const read = await two.readStream(user, 5);
    expect(read.entries.map((entry) => entry.seq)).toEqual(range(6, 20));
    expect(await one.lastSeq(user)).toBe(20);
    // the stream is in the cluster, under agentwire's prefix (not the app client's), in the slot of the prefix's tag
    const admin = new Cluster([...topology.nodes]);
    try {
      const keys = new RedisKeys(keyPrefix);
      expect(await storedSeqs(admin, keys.userLog(user), user)).toEqual(range(1, 20));
      expect(await admin.cluster('KEYSLOT', keys.userLog(user))).toBe(await admin.cluster('KEYSLOT', keys.processes()));
      expect(await admin.exists(`app:${keys.userLog(user)}`)).toBe(0);
    } finally {
      admin.disconnect();
    }
  }, 20_000);

  it('reaches the members of a room in both processes, and every subscribed user with appendToAll', async () => {
    const keyPrefix = prefix();
    const [one, two] = [await connected(new RedisBackplane(options(keyPrefix))), await connected(new RedisBackplane(options(keyPrefix)))];
    const [ada, bo] = [testUser('ada'), testUser('bo')];
    const [adaSeen, boSeen] = [recorder(), recorder()];
    await one.subscribeUser(ada, adaSeen.listener);
    await two.subscribeUser(bo, boSeen.listener);
    await one.joinRoom('team', ada);
    await two.joinRoom('team', bo);

    expect(await one.appendToRoom('team', note({ room: true }))).toBe(2);
    expect(await two.appendToAll(note({ all: true }))).toBe(2);

    await eventually(() => adaSeen.entries.length === 2 && boSeen.entries.length === 2, 'both messages for both users');
    expect([adaSeen.seqs(), boSeen.seqs()]).toEqual([
      [1, 2],
      [1, 2],
    ]);
  }, 20_000);

  it("records run owners and hands a dead process's runs to exactly one survivor", async () => {
    const keyPrefix = prefix();
    const fast = { livenessTtlMs: 300, heartbeatIntervalMs: 50 };
    const [doomed, left, right] = [
      await connected(new RedisRunDirectory(options(keyPrefix, fast))),
      await connected(new RedisRunDirectory(options(keyPrefix, fast))),
      await connected(new RedisRunDirectory(options(keyPrefix, fast))),
    ];
    const runIds: RunId[] = range(1, 5).map(() => generateRunId());
    for (const runId of runIds) await doomed.claim(runId, { userId: testUser('wes'), threadId: generateThreadId(), state: 'running', agentName: 'demo' });
    expect((await left.owner(runIds[0] as RunId))?.processId).toBe(doomed.processId);
    await doomed.close();
    await eventually(async () => (await left.findOrphans()).length === 5, 'five orphans', 5_000);
    const outcomes = await Promise.all(runIds.flatMap((runId) => [left.takeOver(runId, 'dead'), right.takeOver(runId, 'dead')]));
    expect(outcomes.filter((record) => record !== null).map((record) => record?.runId).sort()).toEqual([...runIds].sort());

  }, 30_000);

  it("tells a control command's sender how many processes received it, whichever nodes their connections reached", async () => {
    // Six prefixes: six hash slots, spread over the three primaries. A classic PUBLISH counts only
    // the subscribers of the node it reached; sharded pub/sub counts the slot owner's, which are all.
    for (let index = 0; index < 6; index += 1) {
      const keyPrefix = prefix();
      const [sender, owner] = [await connected(new RedisControlBus(options(keyPrefix))), await connected(new RedisControlBus(options(keyPrefix)))];
      const received: string[] = [];
      owner.onCommand((command) => received.push(command.type));
      expect({ keyPrefix, receivers: await sender.send(owner.processId, { type: 'cancel_run' }) }).toEqual({ keyPrefix, receivers: 1 });
      await eventually(() => received.length === 1, 'the command');
      expect(await sender.send('gone-process', { type: 'cancel_run' })).toBe(0);
    }
  }, 30_000);
});
