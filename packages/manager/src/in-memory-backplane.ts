import { IsoTimeText, type UserId } from '@agentwirejs/types';
import {
  type AppendFailures,
  type Backplane,
  BackplaneClosedError,
  JsonUtf8Writer,
  REPLAY_WINDOW_DEFAULTS,
  type BackplaneStatus,
  type EnvelopeWriter,
  type OutboundMessage,
  type RoomStreamEntry,
  type RoomStreamListener,
  type StreamEntry,
  type StreamListener,
  type StreamPosition,
  type StreamRead,
  type Unsubscribe,
  Utf8StreamEntry,
  envelopeWriter,
  messageBody,
  roomEnvelopeWriter,
  userEnvelope,
  withAppendFailure,
} from '@agentwirejs/protocols';
import { ReplayRing } from './replay-ring';

export interface InMemoryBackplaneOptions {
  /** Entries kept per user for replay (default REPLAY_WINDOW_DEFAULTS of @agentwirejs/protocols: 1000). */
  maxEvents?: number;
  /** How long an entry is kept (default REPLAY_WINDOW_DEFAULTS: 5 minutes). */
  maxAgeMs?: number;
  /** Clock (epoch ms), injectable for tests. */
  now?: () => number;
  /** Called when a listener throws; the other listeners still get the entry. */
  onListenerError?: (error: unknown, entry: StreamEntry) => void;
  /** How often expired entries of idle users are dropped (default maxAgeMs, at least 1 s; 0 = never). */
  sweepIntervalMs?: number;
}

interface UserStream {
  lastSeq: number;
  /** Created by the first append (a subscribed user who never got a message costs no ring). */
  ring: ReplayRing | null;
  /** Replaced, never changed in place, so a delivery in progress is not disturbed by (un)subscribing. */
  listeners: readonly StreamListener[];
}

/**
 * A room's own stream. Unlike a user's, it is dropped once nobody listens and its entries have
 * aged out (room names come and go), so each incarnation has its own epoch: a client holding a
 * position of a dropped one replays the new one from its start instead of skipping it.
 */
interface RoomStream {
  lastSeq: number;
  ring: ReplayRing | null;
  listeners: readonly RoomStreamListener[];
  readonly epoch: string;
}

/**
 * Adds a listener to a user's or a room's stream once; the returned function takes it off. The
 * list is replaced, never changed in place, so a delivery in progress is not disturbed.
 */
function addListener<L>(stream: { listeners: readonly L[] }, listener: L): () => void {
  if (!stream.listeners.includes(listener)) stream.listeners = [...stream.listeners, listener];
  return () => {
    stream.listeners = stream.listeners.filter((subscribed) => subscribed !== listener);
  };
}

/**
 * An entry appended here, handed to the stream's listeners with its envelope's UTF-8 bytes
 * (Utf8StreamEntry). A user's own envelope is written as bytes (JsonUtf8Writer) and its text,
 * `json`, is decoded from them only when something reads it: a `ws` connection is sent the bytes,
 * so on the hot path no text is made at all (it was the envelope's length again in garbage per
 * event). Its message and ts are the ones appended, never parsed back.
 */
class AppendedEntry extends Utf8StreamEntry {
  constructor(
    seq: number,
    userId: UserId,
    type: string,
    private readonly appendedTs: string,
    private readonly appended: OutboundMessage,
    appendedAt: number,
    text: string | null,
    bytes: Buffer,
  ) {
    super(seq, userId, type, appendedAt, bytes, text);
  }

  override get ts(): string {
    return this.appendedTs;
  }

  override get message(): OutboundMessage {
    return this.appended;
  }
}

/** The single-process backplane: the default when no Redis URL is set. */
export class InMemoryBackplane implements Backplane {
  private readonly streams = new Map<UserId, UserStream>();
  private readonly rooms = new Map<string, Map<UserId, number>>();
  private readonly roomStreams = new Map<string, RoomStream>();
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly onListenerError: (error: unknown, entry: StreamEntry) => void;
  private readonly sweepTimer: NodeJS.Timeout | null;
  private closed = false;
  /** Appends within the same millisecond share one ts string. */
  private readonly isoTime = new IsoTimeText();
  /** Writes a message's envelope for one user as bytes (appendToUser, appendBatchToUser: every run event). */
  private readonly envelopes = new JsonUtf8Writer();
  /** Streams live as long as this backplane, so one epoch names all of them: a restart starts every stream over. */
  private readonly epoch = globalThis.crypto.randomUUID();

  constructor(options: InMemoryBackplaneOptions = {}) {
    this.maxEvents = options.maxEvents ?? REPLAY_WINDOW_DEFAULTS.maxEvents;
    this.maxAgeMs = options.maxAgeMs ?? REPLAY_WINDOW_DEFAULTS.maxAgeMs;
    this.now = options.now ?? Date.now;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    const sweepEvery = options.sweepIntervalMs ?? Math.max(1000, this.maxAgeMs);
    this.sweepTimer = sweepEvery > 0 ? setInterval(() => this.sweepExpired(), sweepEvery) : null;
    this.sweepTimer?.unref();
  }

  async appendToUser(userId: UserId, message: OutboundMessage): Promise<StreamEntry> {
    this.assertOpen();
    // One recipient: the envelope written as bytes (userEnvelope's text), not the writer's pieces.
    return this.append(userId, null, message);
  }

  /** appendToUser for each message in turn, with one promise for all: a message that cannot be serialized is refused alone. */
  async appendBatchToUser(userId: UserId, messages: readonly OutboundMessage[]): Promise<AppendFailures> {
    this.assertOpen();
    let failures: unknown[] | null = null;
    for (let index = 0; index < messages.length; index += 1) {
      const message = messages[index] as OutboundMessage;
      try {
        this.append(userId, null, message);
      } catch (error) {
        failures = withAppendFailure(failures, messages.length, index, error);
      }
    }
    return failures;
  }

  async appendToRoom(room: string, message: OutboundMessage): Promise<number> {
    this.assertOpen();
    const body = messageBody(message);
    this.appendRoomEntry(room, message, body);
    const members = this.rooms.get(room);
    if (members === undefined) return 0;
    const write = envelopeWriter(message, body);
    for (const userId of members.keys()) this.append(userId, write, message);
    return members.size;
  }

  async appendToAll(message: OutboundMessage): Promise<number> {
    this.assertOpen();
    const write = envelopeWriter(message);
    let users = 0;
    for (const [userId, stream] of this.streams) {
      if (stream.listeners.length === 0) continue;
      this.append(userId, write, message);
      users += 1;
    }
    return users;
  }

  async appendToRoomStream(room: string, message: OutboundMessage): Promise<RoomStreamEntry> {
    this.assertOpen();
    return this.appendRoomEntry(room, message, messageBody(message));
  }

  private appendRoomEntry(room: string, message: OutboundMessage, body: string): RoomStreamEntry {
    const write = roomEnvelopeWriter(message, room, body);
    // The ring checks that one stream's entries share one id: a room stream's is its name (never read as a user).
    return this.appendEntry(this.roomStream(room), room as UserId, (seq, _id, ts) => write(seq, ts), message);
  }

  async subscribeRoomStream(room: string, listener: RoomStreamListener): Promise<Unsubscribe> {
    this.assertOpen();
    const remove = addListener(this.roomStream(room), listener);
    return async () => remove();
  }

  async readRoomStream(room: string, afterSeq: number): Promise<StreamRead<RoomStreamEntry>> {
    this.assertOpen();
    const stream = this.roomStreams.get(room);
    if (stream === undefined || stream.ring === null) return { entries: [], gap: null, lastSeq: stream?.lastSeq ?? 0 };
    const { entries, gap } = stream.ring.readAfter(afterSeq, stream.lastSeq, this.now());
    return { entries, gap, lastSeq: stream.lastSeq };
  }

  async roomStreamPosition(room: string): Promise<StreamPosition> {
    this.assertOpen();
    const stream = this.roomStream(room);
    return { lastSeq: stream.lastSeq, epoch: stream.epoch };
  }

  async subscribeUser(userId: UserId, listener: StreamListener): Promise<Unsubscribe> {
    this.assertOpen();
    const stream = this.stream(userId);
    const remove = addListener(stream, listener);
    return async () => {
      remove();
      // A stream that never had an entry holds nothing worth keeping (its next seq is 1 either way).
      if (stream.listeners.length === 0 && stream.ring === null && stream.lastSeq === 0 && this.streams.get(userId) === stream) this.streams.delete(userId);
    };
  }

  async joinRoom(room: string, userId: UserId): Promise<void> {
    this.assertOpen();
    let members = this.rooms.get(room);
    if (members === undefined) this.rooms.set(room, (members = new Map()));
    members.set(userId, (members.get(userId) ?? 0) + 1);
  }

  async leaveRoom(room: string, userId: UserId): Promise<void> {
    const members = this.rooms.get(room);
    const count = members?.get(userId);
    if (members === undefined || count === undefined) return;
    if (count > 1) members.set(userId, count - 1);
    else members.delete(userId);
    if (members.size === 0) this.rooms.delete(room);
  }

  async readStream(userId: UserId, afterSeq: number): Promise<StreamRead> {
    this.assertOpen();
    const stream = this.streams.get(userId);
    if (stream === undefined) return { entries: [], gap: null, lastSeq: 0 };
    if (stream.ring === null) return { entries: [], gap: null, lastSeq: stream.lastSeq };
    const { entries, gap } = stream.ring.readAfter(afterSeq, stream.lastSeq, this.now());
    return { entries, gap, lastSeq: stream.lastSeq };
  }

  async lastSeq(userId: UserId): Promise<number> {
    return this.streams.get(userId)?.lastSeq ?? 0;
  }

  async position(userId: UserId): Promise<StreamPosition> {
    this.assertOpen();
    return { lastSeq: this.streams.get(userId)?.lastSeq ?? 0, epoch: this.epoch };
  }

  status(): BackplaneStatus {
    return this.closed ? 'closed' : 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.streams.clear();
    this.rooms.clear();
    this.roomStreams.clear();
  }

  /** Drops expired entries of every user and room, and room streams nobody listens to that hold nothing more; returns how many entries. */
  sweepExpired(): number {
    const now = this.now();
    let evicted = 0;
    for (const stream of this.streams.values()) evicted += stream.ring?.evictExpired(now) ?? 0;
    for (const [room, stream] of this.roomStreams) {
      evicted += stream.ring?.evictExpired(now) ?? 0;
      if (stream.listeners.length === 0 && (stream.ring === null || stream.ring.length === 0)) this.roomStreams.delete(room);
    }
    return evicted;
  }

  /** `write` null: the message's envelope for this user alone (userEnvelope), written as bytes. */
  private append(userId: UserId, write: EnvelopeWriter | null, message: OutboundMessage): StreamEntry {
    const stream = this.streams.get(userId);
    if (stream !== undefined) return this.appendEntry(stream, userId, write, message);
    // A new stream is kept only once its first entry is: a message that cannot be serialized leaves nothing behind.
    const created: UserStream = { lastSeq: 0, ring: null, listeners: [] };
    const entry = this.appendEntry(created, userId, write, message);
    this.streams.set(userId, created);
    return entry;
  }

  /**
   * Takes the stream's next seq, keeps the entry for replay and hands it to the stream's
   * listeners. The envelope is encoded to UTF-8 once, here: the ring copies those bytes and a
   * `ws` socket is sent them as they are (measured: about 1 µs less server CPU per event than
   * encoding into the ring and again in each socket's write). A user's own envelope (`write`
   * null) is written as bytes and its text is read back from them only when asked for
   * (AppendedEntry): JSON.stringify's text and its encoding were three times the envelope's
   * length in garbage per event (JsonUtf8Writer).
   */
  private appendEntry(stream: UserStream | RoomStream, userId: UserId, write: EnvelopeWriter | null, message: OutboundMessage): StreamEntry {
    const appendedAt = this.now();
    const ts = this.isoTime.of(appendedAt);
    const seq = stream.lastSeq + 1;
    let entry: AppendedEntry;
    if (write === null) {
      entry = new AppendedEntry(seq, userId, message.type, ts, message, appendedAt, null, this.envelopes.encode(userEnvelope(message, seq, userId, ts)));
    } else {
      const json = write(seq, userId, ts);
      entry = new AppendedEntry(seq, userId, message.type, ts, message, appendedAt, json, Buffer.from(json, 'utf8'));
    }
    stream.lastSeq = seq;
    const ring = (stream.ring ??= new ReplayRing(this.maxEvents, this.maxAgeMs));
    ring.evictExpired(appendedAt);
    ring.push(entry);
    for (const listener of stream.listeners) {
      try {
        listener(entry);
      } catch (error) {
        this.onListenerError(error, entry);
      }
    }
    // The bytes were for this delivery (the ring has copied them). An entry a listener keeps (held
    // during a replay, queued behind a slow socket) must not keep them, nor the pool they are a
    // slice of: those listeners have read its text (see AppendedEntry).
    entry.release();
    return entry;
  }

  private roomStream(room: string): RoomStream {
    let stream = this.roomStreams.get(room);
    if (stream === undefined) {
      stream = { lastSeq: 0, ring: null, listeners: [], epoch: globalThis.crypto.randomUUID() };
      this.roomStreams.set(room, stream);
    }
    return stream;
  }

  private stream(userId: UserId): UserStream {
    let stream = this.streams.get(userId);
    if (stream === undefined) {
      stream = { lastSeq: 0, ring: null, listeners: [] };
      this.streams.set(userId, stream);
    }
    return stream;
  }

  private assertOpen(): void {
    if (this.closed) throw new BackplaneClosedError();
  }
}
