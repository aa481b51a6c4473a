/** The smallest ring a Retention keeps (a power of two, as every size it grows to). */
const MIN_SLOTS = 16;

/**
 * Finished runs kept for reading, bounded by age and count; `evict` is told of each run pushed
 * out. Runs arrive in the order they finished, so the oldest is always first: eviction costs
 * what it evicts. They are kept in a ring of ids and finishing times rather than a Map: every
 * settled run is added and, once the count bound is reached, another is evicted, and a Map used
 * as a queue allocates for it (its table is rebuilt as deleted entries pile up, and reaching its
 * oldest entry takes an iterator), where the ring allocates only to grow.
 */
export class Retention {
  private ids: (string | null)[] = new Array<string | null>(MIN_SLOTS).fill(null);
  private times = new Float64Array(MIN_SLOTS);
  /** Slot of the oldest run. */
  private head = 0;
  /** Slots in use from head on, those of runs deleted since (null) included. */
  private used = 0;
  /** Runs kept. */
  private kept = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxCount: number,
    private readonly evict: (runId: string) => void,
  ) {}

  /** Finished runs kept. */
  get size(): number {
    return this.kept;
  }

  /** Keeps a finished run; the oldest runs beyond the count bound are evicted. */
  add(runId: string, finishedAt: number): void {
    if (this.used === this.ids.length) this.grow();
    const slot = (this.head + this.used) & (this.ids.length - 1);
    this.ids[slot] = runId;
    this.times[slot] = finishedAt;
    this.used += 1;
    this.kept += 1;
    while (this.kept > this.maxCount) this.evictOldest();
  }

  /** Evicts the runs finished at least maxAgeMs before `now`; returns how many. */
  expire(now: number): number {
    let evicted = 0;
    while (this.kept > 0 && now - (this.times[this.head] as number) >= this.maxAgeMs) {
      this.evictOldest();
      evicted += 1;
    }
    return evicted;
  }

  /** Forgets these runs, where kept (their records were deleted another way); they are not evicted. One pass over the ring. */
  deleteAll(runIds: ReadonlySet<string>): void {
    if (runIds.size === 0) return;
    for (let index = 0; index < this.used; index += 1) {
      const slot = (this.head + index) & (this.ids.length - 1);
      const runId = this.ids[slot];
      if (runId === null || runId === undefined || !runIds.has(runId)) continue;
      this.ids[slot] = null;
      this.kept -= 1;
    }
    this.skipDeleted();
  }

  /** Evicts the oldest run kept. */
  private evictOldest(): void {
    const runId = this.ids[this.head] as string;
    this.free();
    this.kept -= 1;
    this.skipDeleted();
    this.evict(runId);
  }

  /** Frees the slots of deleted runs at the head, so that the head holds a run kept, or nothing is used. */
  private skipDeleted(): void {
    while (this.used > 0 && this.ids[this.head] === null) this.free();
  }

  private free(): void {
    this.ids[this.head] = null;
    this.head = (this.head + 1) & (this.ids.length - 1);
    this.used -= 1;
  }

  /** Copies the runs still kept, oldest first, into a ring with room for twice as many. */
  private grow(): void {
    let slots = MIN_SLOTS;
    while (slots < this.kept * 2) slots *= 2;
    const ids = new Array<string | null>(slots).fill(null);
    const times = new Float64Array(slots);
    let count = 0;
    for (let index = 0; index < this.used; index += 1) {
      const slot = (this.head + index) & (this.ids.length - 1);
      const runId = this.ids[slot];
      if (runId === null || runId === undefined) continue;
      ids[count] = runId;
      times[count] = this.times[slot] as number;
      count += 1;
    }
    this.ids = ids;
    this.times = times;
    this.head = 0;
    this.used = count;
  }
}
