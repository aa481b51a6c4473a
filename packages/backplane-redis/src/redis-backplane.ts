import {
  type AppendFailures,
  type Backplane,
  BackplaneClosedError,
  type BackplaneStatus,
  type EnvelopeParts,
  JsonUtf8Writer,
  type OutboundMessage,
  type RoomStreamEntry,
  type RoomStreamListener,
  type StreamEntry,
  type StreamGap,
  type StreamListener,
  type StreamPosition,
  type StreamRead,
  type Unsubscribe,
  userEnvelope,
} from '@agentwirejs/protocols';
import { IsoTimeText, type UserId } from '@agentwirejs/types';
import type { Redis } from 'ioredis';
import { AppendQueue, type StoredBatch, type UserBatch } from './append-queue';
import { ConnectionStatus, closeClients, createRedisClient, every, withTimeout } from './connections';
import { type EncodedAppend, EnvelopeTemplate, type RawLogEntry, appendOfParts, encodedAppend, entriesFromLog, gapNotice, roomGapNotice } from './entries';
import { BackplaneStoreError, InvalidBackplaneArgumentError } from './errors';
import { RedisKeys } from './keys';
import { type RedisBackplaneOptions, type ResolvedRedisOptions, resolveRedisOptions } from './options';
import { ProcessPresence } from './presence';
import { APPEND_SCRIPT, POSITION_SCRIPT, RAISE_FLOOR_SCRIPT, READ_SCRIPT } from './scripts';
import { type FeedCounters, type FeedSource, UserFeeds } from './subscriber';

/**
 * Users whose batches one append script call carries at most: enough that a flush of a busy
 * process (a room message, many runs at once) is a few calls, few enough that one call (each
 * batch at most maxBatchSize entries) does not hold Redis for long.
 */
const USERS_PER_APPEND_CALL = 32;

/**
 * Where one kind of stream lives in Redis (users' streams, rooms' own streams) and the highest
 * seq this process has seen of each (appended or delivered), oldest first: the floor of its appends.
 */
interface StreamKind {
  meta(id: UserId): string;
  log(id: UserId): string;
  channel(id: UserId): string;
  readonly known: Map<UserId, number>;
}

/**
 * A room's own stream goes through the same append queue, script and feeds as a user's, keyed by
 * the room's name; its keys (RedisKeys.roomStream*) keep it apart from any user's.
 */
function roomStreamId(room: string): UserId {
  return room as UserId;
}

/** What RedisBackplane reports for health checks and metrics. */
export interface RedisBackplaneStats extends FeedCounters {
  readonly status: BackplaneStatus;
  readonly processId: string;
  /** Users with listeners in this process (= their channels subscribed). */
  readonly subscribedUsers: number;
  /** Room streams with listeners in this process. */
  readonly subscribedRooms: number;
  /** Appends waiting for Redis or in flight. */
  readonly bufferedAppends: number;
  /** Times a connection started reconnecting. */
  readonly reconnects: number;
  /** Background failures reported to onError. */
  readonly errors: number;
}

/**
 * The Backplane over Redis, for several gateway processes sharing users.
 *
 * - Sequencing: one Lua script call per flush (the batches of up to USERS_PER_APPEND_CALL users)
 *   increments each user's seq and stores and publishes the entries, atomically, so processes
 *   appending for one user never collide or reorder; a user's appends from this process keep
 *   their call order.
 * - Storage: each user's entries are kept in a Redis stream keyed by seq, bounded by maxEvents
 *   and maxAgeMs; readStream reports what was evicted as a gap, exactly like the in-memory backplane.
 * - Delivery: a process subscribes only to the channels of users it has listeners for. Pub/sub
 *   is the fast path; lost messages are found (seq jumps, reconnects, periodic position checks)
 *   and read from history, in order, and positions history no longer has are delivered as a
 *   gap notice (RedisStreamEntry.gap) instead of being skipped.
 * - Rooms and broadcast: room joins and online users are registered per process in Redis with
 *   expiry, so a dead process's users and joins age out. A room's own stream (appendToRoomStream)
 *   is sequenced, stored, published and recovered exactly as a user's, under its own keys.
 * - Faults: connection errors never throw or crash; while Redis is unreachable status() is
 *   'degraded', appends wait in a bounded local buffer and go out in order when it is back,
 *   reads fail with BackplaneUnavailableError after requestTimeoutMs.
 *
 * Needs Redis ≥ 6.2: a single server, a Sentinel-managed primary, or a Redis 7 Cluster, where
 * every key shares the prefix's hash slot (see RedisBackplaneOptions.client).
 */
export class RedisBackplane implements Backplane {
  readonly options: ResolvedRedisOptions;
  private readonly keys: RedisKeys;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly connection: ConnectionStatus;
  private readonly users: StreamKind;
  private readonly rooms: StreamKind;
  private readonly appends: AppendQueue;
  private readonly roomAppends: AppendQueue;
  private readonly feeds: UserFeeds;
  private readonly roomFeeds: UserFeeds;
  private readonly presence: ProcessPresence;
  private readonly stopTimers: (() => void)[];
  /** Appends within the same millisecond share one ts string. */
  private readonly isoTime = new IsoTimeText();
  /** Writes a user's own envelopes (appendToUser, appendBatchToUser: every run event) straight into UTF-8. */
  private readonly envelopes = new JsonUtf8Writer();
  private errors = 0;
  private closing = false;
  private everReady = false;

  constructor(options: RedisBackplaneOptions) {
    const resolved = resolveRedisOptions(options);
    this.options = {
      ...resolved,
      onError: (error, context) => {
        this.errors += 1;
        resolved.onError(error, context);
      },
    };
    this.keys = new RedisKeys(this.options.keyPrefix);
    this.commands = createRedisClient(this.options, 'commands', false);
    this.subscriber = createRedisClient(this.options, 'subscriber', false);
    this.connection = new ConnectionStatus([this.commands, this.subscriber], (status) => this.options.onStatusChange(status));
    const keys = this.keys;
    this.users = { meta: (id) => keys.userMeta(id), log: (id) => keys.userLog(id), channel: (id) => keys.userChannel(id), known: new Map() };
    this.rooms = { meta: (id) => keys.roomStreamMeta(id), log: (id) => keys.roomStreamLog(id), channel: (id) => keys.roomStreamChannel(id), known: new Map() };
    const ready = (): boolean => this.status() === 'ready';
    const { maxBufferedAppends, maxBatchSize, maxAppendBytesInFlight } = this.options;
    // One append buffer per stream kind. A stored batch is delivered here from the reply (see
    // UserFeeds.onAppended): the feeds, made below, exist by then.
    const appendQueueOf = (kind: StreamKind, feeds: () => UserFeeds): AppendQueue =>
      new AppendQueue(
        (batchId, batches) => this.sendBatches(kind, batchId, batches),
        maxBufferedAppends,
        maxBatchSize,
        USERS_PER_APPEND_CALL,
        maxAppendBytesInFlight,
        ready,
        (id, batch) => this.stored(kind, feeds(), id, batch),
      );
    this.appends = appendQueueOf(this.users, () => this.feeds);
    this.roomAppends = appendQueueOf(this.rooms, () => this.roomFeeds);
    this.presence = new ProcessPresence(this.commands, this.keys, this.options);
    this.feeds = new UserFeeds(this.feedSource(this.users, (userId, active) => this.presence.setUserActive(userId, active), gapNotice), this.options);
    // A room stream's listeners make no user online: appendToAll never reaches a room.
    this.roomFeeds = new UserFeeds(this.feedSource(this.rooms, () => undefined, roomGapNotice), this.options);
    // As bytes: a publication is decoded only if it is read (ioredis's 'message' decodes every one,
    // and a producing process gets its own batches back, delivered already from Redis's reply).
    this.subscriber.on('messageBuffer', (channelBytes: Buffer, payload: Buffer) => {
      const channel = channelBytes.toString();
      this.feeds.onPublication(channel, payload);
      this.roomFeeds.onPublication(channel, payload);
    });
    this.subscriber.on('ready', () => this.background(Promise.all([this.feeds.resubscribeAll(), this.roomFeeds.resubscribeAll()]), 'resubscribe'));
    this.commands.on('ready', () => {
      if (this.everReady) this.background(this.afterCommandsReconnect(), 'reconnect');
      this.everReady = true;
    });
    this.stopTimers = [
      every(this.options.heartbeatIntervalMs, () => this.background(this.presence.refresh(), 'heartbeat')),
      every(this.options.positionCheckIntervalMs, () => {
        if (this.status() === 'ready') this.background(Promise.all([this.feeds.checkPositions(), this.roomFeeds.checkPositions()]), 'position check');
      }),
    ];
    this.background(this.presence.refresh(), 'heartbeat');
  }

  /** This process's id in Redis. */
  get processId(): string {
    return this.options.processId;
  }

  /** Resolves once both connections are ready; rejects with BackplaneUnavailableError after connectTimeoutMs (it keeps trying). */
  async connect(): Promise<void> {
    this.assertOpen();
    await this.connection.waitUntilReady(this.options.connectTimeoutMs);
  }

  // Not async: the queue's promise is returned as it is (an async function would wrap it in one
  // more, two more microtask turns per event); what throws before it is a rejection all the same.
  appendToUser(userId: UserId, message: OutboundMessage): Promise<StreamEntry> {
    try {
      this.assertOpen();
      const now = this.options.now();
      const ts = this.isoTime.of(now);
      // One recipient: the envelope written once as bytes, not a template's shared pieces.
      return this.appends.enqueue(userId, this.encode(message, userId, ts, now));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * appendToUser for each message in turn, with one promise for all (Backplane.appendBatchToUser):
   * they go to Redis with the user's other appends, in order, and a message that cannot be
   * serialized is refused alone.
   */
  appendBatchToUser(userId: UserId, messages: readonly OutboundMessage[]): Promise<AppendFailures> {
    try {
      this.assertOpen();
      const now = this.options.now();
      const ts = this.isoTime.of(now);
      return this.appends.enqueueBatch(userId, messages, (message) => this.encode(message, userId, ts, now));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Appends to the room's own stream and, serialized once with it, to the stream of every user with a join in the room in a live process. */
  async appendToRoom(room: string, message: OutboundMessage): Promise<number> {
    this.assertOpen();
    const now = this.options.now();
    const template = this.template(message, now);
    const id = roomStreamId(room);
    const [users] = await Promise.all([
      this.presence.roomMembers(room).then((members) => this.appendToEach(members, template, now)),
      this.enqueue(this.roomAppends, id, template.forRoom(room), now),
    ]);
    return users;
  }

  async appendToAll(message: OutboundMessage): Promise<number> {
    this.assertOpen();
    const users = await this.presence.onlineUsers();
    const now = this.options.now();
    return this.appendToEach(users, this.template(message, now), now);
  }

  /** Appends to the room's own stream: its next room seq, stored and published like a user's entry. */
  async appendToRoomStream(room: string, message: OutboundMessage): Promise<RoomStreamEntry> {
    this.assertOpen();
    const now = this.options.now();
    const template = this.template(message, now);
    return this.enqueue(this.roomAppends, roomStreamId(room), template.forRoom(room), now);
  }

  /** Delivers the room stream's entries from now on, in every process, in order (as subscribeUser does for a user). */
  async subscribeRoomStream(room: string, listener: RoomStreamListener): Promise<Unsubscribe> {
    this.assertOpen();
    return this.roomFeeds.add(roomStreamId(room), listener, (work) => withTimeout(work, this.options.requestTimeoutMs, `subscribing room ${room}`));
  }

  async readRoomStream(room: string, afterSeq: number): Promise<StreamRead<RoomStreamEntry>> {
    this.assertOpen();
    checkAfterSeq(afterSeq);
    return this.readLog(this.rooms, roomStreamId(room), afterSeq);
  }

  /** The room stream's position and epoch (see POSITION_SCRIPT). */
  async roomStreamPosition(room: string): Promise<StreamPosition> {
    this.assertOpen();
    return this.positionOf(this.rooms, roomStreamId(room));
  }

  /**
   * Delivers the user's entries appended from now on, in every process, in seq order; entries
   * that could not be recovered arrive as one gap notice (RedisStreamEntry.gap). Rejects with
   * BackplaneUnavailableError when the subscription is not in place within requestTimeoutMs.
   * The returned function removes the listener at once (the channel is left in the background).
   */
  async subscribeUser(userId: UserId, listener: StreamListener): Promise<Unsubscribe> {
    this.assertOpen();
    return this.feeds.add(userId, listener, (work) => withTimeout(work, this.options.requestTimeoutMs, `subscribing ${userId}`));
  }

  /** Counts one join of the user to the room, held by this process (it ends when the process stops); rejects with BackplaneUnavailableError when it cannot be stored within requestTimeoutMs. */
  async joinRoom(room: string, userId: UserId): Promise<void> {
    this.assertOpen();
    await this.presence.changeJoins(room, userId, 1);
  }

  /** Takes back one join of this process (at once here; in Redis within requestTimeoutMs, else at the next heartbeat); without a join it does nothing. */
  async leaveRoom(room: string, userId: UserId): Promise<void> {
    if (this.closing) return;
    await this.presence.changeJoins(room, userId, -1);
  }

  async readStream(userId: UserId, afterSeq: number): Promise<StreamRead> {
    this.assertOpen();
    checkAfterSeq(afterSeq);
    return this.readLog(this.users, userId, afterSeq);
  }

  private async readLog(kind: StreamKind, id: UserId, afterSeq: number): Promise<StreamRead> {
    const reply = await this.request(READ_SCRIPT.run(this.commands, [kind.meta(id), kind.log(id)], [afterSeq, `${afterSeq + 1}-0`]), `reading ${id}`);
    const [lastSeq, raw] = reply as [number, RawLogEntry[]];
    if (afterSeq >= lastSeq) return { entries: [], gap: null, lastSeq };
    const cutoff = this.options.now() - this.options.maxAgeMs;
    // A batch is stored whole: drop its entries at or before afterSeq, beyond the newest
    // maxEvents, or older than maxAgeMs (see APPEND_SCRIPT).
    // Only from the front, so what is kept has no holes (the processes' clocks may differ).
    const oldest = Math.max(afterSeq, lastSeq - this.options.maxEvents);
    const entries = entriesFromLog(id, raw);
    let dropped = 0;
    while (dropped < entries.length && ((entries[dropped] as StreamEntry).seq <= oldest || (entries[dropped] as StreamEntry).appendedAt < cutoff)) dropped += 1;
    const kept = dropped > 0 ? entries.slice(dropped) : entries;
    const first = kept[0]?.seq ?? lastSeq + 1;
    return { entries: kept, gap: afterSeq + 1 < first ? { fromSeq: afterSeq + 1, toSeq: first - 1 } : null, lastSeq };
  }

  async lastSeq(userId: UserId): Promise<number> {
    this.assertOpen();
    return this.storedSeq(this.users, userId);
  }

  /** The user's position and stream epoch (see POSITION_SCRIPT); rejects with BackplaneUnavailableError when Redis does not answer within requestTimeoutMs. */
  async position(userId: UserId): Promise<StreamPosition> {
    this.assertOpen();
    return this.positionOf(this.users, userId);
  }

  status(): BackplaneStatus {
    return this.connection.status;
  }

  /** Counters for health checks and metrics. */
  stats(): RedisBackplaneStats {
    return {
      ...this.feeds.counters,
      status: this.status(),
      processId: this.processId,
      subscribedUsers: this.feeds.size,
      subscribedRooms: this.roomFeeds.size,
      bufferedAppends: this.appends.size + this.roomAppends.size,
      reconnects: this.connection.reconnects,
      errors: this.errors,
    };
  }

  /**
   * Stops: waits up to closeTimeoutMs for buffered appends, fails the rest with
   * BackplaneClosedError, drops every listener, removes this process's users and room joins
   * from Redis, unsubscribes and quits both connections. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const stop of this.stopTimers) stop();
    const grace = this.options.closeTimeoutMs;
    const ready = this.status() === 'ready';
    if (ready) await Promise.all([this.appends.drain(grace), this.roomAppends.drain(grace)]);
    this.appends.rejectAll(new BackplaneClosedError());
    this.roomAppends.rejectAll(new BackplaneClosedError());
    this.feeds.closeAll();
    this.roomFeeds.closeAll();
    this.connection.markClosed();
    if (ready) {
      await withTimeout(Promise.all([this.presence.clear(), this.subscriber.unsubscribe()]), grace, 'cleanup').catch((error: unknown) =>
        this.options.onError(error, 'close'),
      );
    }
    await closeClients([this.commands, this.subscriber], grace);
  }

  /** The message serialized once for every recipient. */
  private template(message: OutboundMessage, now: number): EnvelopeTemplate {
    return new EnvelopeTemplate(message, this.isoTime.of(now));
  }

  private async appendToEach(userIds: readonly UserId[], template: EnvelopeTemplate, now: number): Promise<number> {
    // In chunks, so a large room never takes more than a batch's worth of the append buffer.
    for (let i = 0; i < userIds.length; i += this.options.maxBatchSize) {
      this.assertOpen();
      await Promise.all(userIds.slice(i, i + this.options.maxBatchSize).map((userId) => this.enqueue(this.appends, userId, template.forUser(userId), now)));
    }
    return userIds.length;
  }

  /** Queues one append; once its batch is stored, `stored` (below) notes the seq and hands the entries to this process's listeners. */
  private enqueue(queue: AppendQueue, id: UserId, parts: EnvelopeParts, now: number): Promise<StreamEntry> {
    return queue.enqueue(id, appendOfParts(parts, now));
  }

  /** A message for one user, its envelope written as UTF-8 with seq null (the script's reply gives the seq). */
  private encode(message: OutboundMessage, userId: UserId, ts: string, now: number): EncodedAppend {
    // Without a string type (only a caller outside the types can leave it out) the envelope would not start with it.
    if (typeof message.type !== 'string') throw new TypeError(`an envelope needs a string type, got ${typeof message.type}`);
    return encodedAppend(this.envelopes.encode(userEnvelope(message, null, userId, ts)), now);
  }

  /** What the feeds of one kind of stream need from Redis. */
  private feedSource(kind: StreamKind, active: (id: UserId, active: boolean) => void, notice: (id: UserId, gap: StreamGap, now: number) => StreamEntry): FeedSource {
    return {
      channel: (id) => kind.channel(id),
      subscribe: async (channels) => void (await this.subscriber.subscribe(...channels)),
      unsubscribe: async (channels) => void (await this.subscriber.unsubscribe(...channels)),
      lastSeq: (id) => {
        this.assertOpen();
        return this.storedSeq(kind, id);
      },
      lastSeqs: (ids) => this.storedSeqs(kind, ids),
      read: (id, afterSeq) => {
        this.assertOpen();
        return this.readLog(kind, id, afterSeq);
      },
      raiseFloor: async (id, seq) => void (await RAISE_FLOOR_SCRIPT.run(this.commands, [kind.meta(id)], [seq, this.options.streamTtlMs])),
      userActive: active,
      noteSeq: (id, seq) => this.noteSeq(kind, id, seq),
      gapNotice: notice,
    };
  }

  /** One append script call for the batches of several users or rooms (APPEND_SCRIPT); resolves with each one's first seq, or what refused it. */
  private async sendBatches(kind: StreamKind, batchId: string, batches: readonly UserBatch[]): Promise<readonly (number | Error)[]> {
    const { maxEvents, maxAgeMs, streamTtlMs, processId } = this.options;
    const keys: string[] = [];
    const args: (string | number | Buffer)[] = [`a:${processId}`, batchId, this.options.now(), maxEvents, maxAgeMs, streamTtlMs, batches.length];
    for (const { userId, count, appendedAt, text } of batches) {
      keys.push(kind.meta(userId), kind.log(userId));
      args.push(kind.channel(userId), kind.known.get(userId) ?? 0, count, appendedAt, text);
    }
    try {
      const replies = (await APPEND_SCRIPT.run(this.commands, keys, args)) as unknown[];
      return batches.map(({ userId }, index) => {
        const reply = replies[index];
        return typeof reply === 'number' ? reply : new BackplaneStoreError(`an append for ${userId}`, new Error(String(reply)));
      });
    } catch (error) {
      if (this.closing) throw new BackplaneClosedError();
      const users = batches.map((batch) => batch.userId);
      throw new BackplaneStoreError(`an append for ${users.length === 1 ? users[0] : `${users.length} users (${users.slice(0, 3).join(', ')}…)`}`, error);
    }
  }

  /** After the commands connection came back (Redis may have restarted): re-assert liveness and what this process knows. */
  private async afterCommandsReconnect(): Promise<void> {
    await this.presence.refresh();
    await Promise.all([this.feeds.checkPositions(), this.roomFeeds.checkPositions()]);
  }

  private async storedSeq(kind: StreamKind, id: UserId): Promise<number> {
    const seq = await this.request(this.commands.hget(kind.meta(id), 'seq'), `reading ${id}`);
    return Number(seq ?? 0);
  }

  private async storedSeqs(kind: StreamKind, ids: readonly UserId[]): Promise<number[]> {
    const pipeline = this.commands.pipeline();
    for (const id of ids) pipeline.hget(kind.meta(id), 'seq');
    const results = await this.request(pipeline.exec(), 'reading positions');
    return (results ?? []).map(([error, seq]) => (error === null ? Number(seq ?? 0) : 0));
  }

  private async positionOf(kind: StreamKind, id: UserId): Promise<StreamPosition> {
    const reply = await this.request(POSITION_SCRIPT.run(this.commands, [kind.meta(id)], [this.options.streamTtlMs]), `reading ${id}`);
    const [lastSeq, epoch] = reply as [number, string];
    return { lastSeq: Number(lastSeq), epoch: String(epoch) };
  }

  /**
   * A batch of this process's appends is stored: its last seq is known, and its entries go to this
   * process's listeners. Whatever delivering them throws is reported, never made a failure of
   * appends Redis has stored: a caller retrying them would append them twice.
   */
  private stored(kind: StreamKind, feeds: UserFeeds, id: UserId, batch: StoredBatch): void {
    if (batch.count === 0) return;
    this.noteSeq(kind, id, batch.first + batch.count - 1);
    try {
      feeds.onAppended(id, batch.first, () => batch.entries());
    } catch (error) {
      this.options.onError(error, `deliver ${id}`);
    }
  }

  private noteSeq(kind: StreamKind, id: UserId, seq: number): void {
    const known = kind.known;
    if (this.options.maxKnownUsers === 0 || seq <= (known.get(id) ?? 0)) return;
    known.delete(id);
    known.set(id, seq);
    if (known.size > this.options.maxKnownUsers) {
      const oldest = known.keys().next();
      if (oldest.done !== true) known.delete(oldest.value);
    }
  }

  private request<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.options.requestTimeoutMs, what);
  }

  private background(work: Promise<unknown>, context: string): void {
    work.catch((error: unknown) => this.options.onError(error, context));
  }

  private assertOpen(): void {
    if (this.closing) throw new BackplaneClosedError();
  }
}

function checkAfterSeq(afterSeq: number): void {
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new InvalidBackplaneArgumentError('afterSeq', `expected a whole number ≥ 0, got ${String(afterSeq)}`);
}
