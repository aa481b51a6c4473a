const NONE: readonly string[] = Object.freeze([]);

/**
 * Finished runs kept for reading, bounded by age and count. Runs arrive in the order they
 * finished, so the oldest is always first in the (insertion-ordered) map: eviction costs what
 * it evicts.
 */
export class Retention {
  private readonly finishedAt = new Map<string, number>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxCount: number,
  ) {}

  /** Finished runs kept. */
  get size(): number {
    return this.finishedAt.size;
  }

  /** Keeps a finished run; returns the ids pushed out by the count bound. */
  add(runId: string, finishedAt: number): readonly string[] {
    this.finishedAt.set(runId, finishedAt);
    // Every settling run comes here: below the bound, no list and no iterator.
    if (this.finishedAt.size <= this.maxCount) return NONE;
    const evicted: string[] = [];
    for (const id of this.finishedAt.keys()) {
      if (this.finishedAt.size <= this.maxCount) break;
      this.finishedAt.delete(id);
      evicted.push(id);
    }
    return evicted;
  }

  /** Returns (and forgets) the runs finished at least maxAgeMs before `now`. */
  expire(now: number): string[] {
    const evicted: string[] = [];
    for (const [id, at] of this.finishedAt) {
      if (now - at < this.maxAgeMs) break;
      this.finishedAt.delete(id);
      evicted.push(id);
    }
    return evicted;
  }

  /** Forgets one run (its record was deleted another way). */
  delete(runId: string): void {
    this.finishedAt.delete(runId);
  }
}
