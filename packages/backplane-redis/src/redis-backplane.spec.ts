import { BackplaneClosedError, ReplayGapSchema, RoomEnvelopeSchema, type RoomStreamEntry, type StreamEntry } from '@agentwirejs/protocols';
import { defineBackplaneConformance, settle } from '@agentwirejs/protocols/testing';
import type { UserId } from '@agentwirejs/types';
import { isGapNotice } from './entries';
import { RedisKeys } from './keys';
import type { RedisBackplaneOptions } from './options';
import { RedisBackplane } from './redis-backplane';
import { CuttableProxy, adminClient, clientLines, cutConnection, deleteKeys, eventually, note, range, recorder, storedSeqs, testOptions, testPrefix, testUser, useTestbed, userBatchArgs } from './redis.test-helpers';
import { APPEND_SCRIPT } from './scripts';

defineBackplaneConformance(describe, it, 'RedisBackplane', async (limits) => {
  const prefix = testPrefix();
  const backplane = new RedisBackplane(testOptions(prefix, limits));
  await backplane.connect();
  const admin = adminClient();
  return {
    backplane,
    user: (name) => name as UserId, // the prefix already keeps each test's streams apart
    dispose: async () => {
      await backplane.close();
      await deleteKeys(admin, prefix);
      admin.disconnect();
    },
  };
});

describe('RedisBackplane across processes', () => {
  const bed = useTestbed();

  /** A "process": its own backplane with its own connections, on the test's prefix. */
  async function instance(overrides: Partial<RedisBackplaneOptions> = {}): Promise<RedisBackplane> {
    const backplane = bed.track(new RedisBackplane(testOptions(bed.prefix, overrides)));
    await backplane.connect();
    return backplane;
  }

  /** Appends without publishing, as if the publication had been lost on the way. */
  async function appendUnpublished(userId: UserId, count: number, maxEvents = 1000): Promise<void> {
    const keys = new RedisKeys(bed.prefix);
    const appends = range(0, count - 1).map((i) => ({
      head: '{"type":"note","seq":',
      tail: `,"ts":"${new Date().toISOString()}","user_id":"${userId}","payload":{"lost":${i}}}`,
      appendedAt: Date.now(),
    }));
    const args = ['a:test', `lost-${Math.random()}`, Date.now(), maxEvents, 60_000, 0, 1, ...userBatchArgs('nowhere', 0, appends)];
    await APPEND_SCRIPT.run(bed.admin, [keys.userMeta(userId), keys.userLog(userId)], args);
  }

  /** A process whose connections go through a proxy that can hold its publications back, another process, and a listener on the first for user `name`. */
  async function ownBehindProxy(name: string) {
    const proxy = bed.track(await CuttableProxy.start());
    const [own, other] = [await instance({ url: proxy.url }), await instance()];
    const user = testUser(name);
    const seen = recorder();
    await own.subscribeUser(user, seen.listener);
    return { proxy, own, other, user, seen };
  }

  it("delivers a process's own appends to its listeners from Redis's reply, without waiting for their publication, and does not deliver them again when it comes", async () => {
    const { proxy, own, other, user: pia, seen } = await ownBehindProxy('pia');

    proxy.holdSubscribers();
    const appended = await Promise.all(range(1, 5).map((i) => own.appendToUser(pia, note({ i }))));
    // delivered by the time the appends resolve, while their publication is still held back
    expect(seen.seqs()).toEqual(range(1, 5));
    expect(seen.entries.map((entry) => entry.json)).toEqual(appended.map((entry) => entry.json));
    proxy.releaseSubscribers();

    // Another process's append is published after the held publication: once it is here, that one was read too.
    await other.appendToUser(pia, note({ i: 6 }));
    await eventually(() => seen.entries.length >= 6, "the other process's append");
    await settle(50);
    expect(seen.seqs()).toEqual(range(1, 6));
    expect(seen.entries.map((entry) => entry.message.payload['i'])).toEqual(range(1, 6));
    expect(own.stats().recoveries).toBe(0);
  });

  it("leaves a process's own appends to their publication when another process's entry comes before them, so the listeners still get the stream in order", async () => {
    const { proxy, own, other, user: quin, seen } = await ownBehindProxy('quin');

    proxy.holdSubscribers();
    expect((await other.appendToUser(quin, note({ i: 1 }))).seq).toBe(1);
    expect((await own.appendToUser(quin, note({ i: 2 }))).seq).toBe(2);
    expect(seen.seqs()).toEqual([]); // seq 1 has not reached this process yet
    proxy.releaseSubscribers();

    await eventually(() => seen.entries.length >= 2, 'both entries');
    await settle(50);
    expect(seen.seqs()).toEqual([1, 2]);
    expect(seen.entries.map((entry) => entry.message.payload['i'])).toEqual([1, 2]);
    expect(own.stats().recoveries).toBe(0); // in order from the publications: nothing read from history
  });

  it('gives two processes appending for one user distinct consecutive seqs, and both see the same ordered stream', async () => {
    const [a, b] = [await instance(), await instance()];
    const alice = testUser('alice');
    const [seenA, seenB] = [recorder(), recorder()];
    await a.subscribeUser(alice, seenA.listener);
    await b.subscribeUser(alice, seenB.listener);

    const appended = await Promise.all(
      range(1, 100).flatMap((i) => [a.appendToUser(alice, note({ from: 'a', i })), b.appendToUser(alice, note({ from: 'b', i }))]),
    );

    expect(appended.map((entry) => entry.seq).sort((x, y) => x - y)).toEqual(range(1, 200));
    for (const from of ['a', 'b']) {
      const own = appended.filter((entry) => entry.message.payload['from'] === from).map((entry) => entry.seq);
      expect(own).toEqual([...own].sort((x, y) => x - y)); // each process's appends keep their call order
    }
    await eventually(() => seenA.entries.length >= 200 && seenB.entries.length >= 200, '200 entries on both');
    await settle(50);
    expect(seenA.seqs()).toEqual(range(1, 200));
    expect(seenB.entries.map((entry) => entry.json)).toEqual(seenA.entries.map((entry) => entry.json));
    const bySeq = new Map(appended.map((entry) => [entry.seq, entry.json]));
    expect(seenA.entries.every((entry) => bySeq.get(entry.seq) === entry.json)).toBe(true);
    expect(await b.lastSeq(alice)).toBe(200);
  });

  it('replays in one process what another appended, from Redis', async () => {
    const [a, b] = [await instance(), await instance()];
    const bob = testUser('bob');
    const appended: StreamEntry[] = [];
    for (let i = 1; i <= 10; i += 1) appended.push(await a.appendToUser(bob, note({ i })));

    const read = await b.readStream(bob, 4);

    expect(read.gap).toBeNull();
    expect(read.lastSeq).toBe(10);
    expect(read.entries.map((entry) => [entry.seq, entry.json, entry.message.payload['i']])).toEqual(appended.slice(4).map((entry) => [entry.seq, entry.json, entry.seq]));
    expect(read.entries[0]).toMatchObject({ userId: bob, ts: appended[4]?.ts, appendedAt: appended[4]?.appendedAt });
  });

  it('evicts entries older than maxAgeMs from history and reports them as a gap', async () => {
    let now = 1_000_000;
    const backplane = await instance({ maxAgeMs: 60_000, now: () => now });
    const carol = testUser('carol');
    await backplane.appendToUser(carol, note({ at: 0 }));
    now += 30_000;
    await backplane.appendToUser(carol, note({ at: 30 }));
    now += 40_000;

    const read = await backplane.readStream(carol, 0);
    expect(read.gap).toEqual({ fromSeq: 1, toSeq: 1 });
    expect(read.entries.map((entry) => entry.seq)).toEqual([2]);

    await backplane.appendToUser(carol, note({ at: 70 }));
    expect(await storedSeqs(bed.admin, new RedisKeys(bed.prefix).userLog(carol), carol)).toEqual([2, 3]); // the append trimmed the expired head
  });

  it('subscribes a process only to the channels of users it has listeners for', async () => {
    const [a, b] = [await instance(), await instance()];
    const [dave, erin] = [testUser('dave'), testUser('erin')];
    const keys = new RedisKeys(bed.prefix);
    const subscriptions = async (backplane: RedisBackplane): Promise<string> => {
      const [line] = await clientLines(bed.admin, `agentwire-subscriber-${backplane.processId}`);
      return /(?:^| )sub=(\d+)/.exec(line ?? '')?.[1] ?? 'no connection';
    };
    const numsub = async (userId: UserId): Promise<unknown> => ((await bed.admin.call('PUBSUB', 'NUMSUB', keys.userChannel(userId))) as unknown[])[1];

    const unsubscribeDave = await a.subscribeUser(dave, () => undefined);
    await b.appendToUser(dave, note({ from: 'b' }));
    expect(await subscriptions(a)).toBe('1');
    expect(await subscriptions(b)).toBe('0'); // b appends for dave but receives nothing of his
    expect(await numsub(dave)).toBe(1);

    await b.subscribeUser(erin, () => undefined);
    expect(await subscriptions(b)).toBe('1');
    expect(await numsub(dave)).toBe(1);
    expect(await numsub(erin)).toBe(1);

    await unsubscribeDave();
    await eventually(async () => (await numsub(dave)) === 0, 'dave unsubscribed');
    expect(await subscriptions(a)).toBe('0');
  });

  it('recovers a lost publication from history before delivering what follows', async () => {
    const [a, b] = [await instance(), await instance()];
    const frank = testUser('frank');
    const seen = recorder();
    await b.subscribeUser(frank, seen.listener);

    await appendUnpublished(frank, 3);
    await a.appendToUser(frank, note({ live: true }));

    await eventually(() => seen.entries.length >= 4, '4 entries');
    await settle(50);
    expect(seen.seqs()).toEqual([1, 2, 3, 4]);
    expect(seen.entries.map((entry) => entry.message.payload)).toEqual([{ lost: 0 }, { lost: 1 }, { lost: 2 }, { live: true }]);
    expect(b.stats()).toMatchObject({ recoveries: 1, gapNotices: 0 });
  });

  it('delivers positions history no longer has as one gap notice, then continues in order', async () => {
    const [a, b] = [await instance({ maxEvents: 2 }), await instance({ maxEvents: 2 })];
    const gina = testUser('gina');
    const seen = recorder();
    await b.subscribeUser(gina, seen.listener);

    await appendUnpublished(gina, 5, 2);
    await a.appendToUser(gina, note({ live: true }));

    await eventually(() => seen.entries.length >= 3, 'the gap and 2 entries');
    await settle(50);
    const [gap, ...rest] = seen.entries;
    expect(gap !== undefined && isGapNotice(gap) ? gap.gap : null).toEqual({ fromSeq: 1, toSeq: 4 });
    expect(ReplayGapSchema.parse(JSON.parse(gap?.json ?? ''))).toMatchObject({ seq: null, user_id: gina, payload: { from_seq: 1, to_seq: 4 } });
    expect(gap?.seq).toBe(4);
    expect(rest.map((entry) => [entry.seq, isGapNotice(entry)])).toEqual([
      [5, false],
      [6, false],
    ]);
    expect(b.stats().gapNotices).toBe(1);
  });

  it('splices the room seq at the right place when the room name is not ASCII (cut counts UTF-16 units, the stored text is UTF-8)', async () => {
    const [a, b] = [await instance(), await instance()];
    const room = 'café ☕ équipe 🎉';
    const [inA, inB] = [recorder<RoomStreamEntry>(), recorder<RoomStreamEntry>()];
    await a.subscribeRoomStream(room, inA.listener);
    await b.subscribeRoomStream(room, inB.listener);
    await a.appendToRoomStream(room, note({ text: 'naïve 🎉' }));
    await b.appendToRoomStream(room, note({ text: '二' }));
    await eventually(() => inA.entries.length >= 2 && inB.entries.length >= 2, '2 room entries in both');
    const frames = inB.entries.map((entry) => RoomEnvelopeSchema.strict().parse(JSON.parse(entry.json)));
    expect(frames.map((frame) => [frame.room, frame.room_seq, frame.payload])).toEqual([
      [room, 1, { text: 'naïve 🎉' }],
      [room, 2, { text: '二' }],
    ]);
    expect(inA.entries.map((entry) => entry.json)).toEqual(inB.entries.map((entry) => entry.json));
    // the history (XRANGE) gives the same text as the publications
    expect((await b.readRoomStream(room, 0)).entries.map((entry) => entry.json)).toEqual(inB.entries.map((entry) => entry.json));
  });

  it("carries a room's own stream between processes: one frame for every member, in room order, recovered and gap-noticed like a user's", async () => {
    const [a, b] = [await instance({ maxEvents: 3 }), await instance({ maxEvents: 3 })];
    const [inA, inB] = [recorder<RoomStreamEntry>(), recorder<RoomStreamEntry>()];
    await a.subscribeRoomStream('team 7: standup', inA.listener);
    await b.subscribeRoomStream('team 7: standup', inB.listener);
    const ivy = testUser('ivy');
    await b.joinRoom('team 7: standup', ivy);

    const appended = await Promise.all(range(1, 3).flatMap((i) => [a.appendToRoom('team 7: standup', note({ from: 'a', i })), b.appendToRoomStream('team 7: standup', note({ from: 'b', i }))]));
    expect(appended.filter((users) => typeof users === 'number')).toEqual([1, 1, 1]);
    await eventually(() => inA.entries.length >= 6 && inB.entries.length >= 6, '6 room entries in both');
    expect(inA.seqs()).toEqual(range(1, 6));
    expect(inB.entries.map((entry) => entry.json)).toEqual(inA.entries.map((entry) => entry.json));
    expect(inA.entries.map((entry) => RoomEnvelopeSchema.strict().parse(JSON.parse(entry.json)).room_seq)).toEqual(range(1, 6));
    expect(JSON.parse(inA.entries[0]?.json ?? '')).toMatchObject({ seq: null, room: 'team 7: standup' });
    expect(await a.lastSeq(ivy)).toBe(3);
    expect(b.stats()).toMatchObject({ subscribedRooms: 1, subscribedUsers: 0 });

    // Publications lost on the way: b finds the jump and reads the history, which keeps 3 entries.
    const keys = new RedisKeys(bed.prefix);
    const lost = range(0, 4).map((i) => ({ head: '{"type":"note","seq":null,"room":"team 7: standup","room_seq":', tail: `,"ts":"${new Date().toISOString()}","payload":{"lost":${i}}}`, appendedAt: Date.now() }));
    const room = 'team 7: standup';
    await APPEND_SCRIPT.run(bed.admin, [keys.roomStreamMeta(room), keys.roomStreamLog(room)], ['a:test', 'lost', Date.now(), 3, 60_000, 0, 1, ...userBatchArgs('nowhere', 0, lost)]);
    await a.appendToRoomStream(room, note({ live: true }));
    await eventually(() => inB.entries.length >= 10, 'the gap notice and 3 entries after the first 6');
    const [gap, ...rest] = inB.entries.slice(6);
    expect(gap?.gap).toEqual({ fromSeq: 7, toSeq: 9 });
    expect(RoomEnvelopeSchema.strict().parse(JSON.parse(gap?.json ?? ''))).toMatchObject({ type: 'replay_gap', room, room_seq: null, payload: { from_seq: 7, to_seq: 9 } });
    expect(rest.map((entry) => entry.seq)).toEqual([10, 11, 12]);
    expect(rest.map((entry) => entry.message.payload)).toEqual([{ lost: 3 }, { lost: 4 }, { live: true }]);
    const read = await b.readRoomStream(room, 0);
    expect([read.gap, read.entries.map((entry) => entry.seq), read.lastSeq]).toEqual([{ fromSeq: 1, toSeq: 9 }, [10, 11, 12], 12]);
    expect((await a.roomStreamPosition(room)).epoch).toBe((await b.roomStreamPosition(room)).epoch);
    // Listening to a room stream never makes a user online: a broadcast to everyone reaches no room.
    expect(await a.appendToAll(note({ everyone: true }))).toBe(0);
  });

  it("notices a lost last publication by comparing positions, and delivers it", async () => {
    const b = await instance({ positionCheckIntervalMs: 40 });
    const hal = testUser('hal');
    const seen = recorder();
    await b.subscribeUser(hal, seen.listener);

    await appendUnpublished(hal, 1);

    await eventually(() => seen.entries.length >= 1, 'the lost entry');
    expect(seen.entries[0]?.message.payload).toEqual({ lost: 0 });
    expect(b.stats().positionLags).toBeGreaterThanOrEqual(1);
  });

  it('refuses a message without a string type (its envelope starts with it, and its seq is found after it), alone in a batch, and appends the rest', async () => {
    const backplane = await instance();
    const ada = testUser('ada');
    const seen = recorder();
    await backplane.subscribeUser(ada, seen.listener);
    for (const type of [undefined, 7, null]) {
      // A payload that holds what the seq's place looks like: the cut must not be found there.
      const message = { type, payload: { text: ',"seq":null,' } } as unknown as Parameters<RedisBackplane['appendToUser']>[1];
      await expect(backplane.appendToUser(ada, message)).rejects.toBeInstanceOf(TypeError);
      const failures = await backplane.appendBatchToUser(ada, [note({ i: 1 }), message]);
      expect(failures?.[1]).toBeInstanceOf(TypeError);
    }
    await eventually(() => seen.entries.length === 3, 'the three notes');
    // Nothing of the refused messages was stored: the stream holds the three notes alone.
    expect((await backplane.readStream(ada, 0)).entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expect(seen.entries.map((entry) => [entry.seq, entry.json])).toEqual(seen.entries.map((entry) => [entry.seq, expect.stringContaining(`"seq":${entry.seq},`)]));
  });

  it('keeps delivering to other listeners when one throws, and reports it', async () => {
    const errors: unknown[] = [];
    const backplane = await instance({ onListenerError: (error) => errors.push(error) });
    const ivy = testUser('ivy');
    const seen = recorder();
    await backplane.subscribeUser(ivy, () => {
      throw new Error('listener bug');
    });
    await backplane.subscribeUser(ivy, seen.listener);
    await backplane.appendToUser(ivy, note({}));
    await eventually(() => seen.entries.length === 1, 'one entry');
    expect(errors).toHaveLength(1);
  });

  it('reports an onListenerError that throws to onError, and goes on delivering: own appends from the reply, and publications', async () => {
    const reported: string[] = [];
    const handlerBug = (): never => {
      throw new Error('handler bug');
    };
    const [own, other] = [await instance({ onListenerError: handlerBug, onError: (_error, context) => reported.push(context) }), await instance()];
    const jon = testUser('jon');
    const seen = recorder();
    await own.subscribeUser(jon, () => {
      throw new Error('listener bug');
    });
    await own.subscribeUser(jon, seen.listener);
    // Stored in Redis, so resolved with their seqs (a caller retrying a failed append would append it twice).
    expect((await Promise.all([own.appendToUser(jon, note({ i: 1 })), own.appendToUser(jon, note({ i: 2 }))])).map((entry) => entry.seq)).toEqual([1, 2]);
    await other.appendToUser(jon, note({ i: 3 })); // reaches `own` by its publication
    await eventually(() => seen.entries.length >= 3, 'all three entries');
    expect(seen.seqs()).toEqual([1, 2, 3]);
    expect(reported).toEqual([`onListenerError for ${jon}`, `onListenerError for ${jon}`, `onListenerError for ${jon}`]);
  });

  it("ages out a dead process's online users and room joins", async () => {
    const [survivor, doomed] = [await instance(), await instance({ livenessTtlMs: 300, heartbeatIntervalMs: 100, reconnectDelay: () => 60_000 })];
    const [jack, kim] = [testUser('jack'), testUser('kim')];
    await survivor.subscribeUser(jack, () => undefined);
    await doomed.subscribeUser(kim, () => undefined);
    await doomed.joinRoom('lobby', kim);
    await eventually(async () => (await survivor.appendToAll(note({}))) === 2, 'both users online');
    expect(await survivor.appendToRoom('lobby', note({}))).toBe(1);

    // The doomed process loses Redis for good: it can no longer refresh anything.
    await cutConnection(bed.admin, 'commands', doomed.processId);
    await cutConnection(bed.admin, 'subscriber', doomed.processId);

    await eventually(async () => (await survivor.appendToRoom('lobby', note({}))) === 0, "the dead process's join aged out", 3_000);
    expect(await survivor.appendToAll(note({}))).toBe(1);
    await eventually(async () => (await bed.admin.sismember(new RedisKeys(bed.prefix).processes(), doomed.processId)) === 0, 'the dead process dropped from the registry');
  });

  it('on close: removes its users and joins from Redis, unsubscribes, reports closed, refuses further use', async () => {
    const [a, b] = [await instance(), await instance()];
    const [lee, mia] = [testUser('lee'), testUser('mia')];
    await a.subscribeUser(lee, () => undefined);
    await a.joinRoom('room', mia);
    expect(await b.appendToAll(note({}))).toBe(1);

    await a.close();

    expect(a.status()).toBe('closed');
    expect(await b.appendToAll(note({}))).toBe(0);
    expect(await b.appendToRoom('room', note({}))).toBe(0);
    expect(await clientLines(bed.admin, `agentwire-subscriber-${a.processId}`)).toEqual([]);
    await expect(a.appendToUser(lee, note({}))).rejects.toBeInstanceOf(BackplaneClosedError);
    await expect(a.subscribeUser(lee, () => undefined)).rejects.toBeInstanceOf(BackplaneClosedError);
  });
});
