import type { Backplane } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { InvalidManagerArgumentError } from './errors';

/** Longest room name accepted. */
export const MAX_ROOM_NAME_LENGTH = 256;

/** A connection as room bookkeeping sees it. */
export interface RoomMember {
  readonly userId: UserId;
  rooms: Set<string> | null;
}

/** Throws InvalidManagerArgumentError unless `room` is a non-empty string of at most MAX_ROOM_NAME_LENGTH characters. */
export function checkRoomName(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
    throw new InvalidManagerArgumentError('room', `expected a string of 1 to ${MAX_ROOM_NAME_LENGTH} characters`);
  }
}

/**
 * Rooms are joined per connection; the backplane counts membership per user (one join per
 * connection that joined), so a room message enters the stream of each member's user and
 * reaches all of that user's connections. This side keeps each connection's rooms, to leave
 * them when it closes, and how many local connections each room has.
 */
export class RoomMemberships {
  private readonly local = new Map<string, number>();

  constructor(
    private readonly backplane: Backplane,
    private readonly report: (error: unknown, context: string) => void,
  ) {}

  /** Rooms with at least one connection of this process. */
  get size(): number {
    return this.local.size;
  }

  /** Joins a room; joining a room the connection is already in does nothing. */
  async join(member: RoomMember, room: string): Promise<void> {
    const rooms = (member.rooms ??= new Set());
    if (rooms.has(room)) return;
    rooms.add(room);
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
    if (member.rooms === null || !member.rooms.delete(room)) return;
    this.decrement(room);
    await this.backplane.leaveRoom(room, member.userId);
  }

  /** Leaves every room of a closing connection (in the background; failures are reported). */
  leaveAll(member: RoomMember): void {
    const rooms = member.rooms;
    if (rooms === null) return;
    member.rooms = null;
    for (const room of rooms) {
      this.decrement(room);
      this.backplane.leaveRoom(room, member.userId).catch((error: unknown) => this.report(error, `leaveRoom ${room}`));
    }
  }

  /** Forgets every local membership (shutdown). */
  clear(): void {
    this.local.clear();
  }

  private decrement(room: string): void {
    const count = this.local.get(room) ?? 0;
    if (count <= 1) this.local.delete(room);
    else this.local.set(room, count - 1);
  }
}
