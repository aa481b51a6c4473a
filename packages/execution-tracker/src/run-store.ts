import type { UserId } from '@agentwirejs/types';
import { PackedRuns } from './packed-runs';
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
  /**
   * The record's run has settled: the tracker will not change the record again, and reads it
   * from now on only through get and listByUser, so a store may keep it in another form (the
   * in-memory store packs it) and hand out copies of it.
   */
  settled?(record: RunRecord): void;
  /** One user's records, oldest first; costs what that user has. */
  listByUser(userId: UserId): RunRecord[];
  /** Records held. */
  readonly size: number;
}

/**
 * The default store: records by id, plus each user's records in a list, oldest first. A user's
 * records leave in about the order they came (retention evicts the oldest), so a removal is
 * mostly a shift; a Map per user used that way rebuilt its table every few runs (about 80 bytes
 * of each run's garbage). A live run's record is the tracker's own object; once its run settled
 * it is packed (PackedRuns), and in both indexes its slot number stands for it: get and
 * listByUser rebuild it as a new object.
 */
export class InMemoryRunStore implements RunStore {
  /** A live run's record, or the slot of a settled one in `packed`. */
  private readonly runs = new Map<string, RunRecord | number>();
  private readonly byUser = new Map<UserId, (RunRecord | number)[]>();
  private readonly packed = new PackedRuns();

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
    return this.recordOf(this.runs.get(runId));
  }

  update(_record: RunRecord): void {
    // A live run's record is the tracker's own object: nothing to write.
  }

  settled(record: RunRecord): void {
    // Only the record this store holds for the id, and only once.
    if (this.runs.get(record.runId) !== record) return;
    const slot = this.packed.pack(record);
    if (slot < 0) return; // kept as the object it is
    this.runs.set(record.runId, slot);
    const mine = this.byUser.get(record.userId);
    // A settling run is among its user's newest: looked for from the end.
    const index = mine === undefined ? -1 : mine.lastIndexOf(record);
    if (index >= 0) (mine as (RunRecord | number)[])[index] = slot;
  }

  delete(runId: string): void {
    const held = this.runs.get(runId);
    if (held === undefined) return;
    this.runs.delete(runId);
    const userId = typeof held === 'number' ? this.packed.userIdOf(held) : held.userId;
    if (typeof held === 'number') this.packed.release(held);
    const mine = this.byUser.get(userId);
    if (mine === undefined) return;
    const index = mine.indexOf(held);
    if (index === 0) mine.shift();
    else if (index > 0) {
      // in place: splice would make a list of what it removed
      mine.copyWithin(index, index + 1);
      mine.length -= 1;
    }
    if (mine.length === 0) this.byUser.delete(userId);
  }

  listByUser(userId: UserId): RunRecord[] {
    const mine = this.byUser.get(userId);
    if (mine === undefined) return [];
    const records = new Array<RunRecord>(mine.length);
    for (let i = 0; i < mine.length; i += 1) records[i] = this.recordOf(mine[i]) as RunRecord;
    return records;
  }

  /** Users with at least one record (the index never keeps empty entries). */
  get users(): number {
    return this.byUser.size;
  }

  /** Records packed (settled runs). */
  get packedRecords(): number {
    return this.packed.size;
  }

  private recordOf(held: RunRecord | number | undefined): RunRecord | undefined {
    return typeof held === 'number' ? this.packed.unpack(held) : held;
  }
}
