/** An entry of a user's stream, as kept for replay. */
export interface SequencedEntry {
  readonly seq: number;
  /** Epoch ms it was appended; entries older than maxAgeMs are evicted. */
  readonly appendedAt: number;
}

export interface RingRead<T> {
  readonly entries: T[];
  /** Positions after `afterSeq` that were evicted, or null when nothing is missing. */
  readonly gap: { readonly fromSeq: number; readonly toSeq: number } | null;
}

const INITIAL_SLOTS = 16;

/**
 * A user's recent stream entries, bounded by count and age. Entries are contiguous in seq,
 * so the entry after any position is found by arithmetic, not by scanning. The ring starts
 * small and doubles up to maxEvents, so a quiet user costs a few hundred bytes, not maxEvents slots.
 */
export class ReplayRing<T extends SequencedEntry> {
  private slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxAgeMs: number,
  ) {
    if (!Number.isInteger(maxEvents) || maxEvents < 0) throw new RangeError('maxEvents must be a whole number ≥ 0');
    if (!(maxAgeMs >= 0)) throw new RangeError('maxAgeMs must be ≥ 0');
    this.slots = new Array<T | undefined>(Math.min(INITIAL_SLOTS, maxEvents));
  }

  /** Slots allocated now (grows to maxEvents as entries arrive). */
  get capacity(): number {
    return this.slots.length;
  }

  get length(): number {
    return this.size;
  }

  /** Seq of the oldest kept entry, or null when empty. */
  get firstSeq(): number | null {
    return this.size === 0 ? null : (this.slots[this.head] as T).seq;
  }

  /** Appends the next entry; its seq must follow the last one's. */
  push(entry: T): void {
    if (this.maxEvents === 0) return;
    if (this.size > 0) {
      const last = this.at(this.size - 1);
      if (entry.seq !== last.seq + 1) throw new RangeError(`seq ${entry.seq} does not follow ${last.seq}`);
    }
    if (this.size === this.slots.length && this.size < this.maxEvents) this.grow();
    if (this.size === this.maxEvents) {
      this.slots[this.head] = entry;
      this.head = (this.head + 1) % this.slots.length;
    } else {
      this.slots[(this.head + this.size) % this.slots.length] = entry;
      this.size += 1;
    }
  }

  /** Drops entries older than maxAgeMs; returns how many. */
  evictExpired(now: number): number {
    let evicted = 0;
    while (this.size > 0 && now - (this.slots[this.head] as T).appendedAt > this.maxAgeMs) {
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.slots.length;
      this.size -= 1;
      evicted += 1;
    }
    return evicted;
  }

  /** Entries after `afterSeq` up to `lastSeq` (the stream's newest position), plus what is missing. */
  readAfter(afterSeq: number, lastSeq: number, now: number): RingRead<T> {
    this.evictExpired(now);
    if (afterSeq >= lastSeq) return { entries: [], gap: null };
    const first = this.firstSeq;
    if (first === null) return { entries: [], gap: { fromSeq: afterSeq + 1, toSeq: lastSeq } };
    const gap = afterSeq + 1 < first ? { fromSeq: afterSeq + 1, toSeq: first - 1 } : null;
    const start = Math.max(afterSeq + 1, first) - first;
    const entries: T[] = [];
    for (let i = start; i < this.size; i += 1) entries.push(this.at(i));
    return { entries, gap };
  }

  /** The i-th kept entry, oldest first. */
  private at(i: number): T {
    return this.slots[(this.head + i) % this.slots.length] as T;
  }

  /** Doubles the slots (up to maxEvents), laying the entries out from index 0. */
  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.maxEvents, this.slots.length * 2));
    for (let i = 0; i < this.size; i += 1) next[i] = this.at(i);
    this.slots = next;
    this.head = 0;
  }
}
