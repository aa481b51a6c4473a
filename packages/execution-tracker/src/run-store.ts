import type { UserId } from '@agentwirejs/types';
import type { RunRecord } from './run-record';

/**
 * Where run records live. The tracker calls update() after every change it makes to a record,
 * so a store that copies records (a shared one, later) stays current; the in-memory store holds
 * the tracker's own objects. Reads are synchronous: a remote store keeps a local mirror.
 */
export interface RunStore {
  add(record: RunRecord): void;
  /** The record with this id, whoever owns it; the tracker checks ownership. */
  get(runId: string): RunRecord | undefined;
  update(record: RunRecord): void;
  delete(runId: string): void;
  /** One user's records, oldest first; costs what that user has. */
  listByUser(userId: UserId): RunRecord[];
  /** Records held. */
  readonly size: number;
}

/**
 * The default store: records by id, plus each user's records in a list, oldest first. A user's
 * records leave in about the order they came (retention evicts the oldest), so a removal is
 * mostly a shift; a Map per user used that way rebuilt its table every few runs (about 80 bytes
 * of each run's garbage).
 */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();
  private readonly byUser = new Map<UserId, RunRecord[]>();

  get size(): number {
    return this.runs.size;
  }

  add(record: RunRecord): void {
    this.runs.set(record.runId, record);
    const mine = this.byUser.get(record.userId);
    if (mine === undefined) this.byUser.set(record.userId, [record]);
    else mine.push(record);
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  update(_record: RunRecord): void {
    // The records are the tracker's own objects: nothing to write.
  }

  delete(runId: string): void {
    const record = this.runs.get(runId);
    if (record === undefined) return;
    this.runs.delete(runId);
    const mine = this.byUser.get(record.userId);
    if (mine === undefined) return;
    const index = mine.indexOf(record);
    if (index === 0) mine.shift();
    else if (index > 0) {
      // in place: splice would make a list of what it removed
      mine.copyWithin(index, index + 1);
      mine.length -= 1;
    }
    if (mine.length === 0) this.byUser.delete(record.userId);
  }

  listByUser(userId: UserId): RunRecord[] {
    return this.byUser.get(userId)?.slice() ?? [];
  }

  /** Users with at least one record (the index never keeps empty entries). */
  get users(): number {
    return this.byUser.size;
  }
}
