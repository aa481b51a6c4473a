import { AgentwireError, type UserId } from '@agentwirejs/types';
import { ProtocolsErrorCode } from './errors';
import type { StreamEntry, StreamGap } from './stream-entry';
import type { OutboundMessage } from './wire/server-messages';

export interface StreamRead<E = StreamEntry> {
  /** Kept entries after the requested position, in order. */
  readonly entries: readonly E[];
  /** Positions after the requested one that are no longer kept, or null. */
  readonly gap: StreamGap | null;
  /** The user's newest position (0 if none). */
  readonly lastSeq: number;
}

/**
 * Where a user's stream stands. `epoch` names this incarnation of the stream: positions are
 * comparable only within one epoch. It changes when the stream starts over (a single process
 * restarted; Redis lost or expired the user's stream), so a client holding a position of an
 * older epoch knows its position means nothing now, instead of dropping the new stream's
 * entries as repeats.
 */
export interface StreamPosition {
  readonly lastSeq: number;
  readonly epoch: string;
}

export type StreamListener = (entry: StreamEntry) => void;

/**
 * What appending several messages in one call did (Backplane.appendBatchToUser,
 * AgentEventSink.emitAgentEvents): null when every one was appended; otherwise one slot per
 * message, in order: undefined where it was appended, the error that refused it where it was not.
 */
export type AppendFailures = readonly unknown[] | null;

/**
 * Records that the message in slot `index` of a batch of `size` was refused with `error`
 * (AppendFailures): the slots are made on the first failure, each one set (no holes, so every
 * array method sees them), and a refusal without a reason gets one, as an empty slot reads as
 * appended. Returns the slots, to keep for the next failure.
 */
export function withAppendFailure(failures: unknown[] | null, size: number, index: number, error: unknown): unknown[] {
  const slots = failures ?? Array.from<unknown>({ length: size });
  slots[index] = error ?? new Error('The message was refused without a reason');
  return slots;
}

/**
 * One message of a room's own stream: `seq` is the room's position (room_seq on the wire) and
 * `json` the room frame (roomEnvelopeWriter), the same string for every member. A gap notice
 * (`gap` set) carries the room's replay_gap frame (room_seq null) and seq = gap.toSeq.
 */
export type RoomStreamEntry = Omit<StreamEntry, 'userId'>;
export type RoomStreamListener = (entry: RoomStreamEntry) => void;
export type Unsubscribe = () => Promise<void>;

/**
 * The replay window every backplane keeps per user unless told otherwise: the newest `maxEvents`
 * entries, each for `maxAgeMs` (AGENTWIRE_REPLAY_MAX_EVENTS and AGENTWIRE_REPLAY_MAX_AGE_MS).
 */
export const REPLAY_WINDOW_DEFAULTS = Object.freeze({ maxEvents: 1000, maxAgeMs: 300_000 });

/** ready: delivering; degraded: up but unable to reach its store (deliveries may be late); closed. */
export type BackplaneStatus = 'ready' | 'degraded' | 'closed';

/**
 * Carries user streams between gateway processes. Appending assigns the user's next seq
 * atomically, keeps the entry for replay (bounded by count and age) and delivers it to every
 * subscriber of that user, in seq order, in every process. A process subscribes only to the
 * users it holds connections for. Room membership is per user and counted: every joinRoom is
 * paired with one leaveRoom. A distributed backplane that cannot recover positions a listener
 * missed delivers one gap notice (an entry with `gap` set) in their place, never a silent hole.
 */
export interface Backplane {
  appendToUser(userId: UserId, message: OutboundMessage): Promise<StreamEntry>;
  /**
   * Optional: appends several messages to one user's stream in order, as appendToUser called for
   * each in turn would, with one promise for all of them (a caller with many messages out at once
   * pays for one, not one each). Resolves once every message is appended or refused; rejects only
   * when the call is refused as a whole (none appended: a closed backplane). Callers fall back to
   * appendToUser where a backplane does not offer it.
   */
  appendBatchToUser?(userId: UserId, messages: readonly OutboundMessage[]): Promise<AppendFailures>;
  /**
   * A room message: appends it to the room's own stream (appendToRoomStream) and to the stream of
   * every member user (joinRoom), serialized once for all of them; resolves with the number of users.
   */
  appendToRoom(room: string, message: OutboundMessage): Promise<number>;
  /** Appends to the stream of every user subscribed anywhere; resolves with the number of users. */
  appendToAll(message: OutboundMessage): Promise<number>;
  subscribeUser(userId: UserId, listener: StreamListener): Promise<Unsubscribe>;
  joinRoom(room: string, userId: UserId): Promise<void>;
  leaveRoom(room: string, userId: UserId): Promise<void>;
  readStream(userId: UserId, afterSeq: number): Promise<StreamRead>;
  /**
   * Appends to the room's own stream (its next room seq, kept for replay like a user's entries,
   * delivered to the room's subscribers in every process, in order); the frame is built once for
   * every member. Only the room's stream: appendToRoom feeds it and the member users' streams.
   */
  appendToRoomStream(room: string, message: OutboundMessage): Promise<RoomStreamEntry>;
  subscribeRoomStream(room: string, listener: RoomStreamListener): Promise<Unsubscribe>;
  readRoomStream(room: string, afterSeq: number): Promise<StreamRead<RoomStreamEntry>>;
  /** The room stream's newest position and epoch. */
  roomStreamPosition(room: string): Promise<StreamPosition>;
  lastSeq(userId: UserId): Promise<number>;
  /** The user's newest position and the stream's epoch (made when the stream is first asked for or appended to). */
  position(userId: UserId): Promise<StreamPosition>;
  status(): BackplaneStatus;
  close(): Promise<void>;
}

/** A backplane was used after close() (every implementation throws this one). */
export class BackplaneClosedError extends AgentwireError {
  constructor() {
    super(ProtocolsErrorCode.BackplaneClosed, 'The backplane is closed');
  }
}
