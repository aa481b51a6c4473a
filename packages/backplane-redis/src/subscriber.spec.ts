import { type StreamEntry, type StreamGap, type StreamRead, userEnvelopeParts } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { batchHeader, batchText, entryFromJson, gapNotice } from './entries';
import { resolveRedisOptions } from './options';
import { testOptions, testUser } from './redis.test-helpers';
import { type FeedSource, UserFeeds } from './subscriber';

const TS = '2026-01-01T00:00:00.000Z';

/** What a process gets for seq `seq` of `userId`: the entry its own append resolves with, or one read from a publication. */
function entryAt(userId: UserId, seq: number): StreamEntry {
  const { head, tail } = userEnvelopeParts({ type: 'note', payload: { seq } }, userId, TS);
  return entryFromJson(userId, seq, 0, `${head}${seq}${tail}`);
}

/** The publications of a batch whose first entry has seq `first`, as the append script sends them: its header, then its text. */
function publication(userId: UserId, first: number, count: number): [header: string, text: string] {
  const lines = Array.from({ length: count }, (_, i) => ({ ...userEnvelopeParts({ type: 'note', payload: { seq: first + i } }, userId, TS), appendedAt: 0 }));
  return [batchHeader({ first, count }), batchText(lines)];
}

/** Hands the feeds each of `messages` as the subscriber connection gets them, in order. */
function publish(feeds: UserFeeds, channel: string, messages: readonly string[]): void {
  for (const message of messages) feeds.onPublication(channel, message);
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
    publish(feeds, source.channel(user), publication(user, 1, 2));
    expect(seqs()).toEqual([1, 2]);
    // what follows them comes by publication as before
    publish(feeds, source.channel(user), publication(user, 3, 1));
    expect(seqs()).toEqual([1, 2, 3]);
  });

  it('are left to their publication while the feed does not know its position yet', async () => {
    const { feeds, source, seqs, opened } = await feedOf();
    feeds.onAppended(user, 1, () => [entryAt(user, 1)]); // the stored position is still being read
    expect(seqs()).toEqual([]);
    publish(feeds, source.channel(user), publication(user, 1, 1)); // held until the position is known
    source.position.resolve(0);
    await opened;
    expect(seqs()).toEqual([1]);
  });

  it('are left to history while a recovery reads it, and each seq still arrives once, in order', async () => {
    const { feeds, source, seqs, opened } = await feedOf();
    source.position.resolve(0);
    await opened;
    publish(feeds, source.channel(user), publication(user, 3, 1)); // 1 and 2 missing: a recovery starts
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
    publish(feeds, source.channel(user), publication(user, 1, 1));
    publish(feeds, source.channel(user), publication(user, 2, 1));
    expect(seqs()).toEqual([1, 2]);
    expect(source.reads).toEqual([]); // in order from the publications: nothing read from history
  });

  it('are dropped for a user without a listener in this process', () => {
    const feeds = new UserFeeds(new HandAnsweredSource(), resolveRedisOptions(testOptions('unit:')));
    expect(() => feeds.onAppended(user, 1, () => [entryAt(user, 1)])).not.toThrow();
  });
});

describe('UserFeeds: a batch published as its header, then its text', () => {
  const user = testUser('pia');
  const other = testUser('quinn');

  async function liveFeeds(): Promise<{ feeds: UserFeeds; source: HandAnsweredSource; seqsOf: (userId: UserId) => number[] }> {
    const source = new HandAnsweredSource();
    const feeds = new UserFeeds(source, resolveRedisOptions(testOptions('unit:')));
    const seen = new Map<UserId, number[]>([
      [user, []],
      [other, []],
    ]);
    const opened = [user, other].map((userId) => feeds.add(userId, (entry) => seen.get(userId)?.push(entry.seq), (work) => work));
    await settled();
    source.position.resolve(0);
    await Promise.all(opened);
    return { feeds, source, seqsOf: (userId) => [...(seen.get(userId) ?? [])] };
  }

  it("pairs each text with its own channel's header, whatever other channels publish between them", async () => {
    const { feeds, source, seqsOf } = await liveFeeds();
    const [header, text] = publication(user, 1, 2);
    const [otherHeader, otherText] = publication(other, 1, 3);
    publish(feeds, source.channel(user), [header]);
    publish(feeds, source.channel(other), [otherHeader]);
    publish(feeds, source.channel(user), [text]);
    publish(feeds, source.channel(other), [otherText]);
    expect(seqsOf(user)).toEqual([1, 2]);
    expect(seqsOf(other)).toEqual([1, 2, 3]);
    expect(source.reads).toEqual([]);
  });

  it('reads history for a text whose header it did not get, rather than guess its seqs', async () => {
    const { feeds, source, seqsOf } = await liveFeeds();
    const [, text] = publication(user, 1, 2);
    publish(feeds, source.channel(user), [text]);
    expect(seqsOf(user)).toEqual([]);
    expect(source.reads.map((read) => read.afterSeq)).toEqual([0]);
    source.reads[0]?.answer({ entries: [entryAt(user, 1), entryAt(user, 2)], gap: null, lastSeq: 2 });
    await settled();
    expect(seqsOf(user)).toEqual([1, 2]);
  });

  it('forgets a header once the subscriber connection came back: its text was on the connection that dropped', async () => {
    const { feeds, source, seqsOf } = await liveFeeds();
    const [header] = publication(user, 1, 2);
    publish(feeds, source.channel(user), [header]);
    const resubscribed = feeds.resubscribeAll();
    await settled();
    for (const read of source.reads) read.answer({ entries: [], gap: null, lastSeq: 0 });
    await resubscribed;
    publish(feeds, source.channel(user), [publication(user, 5, 1)[1]]); // a text alone: not seq 1 and 2
    expect(seqsOf(user)).toEqual([]);
  });

  it("delivers the previous release's publication (`@<first seq>` and the lines in one text)", async () => {
    const { feeds, source, seqsOf } = await liveFeeds();
    const [, text] = publication(user, 1, 2);
    publish(feeds, source.channel(user), [`@1\n${text.slice(1)}`]);
    expect(seqsOf(user)).toEqual([1, 2]);
  });

  it('takes publications as bytes (as the subscriber connection gives them) and hands the entries to the listeners with their bytes, during the delivery only', async () => {
    const source = new HandAnsweredSource();
    const feeds = new UserFeeds(source, resolveRedisOptions(testOptions('unit:')));
    const delivered: StreamEntry[] = [];
    const during: (string | undefined)[] = [];
    const opened = feeds.add(user, (entry) => {
      delivered.push(entry);
      during.push(entry.jsonUtf8 === undefined ? undefined : Buffer.from(entry.jsonUtf8).toString('utf8'));
    }, (work) => work);
    await settled();
    source.position.resolve(0);
    await opened;
    const [header, text] = publication(user, 1, 2);
    for (const message of [header, text]) feeds.onPublication(source.channel(user), Buffer.from(message));
    const expected = [entryAt(user, 1).json, entryAt(user, 2).json];
    expect(during).toEqual(expected);
    expect(delivered.map((entry) => [entry.jsonUtf8, entry.json])).toEqual(expected.map((json) => [undefined, json]));
  });
});

describe('UserFeeds: the periodic position check', () => {
  const user = testUser('ria');

  /** A source whose stored positions (lastSeqs) the test answers by hand, after the feed is live at 0. */
  async function checkedFeed(): Promise<{ feeds: UserFeeds; source: HandAnsweredSource; positions: ReturnType<typeof later<number[]>>; seqs: () => number[] }> {
    const source = new HandAnsweredSource();
    const positions = later<number[]>();
    source.lastSeqs = () => positions.promise;
    const feeds = new UserFeeds(source, resolveRedisOptions(testOptions('unit:')));
    const seen: number[] = [];
    const opened = feeds.add(user, (entry) => seen.push(entry.seq), (work) => work);
    await settled();
    source.position.resolve(0);
    await opened;
    return { feeds, source, positions, seqs: () => [...seen] };
  }

  it('does not take a position below what arrived while it was read for lost entries: those may have been stored after the read', async () => {
    const { feeds, source, positions, seqs } = await checkedFeed();
    publish(feeds, source.channel(user), publication(user, 1, 2));
    const check = feeds.checkPositions(); // asks while 2 is delivered
    publish(feeds, source.channel(user), publication(user, 3, 2)); // stored after Redis answered
    positions.resolve([2]);
    await check;
    expect(seqs()).toEqual([1, 2, 3, 4]);
    expect(source.reads).toEqual([]);
  });

  it('reads history when the stored position is below what was delivered when it asked: Redis lost entries', async () => {
    const { feeds, source, positions } = await checkedFeed();
    publish(feeds, source.channel(user), publication(user, 1, 2));
    const check = feeds.checkPositions();
    positions.resolve([0]);
    await check;
    expect(source.reads.map((read) => read.afterSeq)).toEqual([2]);
  });
});
