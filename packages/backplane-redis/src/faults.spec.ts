import { BackplaneClosedError, type BackplaneStatus, type StreamEntry } from '@agentwirejs/protocols';
import { settle } from '@agentwirejs/protocols/testing';
import { isGapNotice } from './entries';
import { BackplaneUnavailableError } from './errors';
import type { RedisBackplaneOptions } from './options';
import { RedisBackplane } from './redis-backplane';
import {
  CuttableProxy,
  PrivateRedis,
  cutConnection,
  eventually,
  freePort,
  note,
  range,
  recorder,
  testOptions,
  testUser,
  useTestbed,
} from './redis.test-helpers';

describe('RedisBackplane when Redis fails', () => {
  const bed = useTestbed();
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  async function instance(overrides: Partial<RedisBackplaneOptions> = {}, connect = true): Promise<RedisBackplane> {
    const backplane = bed.track(new RedisBackplane(testOptions(bed.prefix, overrides)));
    if (connect) await backplane.connect();
    return backplane;
  }

  function statusLog(): { statuses: BackplaneStatus[]; onStatusChange: (status: BackplaneStatus) => void } {
    const statuses: BackplaneStatus[] = [];
    return { statuses, onStatusChange: (status) => statuses.push(status) };
  }

  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('delivers every entry once and in order when the subscriber connection is cut mid-stream', async () => {
    const log = statusLog();
    const a = await instance();
    const b = await instance({ reconnectDelay: () => 200, onStatusChange: log.onStatusChange });
    const nina = testUser('nina');
    const seen = recorder();
    await b.subscribeUser(nina, seen.listener);

    for (const i of range(1, 20)) await a.appendToUser(nina, note({ i }));
    await eventually(() => seen.entries.length === 20, 'the first 20');
    expect(await cutConnection(bed.admin, 'subscriber', b.processId)).toBe(1);
    await eventually(() => b.status() === 'degraded', 'degraded');
    for (const i of range(21, 40)) await a.appendToUser(nina, note({ i })); // published while b cannot hear them
    await eventually(() => b.status() === 'ready', 'ready again');
    for (const i of range(41, 50)) await a.appendToUser(nina, note({ i }));

    await eventually(() => seen.entries.length >= 50, 'all 50');
    await settle(50);
    expect(seen.seqs()).toEqual(range(1, 50));
    expect(seen.entries.map((entry) => entry.message.payload['i'])).toEqual(range(1, 50));
    expect(log.statuses).toEqual(['ready', 'degraded', 'ready']);
    expect(b.stats().recoveries).toBeGreaterThanOrEqual(1);
    expect(b.stats().gapNotices).toBe(0);
  });

  it('gives every append exactly one seq, in call order, when the appending connection is cut mid-burst', async () => {
    const log = statusLog();
    const a = await instance({ reconnectDelay: () => 100, maxBatchSize: 20, onStatusChange: log.onStatusChange });
    const b = await instance();
    const omar = testUser('omar');
    const seen = recorder();
    await b.subscribeUser(omar, seen.listener);

    const appends = Promise.all(range(1, 300).map((i) => a.appendToUser(omar, note({ i }))));
    await settle(1); // some batches are out, the rest wait
    expect(await cutConnection(bed.admin, 'commands', a.processId)).toBe(1);
    const appended = await appends;

    expect(appended.map((entry) => entry.seq)).toEqual(range(1, 300)); // call order kept, nothing twice
    expect(await b.lastSeq(omar)).toBe(300);
    await eventually(() => seen.entries.length >= 300, 'all 300');
    await settle(50);
    expect(seen.entries.map((entry) => entry.message.payload['i'])).toEqual(range(1, 300));
    expect(log.statuses).toEqual(['ready', 'degraded', 'ready']);
  });

  it('does not apply a batch twice when its reply was lost and ioredis sends it again', async () => {
    const proxy = bed.track(await CuttableProxy.start());
    const a = await instance({ url: proxy.url, reconnectDelay: () => 50 });
    const b = await instance();
    const una = testUser('una');
    const seen = recorder();
    await b.subscribeUser(una, seen.listener);
    for (const i of range(1, 5)) await a.appendToUser(una, note({ i }));

    proxy.dropReplies = true;
    const inDoubt = Promise.all(range(6, 10).map((i) => a.appendToUser(una, note({ i }))));
    await eventually(async () => (await b.lastSeq(una)) === 10, 'Redis applied the batch whose reply is lost');
    proxy.dropReplies = false;
    proxy.cut();

    expect((await inDoubt).map((entry) => entry.seq)).toEqual(range(6, 10));
    await eventually(() => seen.entries.length >= 10, 'all 10');
    await a.appendToUser(una, note({ i: 11 }));
    await eventually(() => seen.entries.length >= 11, 'the 11th');
    await settle(50);
    expect(await b.lastSeq(una)).toBe(11);
    expect(seen.entries.map((entry) => [entry.seq, entry.message.payload['i']])).toEqual(range(1, 11).map((i) => [i, i]));
    expect((await b.readStream(una, 0)).entries.map((entry) => entry.message.payload['i'])).toEqual(range(1, 11));
  });

  it('undoes a room join that cannot be stored in time; a leave during an outage still takes effect', async () => {
    const proxy = bed.track(await CuttableProxy.start());
    const errors: string[] = [];
    const a = await instance();
    const b = await instance({ url: proxy.url, livenessTtlMs: 20_000, requestTimeoutMs: 150, onError: (_, context) => errors.push(context) });
    const [vera, walt] = [testUser('vera'), testUser('walt')];
    await b.joinRoom('stage', vera);
    expect(await a.appendToRoom('stage', note({}))).toBe(1);

    proxy.partitioned = true;
    await b.leaveRoom('stage', vera); // resolves: the join is gone here, Redis learns it later
    expect(errors).toContain('leave stage');
    await expect(b.joinRoom('stage', walt)).rejects.toBeInstanceOf(BackplaneUnavailableError);
    proxy.partitioned = false;
    proxy.cut();

    await eventually(async () => (await a.appendToRoom('stage', note({}))) === 0, 'neither join left in Redis');
  });

  it('buffers appends while Redis is down, delivers them in order after a restart, and refuses appends beyond the buffer', async () => {
    const server = bed.track(await PrivateRedis.start());
    const log = statusLog();
    const url = server.url;
    const a = await instance({ url, maxBufferedAppends: 6, reconnectDelay: () => 100, onStatusChange: log.onStatusChange });
    const b = await instance({ url, reconnectDelay: () => 100, requestTimeoutMs: 200 });
    const pia = testUser('pia');
    const seen = recorder();
    await b.subscribeUser(pia, seen.listener);
    for (const i of range(1, 5)) await a.appendToUser(pia, note({ i }));
    await eventually(() => seen.entries.length === 5, 'the first 5');

    await server.kill();
    await eventually(() => a.status() === 'degraded' && b.status() === 'degraded', 'both degraded');
    const during = range(6, 11).map((i) => a.appendToUser(pia, note({ i })));
    await expect(a.appendToUser(pia, note({ i: 12 }))).rejects.toBeInstanceOf(BackplaneUnavailableError);
    expect(a.stats().bufferedAppends).toBe(6);
    await expect(b.readStream(pia, 0)).rejects.toBeInstanceOf(BackplaneUnavailableError);

    await server.restart(); // with no persistence: every key is gone
    expect((await Promise.all(during)).map((entry) => entry.seq)).toEqual(range(6, 11));
    await eventually(() => seen.entries.length >= 11, 'all 11');
    await settle(50);

    expect(seen.seqs()).toEqual(range(1, 11));
    expect(seen.entries.map((entry) => entry.message.payload['i'])).toEqual(range(1, 11));
    expect(log.statuses).toEqual(['ready', 'degraded', 'ready']);
    const replay = await b.readStream(pia, 0);
    expect(replay.gap).toEqual({ fromSeq: 1, toSeq: 5 }); // the restart lost them, and says so
    expect(replay.entries.map((entry) => entry.seq)).toEqual(range(6, 11));
  });

  it('keeps seq rising for subscribers when Redis restarts empty, even for an appender that knew less', async () => {
    const server = bed.track(await PrivateRedis.start());
    const url = server.url;
    const b = await instance({ url, reconnectDelay: () => 50 });
    const quinn = testUser('quinn');
    const seen = recorder();
    await b.subscribeUser(quinn, seen.listener);
    for (const i of range(1, 5)) await b.appendToUser(quinn, note({ i }));
    await eventually(() => seen.entries.length === 5, 'the first 5');

    await server.kill();
    await server.restart();
    await eventually(() => b.status() === 'ready', 'b back');
    await eventually(() => b.stats().streamResets === 1, 'b noticed the reset and raised the floor');
    // A process that never saw quinn's stream appends after the restart.
    const fresh = await instance({ url });
    const entry = await fresh.appendToUser(quinn, note({ i: 6 }));

    expect(entry.seq).toBe(6);
    await eventually(() => seen.entries.length >= 6, 'the sixth');
    expect(seen.seqs()).toEqual(range(1, 6));
  });

  it('names a new epoch when Redis restarts empty, so a position from before cannot pass for one of the new stream', async () => {
    const server = bed.track(await PrivateRedis.start());
    const before = await instance({ url: server.url, reconnectDelay: () => 50 });
    const rosa = testUser('rosa');
    for (const i of range(1, 52)) await before.appendToUser(rosa, note({ i }));
    const old = await before.position(rosa);
    expect(old.lastSeq).toBe(52);

    await server.kill();
    await server.restart();
    // Every gateway process restarted too: nobody remembers rosa's position.
    const after = await instance({ url: server.url });
    const fresh = await after.position(rosa);
    expect(fresh.lastSeq).toBe(0);
    expect(fresh.epoch).not.toBe(old.epoch);
    expect((await after.appendToUser(rosa, note({ i: 1 }))).seq).toBe(1);
    expect(await after.position(rosa)).toEqual({ lastSeq: 1, epoch: fresh.epoch });
  });

  it('reports degraded, never throws, and fails reads in time while Redis is unreachable; close fails what waits', async () => {
    const errors: string[] = [];
    const url = `redis://127.0.0.1:${await freePort()}`;
    const backplane = await instance({ url, requestTimeoutMs: 150, connectTimeoutMs: 150, onError: (_, context) => errors.push(context) }, false);
    const rob = testUser('rob');

    await expect(backplane.connect()).rejects.toBeInstanceOf(BackplaneUnavailableError);
    expect(backplane.status()).toBe('degraded');
    await expect(backplane.readStream(rob, 0)).rejects.toBeInstanceOf(BackplaneUnavailableError);
    await expect(backplane.lastSeq(rob)).rejects.toBeInstanceOf(BackplaneUnavailableError);
    await expect(backplane.subscribeUser(rob, () => undefined)).rejects.toBeInstanceOf(BackplaneUnavailableError);
    const waiting = backplane.appendToUser(rob, note({}));
    waiting.catch(() => undefined);
    await settle(100);
    expect(backplane.stats().bufferedAppends).toBe(1);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((context) => context.startsWith('redis '))).toBe(true);

    await backplane.close();
    await expect(waiting).rejects.toBeInstanceOf(BackplaneClosedError);
    expect(backplane.status()).toBe('closed');
  });

  it('restores subscriptions after the subscriber connection is cut while idle, and recovers what it missed', async () => {
    const a = await instance();
    const b = await instance({ reconnectDelay: () => 300 });
    const [sam, tia] = [testUser('sam'), testUser('tia')];
    const seen = new Map<string, StreamEntry[]>([
      [sam, []],
      [tia, []],
    ]);
    await b.subscribeUser(sam, (entry) => seen.get(sam)?.push(entry));
    await b.subscribeUser(tia, (entry) => seen.get(tia)?.push(entry));

    await cutConnection(bed.admin, 'subscriber', b.processId);
    await eventually(() => b.status() === 'degraded', 'degraded');
    await a.appendToUser(sam, note({ missed: true })); // the only entry: no later publication reveals the loss
    await eventually(() => b.status() === 'ready', 'ready');
    await a.appendToUser(tia, note({ live: true }));

    await eventually(() => seen.get(sam)?.length === 1 && seen.get(tia)?.length === 1, 'one entry each');
    expect(seen.get(sam)?.[0]?.message.payload).toEqual({ missed: true });
    expect([...seen.values()].flat().some(isGapNotice)).toBe(false);
  });
});
