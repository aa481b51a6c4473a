import { type StreamEntry, type StreamGap, type StreamRead, splitUserEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { batchText, entryFromJson, gapNotice } from './entries';
import { resolveRedisOptions } from './options';
import { testOptions, testUser } from './redis.test-helpers';
import { type FeedSource, UserFeeds } from './subscriber';

const TS = '2026-01-01T00:00:00.000Z';

/** What a process gets for seq `seq` of `userId`: the entry its own append resolves with, or one read from a publication. */
function entryAt(userId: UserId, seq: number): StreamEntry {
  const { head, tail } = splitUserEnvelope({ type: 'note', payload: { seq } }, userId, TS);
  return entryFromJson(userId, seq, 0, `${head}${seq}${tail}`);
}

/** The publication of a batch whose first entry has seq `first`, as the append script sends it. */
function publication(userId: UserId, first: number, count: number): string {
  const lines = Array.from({ length: count }, (_, i) => ({ ...splitUserEnvelope({ type: 'note', payload: { seq: first + i } }, userId, TS), appendedAt: 0 }));
  return `@${first}\n${batchText(lines)}`;
}

/** A promise and the function that settles it. */
function later<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** A FeedSource whose stored position and history reads the test answers by hand. */
class HandAnsweredSource implements FeedSource {
  readonly position = later<number>();
  readonly reads: { afterSeq: number; answer: (read: StreamRead) => void }[] = [];
  channel = (userId: UserId): string => `channel:${userId}`;
  subscribe = async (): Promise<void> => undefined;
  unsubscribe = async (): Promise<void> => undefined;
  lastSeq = (): Promise<number> => this.position.promise;
  lastSeqs = async (userIds: readonly UserId[]): Promise<number[]> => userIds.map(() => 0);
  read = (_userId: UserId, afterSeq: number): Promise<StreamRead> => {
    const answer = later<StreamRead>();
    this.reads.push({ afterSeq, answer: answer.resolve });
    return answer.promise;
  };
  raiseFloor = async (): Promise<void> => undefined;
  userActive = (): void => undefined;
  noteSeq = (): void => undefined;
  gapNotice = (userId: UserId, gap: StreamGap, now: number): StreamEntry => gapNotice(userId, gap, now);
}

/** Lets the feed's awaited steps (subscribe, position, reads) run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("UserFeeds: a process's own appends, from Redis's reply", () => {
  const user = testUser('una');

  async function feedOf(): Promise<{ feeds: UserFeeds; source: HandAnsweredSource; seqs: () => number[]; opened: Promise<unknown> }> {
    const source = new HandAnsweredSource();
    const feeds = new UserFeeds(source, resolveRedisOptions(testOptions('unit:')));
    const seen: number[] = [];
    const opened = feeds.add(user, (entry) => seen.push(entry.seq), (work) => work);
    await settled();
    return { feeds, source, seqs: () => [...seen], opened };
  }

  it('are delivered when they are the next positions, and their publication then adds nothing', async () => {
    const { feeds, source, seqs, opened } = await feedOf();
    source.position.resolve(0);
    await opened;
    feeds.onAppended(user, 1, () => [entryAt(user, 1), entryAt(user, 2)]);
    expect(seqs()).toEqual([1, 2]);
    feeds.onPublication(source.channel(user), publication(user, 1, 2));
    expect(seqs()).toEqual([1, 2]);
    // what follows them comes by publication as before
    feeds.onPublication(source.channel(user), publication(user, 3, 1));
    expect(seqs()).toEqual([1, 2, 3]);
  });

  it('are left to their publication while the feed does not know its position yet', async () => {
    const { feeds, source, seqs, opened } = await feedOf();
    feeds.onAppended(user, 1, () => [entryAt(user, 1)]); // the stored position is still being read
    expect(seqs()).toEqual([]);
    feeds.onPublication(source.channel(user), publication(user, 1, 1)); // held until the position is known
    source.position.resolve(0);
    await opened;
    expect(seqs()).toEqual([1]);
  });

  it('are left to history while a recovery reads it, and each seq still arrives once, in order', async () => {
    const { feeds, source, seqs, opened } = await feedOf();
    source.position.resolve(0);
    await opened;
    feeds.onPublication(source.channel(user), publication(user, 3, 1)); // 1 and 2 missing: a recovery starts
    expect(source.reads.map((read) => read.afterSeq)).toEqual([0]);
    feeds.onAppended(user, 1, () => [entryAt(user, 1), entryAt(user, 2)]);
    expect(seqs()).toEqual([]);
    source.reads[0]?.answer({ entries: [entryAt(user, 1), entryAt(user, 2), entryAt(user, 3)], gap: null, lastSeq: 3 });
    await settled();
    expect(seqs()).toEqual([1, 2, 3]);
  });

  it('are left to their publication when another position comes first', async () => {
    const { feeds, source, seqs, opened } = await feedOf();
    source.position.resolve(0);
    await opened;
    feeds.onAppended(user, 2, () => [entryAt(user, 2)]); // seq 1 was another process's
    expect(seqs()).toEqual([]);
    feeds.onPublication(source.channel(user), publication(user, 1, 1));
    feeds.onPublication(source.channel(user), publication(user, 2, 1));
    expect(seqs()).toEqual([1, 2]);
    expect(source.reads).toEqual([]); // in order from the publications: nothing read from history
  });

  it('are dropped for a user without a listener in this process', () => {
    const feeds = new UserFeeds(new HandAnsweredSource(), resolveRedisOptions(testOptions('unit:')));
    expect(() => feeds.onAppended(user, 1, () => [entryAt(user, 1)])).not.toThrow();
  });
});
