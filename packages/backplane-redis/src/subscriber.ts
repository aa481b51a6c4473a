import type { StreamEntry, StreamListener, StreamRead, Unsubscribe } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import type { StreamGap } from '@agentwirejs/protocols';
import { type BatchHeader, batchEndsBy, entriesOfBatchBytes, parsePublication, publicationKind } from './entries';
import type { ResolvedRedisOptions } from './options';

/** What the feeds need from Redis; RedisBackplane provides it. */
export interface FeedSource {
  channel(userId: UserId): string;
  subscribe(channels: readonly string[]): Promise<void>;
  unsubscribe(channels: readonly string[]): Promise<void>;
  lastSeq(userId: UserId): Promise<number>;
  /** Stored positions of many users at once (pipelined). */
  lastSeqs(userIds: readonly UserId[]): Promise<number[]>;
  read(userId: UserId, afterSeq: number): Promise<StreamRead>;
  /** Makes the stored position at least `seq` (after Redis lost data). */
  raiseFloor(userId: UserId, seq: number): Promise<void>;
  /** The user got its first listener here (true) or lost its last (false). */
  userActive(userId: UserId, active: boolean): void;
  /** A seq of the user this process has seen. */
  noteSeq(userId: UserId, seq: number): void;
  /** The gap notice for positions of the stream that could not be recovered (a user's replay_gap, or a room's). */
  gapNotice(userId: UserId, gap: StreamGap, now: number): StreamEntry;
}

/** Counters of the delivery path. */
export interface FeedCounters {
  /** Times a user's missed entries were read from history (a seq jump, a reconnect, a lagging position). */
  recoveries: number;
  /** Gap notices delivered (positions that could not be recovered). */
  gapNotices: number;
  /** Times a stored position was found below what was delivered (Redis lost data). */
  streamResets: number;
  /** Recoveries started by the periodic position check (a published entry never arrived). */
  positionLags: number;
}

/** One user's subscription in this process: listeners, the position delivered to them, and held live entries. */
class UserFeed {
  readonly listeners = new Set<StreamListener>();
  /** The last position delivered to the listeners. */
  delivered = 0;
  /** The baseline position is known (set once the channel subscription is in place). */
  live = false;
  recovering = false;
  /** Read history again after the current recovery (more was missed meanwhile). */
  again = false;
  /** A recovery failed (Redis unreachable): retried on the next position check or reconnect. */
  stale = false;
  closed = false;
  /** The stored position seen by the previous position check (-1: none yet). */
  observed = -1;
  /** Live entries held while the baseline is unknown or history is being read. */
  pending: StreamEntry[] = [];
  /** The header of the batch whose lines are published next on the channel (they come right after it). */
  header: BatchHeader | null = null;
  opened: Promise<void> = Promise.resolve();

  constructor(
    readonly userId: UserId,
    readonly channel: string,
  ) {}
}

/**
 * Delivers each subscribed user's stream to the listeners of this process, in seq order, each
 * seq once. This process's own appends come from Redis's reply when they are next (onAppended);
 * everything else comes by pub/sub, which is at most once, so it is treated as a fast path only:
 * - a publication whose seq is not the next one (a message was lost) holds live entries and
 *   reads the missing range from the stored history before continuing;
 * - after the subscriber connection comes back, every channel is subscribed again and every
 *   user's missed range is read from history;
 * - a periodic position check compares each user's stored seq with what was delivered, and
 *   recovers a user whose position still lags one check later (a lost last message);
 * - what history no longer has is delivered as a gap notice (see RedisStreamEntry), never
 *   skipped silently.
 */
export class UserFeeds {
  readonly counters: FeedCounters = { recoveries: 0, gapNotices: 0, streamResets: 0, positionLags: 0 };
  private readonly feeds = new Map<UserId, UserFeed>();
  private readonly byChannel = new Map<string, UserFeed>();

  constructor(
    private readonly source: FeedSource,
    private readonly options: ResolvedRedisOptions,
  ) {}

  /** Users with at least one listener here. */
  get size(): number {
    return this.feeds.size;
  }

  /** Adds a listener; the first one of a user subscribes the user's channel and learns the current position. */
  async add(userId: UserId, listener: StreamListener, timeout: <T>(work: Promise<T>) => Promise<T>): Promise<Unsubscribe> {
    let feed = this.feeds.get(userId);
    if (feed === undefined) {
      const created = new UserFeed(userId, this.source.channel(userId));
      this.feeds.set(userId, created);
      this.byChannel.set(created.channel, created);
      this.source.userActive(userId, true);
      created.opened = this.open(created);
      created.opened.catch(() => undefined);
      feed = created;
    }
    const target = feed;
    target.listeners.add(listener);
    try {
      await timeout(target.opened);
    } catch (error) {
      this.remove(target, listener);
      throw error;
    }
    return async () => this.remove(target, listener);
  }

  /**
   * This process's appends, once Redis's reply has given their first seq: read (`entries`) and
   * delivered at once when they are the next positions of a live feed, so the process does not
   * wait for its own publication (onPublication passes over it). When the publication came first
   * they are not read at all. Otherwise they are left to the publication, or to history, which
   * bring them in order as they bring anyone's.
   */
  onAppended(userId: UserId, first: number, entries: () => readonly StreamEntry[]): void {
    const feed = this.feeds.get(userId);
    // Read only when they are delivered here: the publication may have brought them already.
    if (feed === undefined || !feed.live || feed.recovering || feed.pending.length > 0 || first !== feed.delivered + 1) return;
    for (const entry of entries()) {
      // A line that could not be read leaves its seq to the publication or to history, which bring it in order.
      if (entry.seq !== feed.delivered + 1) break;
      this.deliver(feed, entry);
    }
    this.noteDelivered(feed);
  }

  /**
   * A pub/sub message arrived on `channel`: a batch header, whose lines are the next message of
   * the channel (the append script publishes both in one atomic step, so nothing of the channel
   * comes between them on one connection), a batch's lines, or a publication of an earlier release.
   * It may come as bytes: a batch's lines are decoded only when they are read, not when they are
   * this process's own appends, delivered already from Redis's reply.
   */
  onPublication(channel: string, payload: string | Buffer): void {
    const feed = this.byChannel.get(channel);
    if (feed === undefined) return;
    const publication = publicationKind(payload);
    if (publication.kind === 'header') {
      feed.header = publication.header;
      return;
    }
    if (publication.kind === 'earlier') {
      const text = payload.toString();
      if (!batchEndsBy(text, feed.delivered)) this.receive(feed, parsePublication(feed.userId, text));
      return;
    }
    const header = feed.header;
    feed.header = null;
    if (header === null) {
      // Lines whose header this connection did not get: their positions are unknown here, history has them.
      if (feed.live) void this.recover(feed);
      return;
    }
    // Nothing past what was delivered (this process's own appends, delivered from the reply): it would all be skipped.
    if (header.first + header.count - 1 <= feed.delivered) return;
    const entries = entriesOfBatchBytes(feed.userId, header.first, typeof payload === 'string' ? Buffer.from(payload) : payload);
    this.receive(feed, entries);
    // Delivered: their bytes are no longer handed out (StreamEntry.jsonUtf8); one held for later is delivered as its text.
    for (const entry of entries) entry.release();
  }

  /** Delivers a publication's entries that come next, holds those after a gap (and recovers it). */
  private receive(feed: UserFeed, entries: readonly StreamEntry[]): void {
    for (const entry of entries) {
      if (!feed.live || feed.recovering) {
        this.hold(feed, entry);
      } else if (entry.seq === feed.delivered + 1) {
        this.deliver(feed, entry);
      } else if (entry.seq > feed.delivered + 1) {
        this.hold(feed, entry);
        void this.recover(feed);
      }
    }
    this.noteDelivered(feed);
  }

  /** After the subscriber connection came back: subscribes every channel again, then recovers every user. */
  async resubscribeAll(): Promise<void> {
    const feeds = [...this.feeds.values()];
    if (feeds.length === 0) return;
    // A header whose lines were on the connection that dropped: they will not come.
    for (const feed of feeds) feed.header = null;
    for (let i = 0; i < feeds.length; i += 1000) await this.source.subscribe(feeds.slice(i, i + 1000).map((feed) => feed.channel));
    await Promise.all(feeds.filter((feed) => feed.live).map((feed) => this.recover(feed)));
  }

  /** Compares stored positions with delivered ones; recovers users that lag since the previous check, or whose recovery failed. */
  async checkPositions(): Promise<void> {
    const feeds = [...this.feeds.values()].filter((feed) => feed.live && !feed.recovering);
    for (let i = 0; i < feeds.length; i += 500) {
      const chunk = feeds.slice(i, i + 500);
      // What was delivered when the positions were asked for: Redis had stored all of it by then.
      // What arrives while the read is out may have been stored after the read (publications come
      // on another connection), so a position below it says nothing; one below this says Redis
      // lost entries. Compared with the live figure, a busy process took every user whose entries
      // kept coming for one Redis had lost and read its history (64 users in one run of the Redis
      // benchmark's workload, each a needless read).
      const deliveredWhenAsked = chunk.map((feed) => feed.delivered);
      const stored = await this.source.lastSeqs(chunk.map((feed) => feed.userId));
      chunk.forEach((feed, j) => {
        const seq = stored[j] ?? 0;
        const lagging = feed.observed > feed.delivered;
        feed.observed = seq;
        if (feed.closed || feed.recovering) return;
        if (feed.stale || seq < (deliveredWhenAsked[j] ?? 0) || lagging) {
          if (lagging && !feed.stale) this.counters.positionLags += 1;
          void this.recover(feed);
        }
      });
    }
  }

  /** Drops every listener (close). */
  closeAll(): void {
    for (const feed of this.feeds.values()) {
      feed.closed = true;
      feed.listeners.clear();
    }
    this.feeds.clear();
    this.byChannel.clear();
  }

  private async open(feed: UserFeed): Promise<void> {
    await this.source.subscribe([feed.channel]);
    const base = await this.source.lastSeq(feed.userId);
    if (feed.closed) return;
    feed.delivered = Math.max(feed.delivered, base);
    feed.live = true;
    this.source.noteSeq(feed.userId, base);
    // Entries published between SUBSCRIBE and the read are either at or below base, or follow it.
    const held = feed.pending;
    feed.pending = [];
    for (const entry of held) {
      if (entry.seq <= feed.delivered) continue;
      if (entry.seq === feed.delivered + 1 && !feed.recovering) this.deliver(feed, entry);
      else {
        this.hold(feed, entry);
        void this.recover(feed);
      }
    }
    this.noteDelivered(feed);
  }

  private remove(feed: UserFeed, listener: StreamListener): void {
    feed.listeners.delete(listener);
    if (feed.listeners.size > 0 || feed.closed) return;
    feed.closed = true;
    if (this.feeds.get(feed.userId) === feed) {
      this.feeds.delete(feed.userId);
      this.byChannel.delete(feed.channel);
      this.source.userActive(feed.userId, false);
      // In the background: a listener is gone the moment this returns, and an outage must not hold up a shutdown.
      this.source.unsubscribe([feed.channel]).catch((error: unknown) => this.options.onError(error, `unsubscribe ${feed.userId}`));
    }
  }

  private hold(feed: UserFeed, entry: StreamEntry): void {
    if (feed.pending.length >= this.options.maxPendingPerUser) {
      // History has them: read it again instead of holding more.
      feed.pending = [];
      feed.again = true;
      return;
    }
    feed.pending.push(entry);
  }

  /**
   * Reads what the feed missed from history and delivers it with the held live entries, in
   * order: positions history no longer has become a gap notice; held entries beyond what the
   * read covered wait for another read. Repeats until nothing is missing.
   */
  private async recover(feed: UserFeed): Promise<void> {
    if (feed.recovering) {
      feed.again = true;
      return;
    }
    feed.recovering = true;
    this.counters.recoveries += 1;
    try {
      do {
        feed.again = false;
        const read = await this.source.read(feed.userId, feed.delivered);
        if (feed.closed) return;
        if (read.lastSeq < feed.delivered) {
          // Redis lost this stream: keep seq rising past what the listeners already have.
          this.counters.streamResets += 1;
          await this.source.raiseFloor(feed.userId, feed.delivered);
        }
        this.catchUp(feed, read);
      } while (feed.again && !feed.closed);
      feed.stale = false;
    } catch (error) {
      feed.stale = true;
      this.options.onError(error, `recover ${feed.userId}`);
    } finally {
      feed.recovering = false;
    }
  }

  private catchUp(feed: UserFeed, read: StreamRead): void {
    const known = read.lastSeq;
    const candidates = mergeBySeq(read.entries, feed.pending);
    feed.pending = [];
    for (let i = 0; i < candidates.length; i += 1) {
      const entry = candidates[i] as StreamEntry;
      if (entry.seq <= feed.delivered) continue;
      if (entry.seq > feed.delivered + 1 && known > feed.delivered) {
        this.deliverGap(feed, { fromSeq: feed.delivered + 1, toSeq: Math.min(entry.seq - 1, known) });
      }
      if (entry.seq > feed.delivered + 1) {
        // Beyond what the read covered: read again.
        feed.pending = candidates.slice(i);
        feed.again = true;
        this.noteDelivered(feed);
        return;
      }
      this.deliver(feed, entry);
    }
    if (known > feed.delivered) this.deliverGap(feed, { fromSeq: feed.delivered + 1, toSeq: known });
    this.noteDelivered(feed);
  }

  private deliverGap(feed: UserFeed, gap: StreamGap): void {
    this.counters.gapNotices += 1;
    this.deliver(feed, this.source.gapNotice(feed.userId, gap, this.options.now()));
  }

  /** Tells the source the newest seq delivered, once per publication or read rather than once per entry. */
  private noteDelivered(feed: UserFeed): void {
    this.source.noteSeq(feed.userId, feed.delivered);
  }

  /** Hands one entry to the listeners; the caller notes the seq (noteDelivered) once it has delivered what it holds. */
  private deliver(feed: UserFeed, entry: StreamEntry): void {
    feed.delivered = entry.seq;
    for (const listener of feed.listeners) {
      try {
        listener(entry);
      } catch (error) {
        this.listenerFailed(error, feed.userId);
      }
    }
  }

  /**
   * Reports a listener's throw. A handler that throws as well is reported to onError: delivery
   * runs inside ioredis's message handler (where a throw would escape the process's event loop)
   * and inside an append's reply (where it would fail appends Redis has stored).
   */
  private listenerFailed(error: unknown, userId: UserId): void {
    try {
      this.options.onListenerError(error, userId);
    } catch (handlerError) {
      this.options.onError(handlerError, `onListenerError for ${userId}`);
    }
  }
}

/** Entries of both lists in seq order, each seq once. */
function mergeBySeq(a: readonly StreamEntry[], b: readonly StreamEntry[]): StreamEntry[] {
  if (b.length === 0) return [...a];
  const bySeq = new Map<number, StreamEntry>();
  for (const entry of b) bySeq.set(entry.seq, entry);
  for (const entry of a) bySeq.set(entry.seq, entry);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}
