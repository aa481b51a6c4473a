import type { UserId } from '@agentwirejs/types';

/**
 * Every Redis key and channel name, built from the key prefix. A user's keys share the hash tag
 * `{userId}`, so one script may touch them all; on a Redis Cluster the prefix holds a hash tag of
 * its own, which comes first and so places every key and channel in that one slot. A user id may contain braces (it is whatever auth
 * verified): the tag then ends at its first `}`, which is the same for all of that user's keys, so
 * they still share a slot, and the keys of two users never coincide (each is the whole id plus a
 * fixed suffix). Room names are
 * free text and are URI-encoded, so `:` in a name cannot collide with the separators.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Hash: `seq` (the user's last position) and `a:<processId>` (the last batch each process appended). */
  userMeta(userId: UserId): string {
    return `${this.prefix}u:{${userId}}:meta`;
  }

  /** Stream of kept entries; entry id `<seq>-0`, fields `t` (appended at, epoch ms) and `j` (the envelope). */
  userLog(userId: UserId): string {
    return `${this.prefix}u:{${userId}}:log`;
  }

  /** Pub/sub channel carrying the user's new entries. */
  userChannel(userId: UserId): string {
    return `${this.prefix}u:{${userId}}:ch`;
  }

  /** A room's own stream (Backplane.appendToRoomStream): hash as userMeta, for the room. */
  roomStreamMeta(room: string): string {
    return `${this.prefix}r:{${encodeURIComponent(room)}}:meta`;
  }

  /** A room's own stream's kept entries, stored as userLog's. */
  roomStreamLog(room: string): string {
    return `${this.prefix}r:{${encodeURIComponent(room)}}:log`;
  }

  /** Pub/sub channel carrying a room stream's new entries. */
  roomStreamChannel(room: string): string {
    return `${this.prefix}r:{${encodeURIComponent(room)}}:ch`;
  }

  /** Set of backplane process ids (dead ones are removed by whoever notices). */
  processes(): string {
    return `${this.prefix}procs`;
  }

  /** Exists while the backplane of this process refreshes it. */
  processAlive(processId: string): string {
    return `${this.prefix}proc:${processId}:alive`;
  }

  /** Set of users with listeners in this process; expires with the process. */
  processUsers(processId: string): string {
    return `${this.prefix}proc:${processId}:users`;
  }

  /** Set of process ids with members in the room. */
  roomProcesses(room: string): string {
    return `${this.prefix}room:${encodeURIComponent(room)}:procs`;
  }

  /** Hash userId → joins of this process; expires with the process. */
  roomMembers(room: string, processId: string): string {
    return `${this.prefix}room:${encodeURIComponent(room)}:m:${processId}`;
  }

  /** Hash: a run's owner record. */
  run(runId: string): string {
    return `${this.prefix}run:${runId}`;
  }

  /** Prefix of the sets of run ids a process owns (the takeover script appends the owner id). */
  runsOfPrefix(): string {
    return `${this.prefix}runs:of:`;
  }

  /** Set of run ids a process owns. */
  runsOf(processId: string): string {
    return `${this.runsOfPrefix()}${processId}`;
  }

  /** Set of process ids that own runs. */
  runOwners(): string {
    return `${this.prefix}runs:owners`;
  }

  /** Prefix of the run owners' liveness keys (the takeover script appends the owner id). */
  runOwnerAlivePrefix(): string {
    return `${this.prefix}runs:alive:`;
  }

  /** Exists while the run directory of this process refreshes it. */
  runOwnerAlive(processId: string): string {
    return `${this.runOwnerAlivePrefix()}${processId}`;
  }

  /** Pub/sub channel of the control commands for one process. */
  control(processId: string): string {
    return `${this.prefix}ctl:${processId}`;
  }

  /** Pub/sub channel every process's control bus listens on too (requests to all processes). */
  controlAll(): string {
    return `${this.prefix}ctl-all`;
  }
}
