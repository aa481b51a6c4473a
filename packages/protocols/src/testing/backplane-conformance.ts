import assert from 'node:assert/strict';
import type { UserId } from '@agentwirejs/types';
import type { Backplane, RoomStreamEntry } from '../backplane';
import type { StreamEntry } from '../stream-entry';
import { RoomEnvelopeSchema, ServerEnvelopeSchema } from '../wire/server-messages';
import { settle, waitForCount } from './assertions';

export interface BackplaneHarnessOptions {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/**
 * Creates a fresh backplane. Implementations that share a store between tests (Redis) must
 * isolate each one (a unique key prefix); `user` turns a short name into an id unique to it.
 */
export interface BackplaneHarness {
  readonly backplane: Backplane;
  user(name: string): UserId;
  dispose(): Promise<void>;
}

export type BackplaneHarnessFactory = (options: BackplaneHarnessOptions) => Promise<BackplaneHarness>;

export interface BackplaneConformanceCase {
  readonly name: string;
  run(createHarness: BackplaneHarnessFactory): Promise<void>;
}

const note = (payload: Record<string, unknown>) => ({ type: 'note', payload });

async function withBackplane(create: BackplaneHarnessFactory, run: (h: BackplaneHarness) => Promise<void>, maxEvents = 100): Promise<void> {
  const harness = await create({ maxEvents, maxAgeMs: 60_000 });
  try {
    await run(harness);
  } finally {
    await harness.dispose();
  }
}

function collect<E = StreamEntry>(): { entries: E[]; listener: (entry: E) => void } {
  const entries: E[] = [];
  return { entries, listener: (entry) => entries.push(entry) };
}

/** The behaviour every Backplane implementation must show (the in-memory one and the Redis one). */
export const backplaneConformanceCases: readonly BackplaneConformanceCase[] = [
  {
    name: 'names the stream with one epoch from before the first append on, alongside its position',
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const erin = user('erin');
        const before = await backplane.position(erin);
        assert.equal(before.lastSeq, 0);
        assert.ok(before.epoch.length > 0 && before.epoch.length <= 64, 'a non-empty epoch of at most 64 characters');
        await backplane.appendToUser(erin, note({ i: 1 }));
        await backplane.appendToUser(erin, note({ i: 2 }));
        assert.deepEqual(await backplane.position(erin), { lastSeq: 2, epoch: before.epoch });
      }),
  },
  {
    name: "assigns each user's next seq and delivers entries to that user's subscribers in order",
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const alice = user('alice');
        const seen = collect();
        await backplane.subscribeUser(alice, seen.listener);
        for (let i = 1; i <= 5; i += 1) assert.equal((await backplane.appendToUser(alice, note({ i }))).seq, i);
        const got = await waitForCount(() => seen.entries, 5);
        assert.deepEqual(got.map((e) => e.seq), [1, 2, 3, 4, 5]);
        const envelope = ServerEnvelopeSchema.parse(JSON.parse(got[4]?.json ?? ''));
        assert.equal(envelope.seq, 5);
        assert.equal(envelope.user_id, alice);
        assert.deepEqual(envelope.payload, { i: 5 });
        assert.equal(await backplane.lastSeq(alice), 5);
      }),
  },
  {
    name: "never delivers one user's entries to another user's subscribers",
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const [a, b] = [user('a'), user('b')];
        const seenA = collect();
        const seenB = collect();
        await backplane.subscribeUser(a, seenA.listener);
        await backplane.subscribeUser(b, seenB.listener);
        await Promise.all([backplane.appendToUser(a, note({ to: 'a' })), backplane.appendToUser(b, note({ to: 'b' }))]);
        await waitForCount(() => seenA.entries, 1);
        await waitForCount(() => seenB.entries, 1);
        await settle();
        assert.deepEqual(seenA.entries.map((e) => [e.userId, e.message.payload['to']]), [[a, 'a']]);
        assert.deepEqual(seenB.entries.map((e) => [e.userId, e.message.payload['to']]), [[b, 'b']]);
      }),
  },
  {
    name: 'keeps entries for replay and reports evicted ones as a gap',
    run: (create) =>
      withBackplane(
        create,
        async ({ backplane, user }) => {
          const carol = user('carol');
          assert.deepEqual(await backplane.readStream(carol, 0), { entries: [], gap: null, lastSeq: 0 });
          for (let i = 1; i <= 7; i += 1) await backplane.appendToUser(carol, note({ i }));
          const all = await backplane.readStream(carol, 0);
          assert.deepEqual(all.gap, { fromSeq: 1, toSeq: 3 });
          assert.deepEqual(all.entries.map((e) => e.seq), [4, 5, 6, 7]);
          assert.equal(all.lastSeq, 7);
          const tail = await backplane.readStream(carol, 5);
          assert.deepEqual(tail.gap, null);
          assert.deepEqual(tail.entries.map((e) => e.seq), [6, 7]);
          assert.deepEqual((await backplane.readStream(carol, 7)).entries, []);
        },
        4,
      ),
  },
  {
    name: 'gives concurrent appends for one user distinct, consecutive seqs, delivered in order',
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const dan = user('dan');
        const seen = collect();
        await backplane.subscribeUser(dan, seen.listener);
        const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => backplane.appendToUser(dan, note({ i }))));
        assert.deepEqual(entries.map((e) => e.seq).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1));
        const got = await waitForCount(() => seen.entries, 50);
        assert.deepEqual(got.map((e) => e.seq), Array.from({ length: 50 }, (_, i) => i + 1));
      }),
  },
  {
    name: 'appends a batch (appendBatchToUser, where offered) in order among the appends around it; a message that cannot be serialized is refused alone',
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        if (backplane.appendBatchToUser === undefined) return; // optional: callers append one by one
        const gus = user('gus');
        const seen = collect();
        await backplane.subscribeUser(gus, seen.listener);
        const before = backplane.appendToUser(gus, note({ i: 0 }));
        const batch = backplane.appendBatchToUser(gus, [note({ i: 1 }), note({ i: 2, size: 10n }), note({ i: 3 })]);
        const after = backplane.appendToUser(gus, note({ i: 4 }));
        const failures = await batch;
        assert.equal(failures?.length, 3);
        assert.equal(failures[0], undefined);
        assert.ok(failures[1] instanceof TypeError, 'the BigInt payload is refused with what JSON.stringify threw');
        assert.equal(failures[2], undefined);
        assert.deepEqual([(await before).seq, (await after).seq], [1, 4]);
        const got = await waitForCount(() => seen.entries, 4);
        assert.deepEqual(got.map((e) => [e.seq, e.message.payload['i']]), [[1, 0], [2, 1], [3, 3], [4, 4]]);
        assert.equal(await backplane.appendBatchToUser(gus, [note({ i: 5 }), note({ i: 6 })]), null);
        assert.equal(await backplane.appendBatchToUser(gus, []), null);
        assert.deepEqual((await backplane.readStream(gus, 4)).entries.map((e) => [e.seq, e.userId]), [[5, gus], [6, gus]]);
        await backplane.close();
        await assert.rejects(backplane.appendBatchToUser(gus, [note({ i: 7 })]), { code: 'BACKPLANE_CLOSED' });
      }),
  },
  {
    name: "appends room messages to each member user's own stream; membership is counted",
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const [erin, frank] = [user('erin'), user('frank')];
        const seenErin = collect();
        await backplane.subscribeUser(erin, seenErin.listener);
        await backplane.appendToUser(erin, note({ before: true }));
        await backplane.joinRoom('room', erin);
        await backplane.joinRoom('room', erin);
        await backplane.joinRoom('room', frank);
        assert.equal(await backplane.appendToRoom('room', note({ n: 1 })), 2);
        await backplane.leaveRoom('room', erin);
        assert.equal(await backplane.appendToRoom('room', note({ n: 2 })), 2, 'erin joined twice and left once');
        await backplane.leaveRoom('room', erin);
        await backplane.leaveRoom('room', frank);
        assert.equal(await backplane.appendToRoom('room', note({ n: 3 })), 0);
        const got = await waitForCount(() => seenErin.entries, 3);
        assert.deepEqual(got.map((e) => [e.seq, e.message.payload['n'] ?? null]), [[1, null], [2, 1], [3, 2]]);
        assert.equal(await backplane.lastSeq(frank), 2);
      }),
  },
  {
    name: 'appends broadcasts to every subscribed user; unsubscribing stops delivery',
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const [gus, hal] = [user('gus'), user('hal')];
        const seenGus = collect();
        const seenHal = collect();
        await backplane.subscribeUser(gus, seenGus.listener);
        const unsubscribeHal = await backplane.subscribeUser(hal, seenHal.listener);
        assert.ok((await backplane.appendToAll(note({ all: 1 }))) >= 2);
        await waitForCount(() => seenHal.entries, 1);
        await unsubscribeHal();
        await backplane.appendToUser(hal, note({ after: 'unsubscribe' }));
        await waitForCount(() => seenGus.entries, 1);
        await settle(50);
        assert.equal(seenHal.entries.length, 1);
        assert.equal(await backplane.lastSeq(hal), 2);
      }),
  },
  {
    name: 'gives a room a stream of its own: consecutive room seqs, one frame for every subscriber, no user stream touched',
    run: (create) =>
      withBackplane(create, async ({ backplane, user }) => {
        const ivy = user('ivy');
        const [first, second, other] = [collect<RoomStreamEntry>(), collect<RoomStreamEntry>(), collect<RoomStreamEntry>()];
        await backplane.subscribeRoomStream('standup', first.listener);
        await backplane.subscribeRoomStream('standup', second.listener);
        await backplane.subscribeRoomStream('retro', other.listener);
        await backplane.joinRoom('standup', ivy); // a user-stream membership: fed by appendToRoom only
        const appended = await Promise.all([1, 2, 3, 4, 5].map((i) => backplane.appendToRoomStream('standup', note({ i }))));
        assert.deepEqual(appended.map((e) => e.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5]);
        assert.equal((await backplane.appendToRoomStream('retro', note({ i: 1 }))).seq, 1, 'each room counts on its own');
        const got = await waitForCount(() => first.entries, 5);
        const also = await waitForCount(() => second.entries, 5);
        assert.deepEqual(got.map((e) => e.seq), [1, 2, 3, 4, 5]);
        assert.deepEqual(also.map((e) => e.json), got.map((e) => e.json), 'every subscriber gets the same frame');
        const frame = RoomEnvelopeSchema.strict().parse(JSON.parse(got[4]?.json ?? ''));
        assert.deepEqual([frame.seq, frame.room, frame.room_seq, frame.type], [null, 'standup', 5, 'note']);
        assert.equal(got.map((e) => e.message.payload['i']).join(), appended.map((e) => e.message.payload['i']).join());
        await waitForCount(() => other.entries, 1);
        await settle();
        assert.deepEqual(other.entries.map((e) => JSON.parse(e.json).room), ['retro']);
        assert.equal(await backplane.lastSeq(ivy), 0, "a room stream's messages take no place in a member's user stream");
        assert.equal((await backplane.roomStreamPosition('standup')).lastSeq, 5);
        // A room message (appendToRoom) enters the room's stream and each member user's, from one serialization.
        assert.equal(await backplane.appendToRoom('standup', note({ i: 6 })), 1);
        const sixth = (await waitForCount(() => first.entries, 6))[5];
        assert.equal(sixth?.seq, 6);
        assert.equal(await backplane.lastSeq(ivy), 1);
        const [ivys] = (await backplane.readStream(ivy, 0)).entries;
        assert.equal(ivys?.json.slice(ivys.json.indexOf(',"payload"')), sixth?.json.slice(sixth.json.indexOf(',"payload"')));
      }),
  },
  {
    name: "keeps a room stream's entries for replay, reports evicted ones as a gap and names the stream with an epoch",
    run: (create) =>
      withBackplane(
        create,
        async ({ backplane }) => {
          const before = await backplane.roomStreamPosition('lobby');
          assert.equal(before.lastSeq, 0);
          assert.ok(before.epoch.length > 0 && before.epoch.length <= 64);
          assert.deepEqual(await backplane.readRoomStream('lobby', 0), { entries: [], gap: null, lastSeq: 0 });
          for (let i = 1; i <= 7; i += 1) await backplane.appendToRoomStream('lobby', note({ i }));
          const all = await backplane.readRoomStream('lobby', 0);
          assert.deepEqual(all.gap, { fromSeq: 1, toSeq: 3 });
          assert.deepEqual(all.entries.map((e) => e.seq), [4, 5, 6, 7]);
          assert.equal(RoomEnvelopeSchema.parse(JSON.parse(all.entries[0]?.json ?? '')).room_seq, 4);
          assert.deepEqual((await backplane.readRoomStream('lobby', 5)).entries.map((e) => e.seq), [6, 7]);
          assert.deepEqual(await backplane.roomStreamPosition('lobby'), { lastSeq: 7, epoch: before.epoch });
        },
        4,
      ),
  },
  {
    name: 'stops delivering a room stream to a listener that unsubscribed',
    run: (create) =>
      withBackplane(create, async ({ backplane }) => {
        const [kept, dropped] = [collect<RoomStreamEntry>(), collect<RoomStreamEntry>()];
        await backplane.subscribeRoomStream('hall', kept.listener);
        const unsubscribe = await backplane.subscribeRoomStream('hall', dropped.listener);
        await backplane.appendToRoomStream('hall', note({ i: 1 }));
        await waitForCount(() => dropped.entries, 1);
        await unsubscribe();
        await backplane.appendToRoomStream('hall', note({ i: 2 }));
        await waitForCount(() => kept.entries, 2);
        await settle(50);
        assert.equal(dropped.entries.length, 1);
      }),
  },
];

type Describe = (name: string, body: () => void) => void;
type It = (name: string, body: () => Promise<void>, timeoutMs?: number) => void;

/** Registers the backplane suite with a test framework's describe/it. */
export function defineBackplaneConformance(describe: Describe, it: It, name: string, createHarness: BackplaneHarnessFactory): void {
  describe(`${name} conforms to Backplane`, () => {
    for (const conformanceCase of backplaneConformanceCases) it(conformanceCase.name, () => conformanceCase.run(createHarness), 20_000);
  });
}
