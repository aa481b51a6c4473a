import { type Backplane, type JoinRoomOptions, type OutboundMessage, type RoomStreamEntry, type StreamGap, type Unsubscribe, roomEnvelopeWriter } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { ConnectionPhase, FAILED, type ManagedConnection, SUBSCRIBED, type SubscriptionSlot, type Written, subscribeSlot } from './connection';
import { WriteOutcome } from './backpressure';
import { InvalidManagerArgumentError } from './errors';
import { checkResumePosition } from './replay';
import { SharedTextFrame } from './shared-frame';

/** Longest room name accepted. */
export const MAX_ROOM_NAME_LENGTH = 256;

/** Throws InvalidManagerArgumentError unless `room` is a non-empty string of at most MAX_ROOM_NAME_LENGTH characters. */
export function checkRoomName(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
    throw new InvalidManagerArgumentError('room', `expected a string of 1 to ${MAX_ROOM_NAME_LENGTH} characters`);
  }
}

/** Throws InvalidManagerArgumentError unless `options` are JoinRoomOptions joinRoom can honour. */
export function checkJoinRoomOptions(options: unknown): asserts options is JoinRoomOptions | undefined {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new InvalidManagerArgumentError('options', 'expected an object');
  const { stream, afterSeq, afterEpoch } = options as Record<string, unknown>;
  if (stream !== undefined && stream !== 'user' && stream !== 'room') throw new InvalidManagerArgumentError('stream', `expected 'user' or 'room', got ${String(stream)}`);
  if (afterSeq !== undefined) checkResumePosition(afterSeq);
  if (afterEpoch !== undefined && typeof afterEpoch !== 'string') throw new InvalidManagerArgumentError('afterEpoch', 'expected a string');
  if (stream !== 'room' && (afterSeq !== undefined || afterEpoch !== undefined)) {
    throw new InvalidManagerArgumentError('afterSeq', "a room position belongs to the room's own stream: join with stream 'room'");
  }
}

/**
 * One connection's place in a room's own stream: the newest room position written to it, and
 * the live entries held while what it missed is being written.
 */
export class RoomStreamJoin {
  lastSeq = 0;
  /** Live entries held while the join is opening; null once live. */
  held: RoomStreamEntry[] | null = [];
  /** `held` overflowed and was emptied: the opening reads the stream again. */
  overflow = false;
  left = false;

  constructor(
    readonly connection: ManagedConnection,
    readonly room: string,
  ) {}
}

/**
 * A connection's rooms: null for a membership through the user's stream (stream 'user'), its
 * RoomStreamJoin for one through the room's own stream.
 */
export type ConnectionRooms = Map<string, RoomStreamJoin | null>;

/** A connection as room bookkeeping sees it. */
export interface RoomMember {
  readonly userId: UserId;
  rooms: ConnectionRooms | null;
}

/** How room frames reach connections (the registry: a write that fails there closes the connection). */
export interface RoomDelivery {
  /** Bound of the live entries a join holds while it opens. */
  readonly holdMax: number;
  /** Writes one frame outside a fan-out; false when nothing was written (the connection may be closed for it). */
  write(connection: ManagedConnection, json: string): boolean;
  /** Writes a connection-scoped message (seq null); false when the connection is gone. */
  notice(connection: ManagedConnection, message: OutboundMessage): boolean;
  /** A fan-out write overflowed or failed: closes the connection. */
  failed(connection: ManagedConnection, outcome: Written): void;
  /** Bytes a join's replay wrote: the connection's replay budget counts them. */
  replayed(connection: ManagedConnection, bytes: number): void;
  now(): number;
}

/** The room-stream joins of this process for one room and the one backplane subscription they share. */
class RoomSlot implements SubscriptionSlot {
  /** Replaced, never changed in place (safe to iterate while a connection leaves). */
  joins: readonly RoomStreamJoin[] = [];
  subscribed: Promise<void> = SUBSCRIBED;
  unsubscribe: Unsubscribe | null = null;
  retired = false;

  constructor(readonly room: string) {}
}

/**
 * Rooms are joined per connection, in one of two ways (JoinRoomOptions.stream):
 * - through the user's stream: the backplane counts membership per user (one join per
 *   connection that joined), so a room message enters the stream of each member's user and
 *   reaches all of that user's connections;
 * - through the room's own stream: this process subscribes once per room, and each message
 *   arrives as one frame (room, room_seq) that is written, as it is, to every joined connection.
 * This side keeps each connection's rooms, to leave them when it closes, and how many local
 * connections each room has.
 */
export class RoomMemberships {
  private readonly local = new Map<string, number>();
  private readonly slots = new Map<string, RoomSlot>();

  constructor(
    private readonly backplane: Backplane,
    private readonly report: (error: unknown, context: string) => void,
    private readonly delivery: RoomDelivery,
  ) {}

  /** Rooms with at least one connection of this process. */
  get size(): number {
    return this.local.size;
  }

  /** Joins a room; joining a room the connection is already in (either way) does nothing. */
  async join(member: ManagedConnection, room: string, options: JoinRoomOptions = {}): Promise<void> {
    const rooms = (member.rooms ??= new Map());
    if (rooms.has(room)) return;
    if (options.stream === 'room') return this.joinStream(member, rooms, room, options);
    rooms.set(room, null);
    this.local.set(room, (this.local.get(room) ?? 0) + 1);
    try {
      await this.backplane.joinRoom(room, member.userId);
    } catch (error) {
      if (rooms.delete(room)) this.decrement(room);
      throw error;
    }
  }

  /** Leaves a room; leaving a room the connection is not in does nothing. */
  async leave(member: RoomMember, room: string): Promise<void> {
    const join = member.rooms?.get(room);
    if (join === undefined || member.rooms === null || !member.rooms.delete(room)) return;
    this.decrement(room);
    if (join === null) await this.backplane.leaveRoom(room, member.userId);
    else this.dropJoin(join);
  }

  /** Leaves every room of a closing connection (in the background; failures are reported). */
  leaveAll(member: RoomMember): void {
    const rooms = member.rooms;
    if (rooms === null) return;
    member.rooms = null;
    for (const [room, join] of rooms) {
      this.decrement(room);
      if (join !== null) this.dropJoin(join);
      else this.backplane.leaveRoom(room, member.userId).catch((error: unknown) => this.report(error, `leaveRoom ${room}`));
    }
    // A join still in progress finds its room gone, and counts nothing twice when it fails.
    rooms.clear();
  }

  /** Forgets every local membership (shutdown): the room subscriptions are dropped. */
  async clear(): Promise<void> {
    this.local.clear();
    const slots = [...this.slots.values()];
    for (const slot of slots) this.retire(slot);
    await Promise.allSettled(slots.map((slot) => slot.subscribed));
  }

  /**
   * Joins the room's own stream: the connection gets room_joined (the room's position and
   * epoch), then what it missed after options.afterSeq if given, then the live stream, with no
   * loss and no duplicate: live entries are held from before the position is read, and those at
   * or below what was written are skipped (as a user stream's replay does, replay.ts).
   */
  private async joinStream(connection: ManagedConnection, rooms: ConnectionRooms, room: string, options: JoinRoomOptions): Promise<void> {
    const join = new RoomStreamJoin(connection, room);
    rooms.set(room, join);
    this.local.set(room, (this.local.get(room) ?? 0) + 1);
    const slot = this.slots.get(room) ?? this.openSlot(room);
    slot.joins = [...slot.joins, join];
    try {
      await slot.subscribed;
      // Nothing reaches a connection before its connection_established: wait for its opening.
      if (connection.phase === ConnectionPhase.Greeting) await connection.slot.subscribed;
      while (connection.resuming !== null) await connection.resuming;
      const { lastSeq, epoch } = await this.backplane.roomStreamPosition(room);
      if (join.left) return;
      if (!this.delivery.notice(connection, { type: 'room_joined', payload: { room, last_seq: lastSeq, epoch } })) return;
      // A position of another epoch belongs to a room stream that is gone: replay the new one from its start.
      let position = options.afterSeq === undefined ? lastSeq : options.afterEpoch !== undefined && options.afterEpoch !== epoch ? 0 : options.afterSeq;
      // Read what the client missed (when it named a position), and again after the held entries overflowed.
      for (let read = options.afterSeq !== undefined; ; read = true) {
        if (read) {
          const missed = await this.backplane.readRoomStream(room, position);
          if (join.left || !this.writeMissed(join, missed.gap, missed.entries)) return;
          // A client ahead of the stream (it started over) gets everything after the stream's end.
          position = missed.lastSeq;
        }
        if (!join.overflow) break;
        join.overflow = false;
        join.held = [];
      }
      const held = join.held ?? [];
      join.held = null;
      join.lastSeq = position;
      for (const entry of held) {
        if (entry.seq <= join.lastSeq) continue;
        join.lastSeq = entry.seq;
        if (!this.delivery.write(connection, entry.json)) break;
      }
    } catch (error) {
      if (rooms.get(room) === join && rooms.delete(room)) this.decrement(room);
      this.dropJoin(join);
      throw error;
    }
  }

  /** Writes a join's replay: the room's replay_gap for what was evicted, then the kept entries; false once the connection is gone. */
  private writeMissed(join: RoomStreamJoin, gap: StreamGap | null, entries: readonly RoomStreamEntry[]): boolean {
    const { connection, room } = join;
    const delivery = this.delivery;
    if (gap !== null) {
      const notice = { type: 'replay_gap', payload: { from_seq: gap.fromSeq, to_seq: gap.toSeq } };
      if (!delivery.write(connection, roomEnvelopeWriter(notice, room)(null, new Date(delivery.now()).toISOString()))) return false;
    }
    for (const entry of entries) {
      if (!delivery.write(connection, entry.json)) return false;
      delivery.replayed(connection, Buffer.byteLength(entry.json));
    }
    return true;
  }

  private openSlot(room: string): RoomSlot {
    const slot = new RoomSlot(room);
    this.slots.set(room, slot);
    subscribeSlot(
      slot,
      () => this.backplane.subscribeRoomStream(room, (entry) => this.deliver(slot, entry)),
      (unsubscribe) => this.unsubscribe(unsubscribe, room),
    );
    return slot;
  }

  /**
   * The backplane listener of one room: the same frame to every joined connection, in room
   * order. For more than one member the whole WebSocket frame is made once and written to each
   * socket (SharedTextFrame); for one, `ws.send` writes it with no copy more.
   */
  private deliver(slot: RoomSlot, entry: RoomStreamEntry): void {
    const joins = slot.joins;
    const json = entry.json;
    const utf8 = entry.jsonUtf8 ?? null; // the same bytes to every member
    const shared = joins.length > 1 ? new SharedTextFrame(json, utf8) : null;
    const seq = entry.seq;
    let broken: [ManagedConnection, Written][] | null = null;
    for (let i = 0; i < joins.length; i += 1) {
      const join = joins[i] as RoomStreamJoin;
      const held = join.held;
      if (held !== null) {
        if (held.length < this.delivery.holdMax) held.push(entry);
        else {
          held.length = 0;
          join.overflow = true;
        }
        continue;
      }
      if (seq <= join.lastSeq) continue;
      join.lastSeq = seq;
      const connection = join.connection;
      const outcome = connection.send(json, null, null, entry.appendedAt, utf8, shared);
      if (outcome === WriteOutcome.Overflow || outcome === FAILED) (broken ??= []).push([connection, outcome]);
    }
    if (broken !== null) for (const [connection, outcome] of broken) this.delivery.failed(connection, outcome);
  }

  private dropJoin(join: RoomStreamJoin): void {
    join.left = true;
    join.held = null;
    const slot = this.slots.get(join.room);
    if (slot === undefined) return;
    slot.joins = slot.joins.filter((other) => other !== join);
    if (slot.joins.length === 0) this.retire(slot);
  }

  private retire(slot: RoomSlot): void {
    slot.retired = true;
    if (this.slots.get(slot.room) === slot) this.slots.delete(slot.room);
    if (slot.unsubscribe !== null) this.unsubscribe(slot.unsubscribe, slot.room);
    slot.unsubscribe = null;
  }

  private unsubscribe(unsubscribe: Unsubscribe, room: string): void {
    unsubscribe().catch((error: unknown) => this.report(error, `unsubscribe room ${room}`));
  }

  private decrement(room: string): void {
    const count = this.local.get(room) ?? 0;
    if (count <= 1) this.local.delete(room);
    else this.local.set(room, count - 1);
  }
}
