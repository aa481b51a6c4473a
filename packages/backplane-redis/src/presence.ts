import type { UserId } from '@agentwirejs/types';
import type { ChainableCommander, Redis } from 'ioredis';
import { withTimeout } from './connections';
import type { RedisKeys } from './keys';
import type { ResolvedRedisOptions } from './options';

/**
 * What this process contributes to the shared registries, mirrored locally and written to Redis
 * under keys that expire with the process: the users it has listeners for (appendToAll reaches
 * them) and its room joins, counted per user (appendToRoom reaches a user while any process
 * counts a join). A process that dies stops refreshing, so its users and joins age out after
 * livenessTtlMs; readers also drop processes whose liveness key is gone. Writes carry absolute
 * counts from the local mirror, so a refresh after a reconnect (or after Redis lost its data)
 * restores exactly the local state.
 */
export class ProcessPresence {
  private readonly users = new Set<UserId>();
  private readonly rooms = new Map<string, Map<UserId, number>>();
  /** Rooms whose stored joins may differ from the local ones (a write failed): the next refresh rewrites them. */
  private readonly dirtyRooms = new Set<string>();
  private usersDirty = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: ResolvedRedisOptions,
  ) {}

  /** A user got its first local listener (true) or lost its last (false); written in the background. */
  setUserActive(userId: UserId, active: boolean): void {
    const key = this.keys.processUsers(this.options.processId);
    if (active) this.users.add(userId);
    else this.users.delete(userId);
    const write = active ? this.redis.multi().sadd(key, userId).pexpire(key, this.options.livenessTtlMs).exec() : this.redis.srem(key, userId);
    write.catch((error: unknown) => {
      this.usersDirty = true;
      this.options.onError(error, 'online users');
    });
  }

  /**
   * Adds `delta` joins of a user to a room and stores the new count, within requestTimeoutMs.
   * A join that could not be stored is undone locally and rejects; a leave always takes effect
   * locally (the process no longer holds the join) and, if it could not be stored, is reported
   * and written by the next heartbeat.
   */
  async changeJoins(room: string, userId: UserId, delta: 1 | -1): Promise<void> {
    const before = this.rooms.get(room)?.get(userId) ?? 0;
    if (delta < 0 && before === 0) return;
    this.setLocal(room, userId, before + delta);
    try {
      await withTimeout(this.writeJoins(room, userId), this.options.requestTimeoutMs, `storing the joins of ${room}`);
    } catch (error) {
      this.dirtyRooms.add(room);
      if (delta < 0) {
        this.options.onError(error, `leave ${room}`);
        return;
      }
      this.setLocal(room, userId, before);
      throw error;
    }
  }

  /** Users with a listener in any live process. */
  async onlineUsers(): Promise<UserId[]> {
    const processes = await this.liveProcesses(this.keys.processes(), (id) => [this.keys.processUsers(id)]);
    const users = await Promise.all(processes.map((id) => this.redis.smembers(this.keys.processUsers(id))));
    return [...new Set(users.flat())] as UserId[];
  }

  /** Users with at least one join in the room, in any live process. */
  async roomMembers(room: string): Promise<UserId[]> {
    const processes = await this.liveProcesses(this.keys.roomProcesses(room), (id) => [this.keys.roomMembers(room, id)]);
    const members = await Promise.all(processes.map((id) => this.redis.hkeys(this.keys.roomMembers(room, id))));
    return [...new Set(members.flat())] as UserId[];
  }

  /**
   * Heartbeat: refreshes liveness and the expiry of every key of this process, and rewrites
   * from the local state any key that is missing (expired, or Redis lost it) or may be stale.
   */
  async refresh(): Promise<void> {
    const { processId, livenessTtlMs: ttl } = this.options;
    const usersKey = this.keys.processUsers(processId);
    const pipeline = this.redis
      .pipeline()
      .set(this.keys.processAlive(processId), '1', 'PX', ttl)
      .sadd(this.keys.processes(), processId)
      .pexpire(usersKey, ttl);
    const rooms = [...new Set([...this.rooms.keys(), ...this.dirtyRooms])];
    for (const room of rooms) {
      const registry = this.keys.roomProcesses(room);
      pipeline.sadd(registry, processId).pexpire(registry, ttl).pexpire(this.keys.roomMembers(room, processId), ttl);
    }
    const results = (await pipeline.exec()) ?? [];
    const rewrites = this.redis.multi();
    const usersDirty = this.usersDirty || (this.users.size > 0 && results[2]?.[1] === 0);
    if (usersDirty) {
      rewrites.del(usersKey);
      if (this.users.size > 0) rewrites.sadd(usersKey, ...this.users).pexpire(usersKey, ttl);
    }
    const rewritten = rooms.filter((room, i) => this.dirtyRooms.has(room) || (this.rooms.has(room) && results[5 + i * 3]?.[1] === 0));
    for (const room of rewritten) this.rewriteRoom(rewrites, room);
    if (!usersDirty && rewritten.length === 0) return;
    this.usersDirty = false;
    for (const room of rewritten) this.dirtyRooms.delete(room);
    try {
      await rewrites.exec();
    } catch (error) {
      this.usersDirty ||= usersDirty;
      for (const room of rewritten) this.dirtyRooms.add(room);
      throw error;
    }
  }

  /** Removes everything of this process from Redis (close). */
  async clear(): Promise<void> {
    const { processId } = this.options;
    const pipeline = this.redis
      .pipeline()
      .del(this.keys.processAlive(processId), this.keys.processUsers(processId))
      .srem(this.keys.processes(), processId);
    for (const room of new Set([...this.rooms.keys(), ...this.dirtyRooms])) pipeline.del(this.keys.roomMembers(room, processId)).srem(this.keys.roomProcesses(room), processId);
    this.users.clear();
    this.rooms.clear();
    this.dirtyRooms.clear();
    await pipeline.exec();
  }

  private setLocal(room: string, userId: UserId, count: number): void {
    let members = this.rooms.get(room);
    if (count > 0) {
      if (members === undefined) this.rooms.set(room, (members = new Map()));
      members.set(userId, count);
      return;
    }
    members?.delete(userId);
    if (members?.size === 0) this.rooms.delete(room);
  }

  /** Queues the full rewrite of this process's joins of one room from the local state. */
  private rewriteRoom(tx: ChainableCommander, room: string): void {
    const { processId, livenessTtlMs: ttl } = this.options;
    const key = this.keys.roomMembers(room, processId);
    const registry = this.keys.roomProcesses(room);
    const members = this.rooms.get(room);
    tx.del(key);
    if (members === undefined) tx.srem(registry, processId);
    else tx.hset(key, Object.fromEntries(members)).pexpire(key, ttl).sadd(registry, processId).pexpire(registry, ttl);
  }

  /** Writes the local count of one user in one room (absolute, so writes may repeat). */
  private async writeJoins(room: string, userId: UserId): Promise<void> {
    const { processId, livenessTtlMs: ttl } = this.options;
    const key = this.keys.roomMembers(room, processId);
    const count = this.rooms.get(room)?.get(userId) ?? 0;
    const tx = this.redis.multi();
    if (count > 0) tx.hset(key, userId, count).pexpire(key, ttl).sadd(this.keys.roomProcesses(room), processId).pexpire(this.keys.roomProcesses(room), ttl);
    else if (this.rooms.has(room)) tx.hdel(key, userId);
    else tx.del(key).srem(this.keys.roomProcesses(room), processId);
    await tx.exec();
  }

  /**
   * The members of a registry set whose liveness key exists; dead ones are removed from the set
   * along with their keys (whoever notices first does it; it is idempotent).
   */
  private async liveProcesses(registry: string, keysOf: (processId: string) => string[]): Promise<string[]> {
    const ids = await this.redis.smembers(registry);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.exists(this.keys.processAlive(id));
    const alive = (await pipeline.exec()) ?? [];
    const live: string[] = [];
    const dead: string[] = [];
    ids.forEach((id, i) => (alive[i]?.[1] === 1 || id === this.options.processId ? live : dead).push(id));
    if (dead.length > 0) {
      const cleanup = this.redis.pipeline().srem(registry, ...dead);
      for (const id of dead) cleanup.del(...keysOf(id));
      this.background(cleanup.exec(), 'dead process cleanup');
    }
    return live;
  }

  private background(work: Promise<unknown>, context: string): void {
    work.catch((error: unknown) => this.options.onError(error, context));
  }
}
