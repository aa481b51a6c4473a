/** An entry of a DeadlineHeap: a value due at `at` (epoch ms). */
export interface Deadline<T> {
  readonly value: T;
  readonly at: number;
}

/** The handle push() returns; the heap itself works on slot numbers and never touches handles while sifting. */
class Entry<T> implements Deadline<T> {
  constructor(
    readonly value: T,
    public at: number,
    /** Where the entry's position is kept (positionOf); reused by a later entry once this one is out. */
    readonly slot: number,
  ) {}
}

const INITIAL_CAPACITY = 64;

/**
 * Children per node. A 4-ary heap is half as deep as a binary one (9 levels at 100,000 entries
 * instead of 17) and a node's children sit side by side in `keys`; each level a sift passes
 * writes one scattered `positionOf` entry, which is what a pop costs in a heap that size.
 */
const ARITY = 4;

function parentOf(position: number): number {
  return Math.floor((position - 1) / ARITY);
}

/**
 * A 4-ary min-heap of deadlines with in-place rescheduling and removal. Every live value has
 * exactly one entry, so the heap never grows with heartbeats, and popping what is due costs
 * O(k log n) for k due entries, whatever n is.
 *
 * The heap's order lives in typed arrays (deadline and insertion order by position, position by
 * slot, slot by position), not in one object per entry: a sift then reads and writes a few
 * contiguous arrays instead of an entry object scattered over the JS heap per level, which is
 * what a pop cost once the heap held 100,000 entries. Their capacity follows the largest size reached.
 */
export class DeadlineHeap<T> {
  /** Handles by slot; undefined for a free slot. */
  private readonly entries: (Entry<T> | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** By position: the deadline at 2p, the insertion order at 2p + 1 (equal deadlines come out first-in first-out). */
  private keys = new Float64Array(2 * INITIAL_CAPACITY);
  /** By position: the slot of the entry there. */
  private slotAt = new Int32Array(INITIAL_CAPACITY);
  /** By slot: the position of its entry. */
  private positionOf = new Int32Array(INITIAL_CAPACITY);
  private count = 0;
  private inserted = 0;

  /** Entries in the heap. */
  get size(): number {
    return this.count;
  }

  /** Adds a value due at `at`; keep the returned entry to reschedule or remove it. */
  push(value: T, at: number): Deadline<T> {
    const slot = this.freeSlots.pop() ?? this.newSlot();
    const entry = new Entry(value, at, slot);
    this.entries[slot] = entry;
    const position = this.count;
    this.count += 1;
    this.up(position, slot, at, this.inserted++);
    return entry;
  }

  /** The earliest entry, without removing it. */
  peek(): Deadline<T> | undefined {
    return this.count === 0 ? undefined : this.entries[this.slotAt[0] as number];
  }

  /** Removes and returns the earliest entry when it is due at `now`. */
  popDue(now: number): Deadline<T> | undefined {
    if (this.count === 0 || (this.keys[0] as number) > now) return undefined;
    const entry = this.entries[this.slotAt[0] as number];
    this.removeAt(0);
    return entry;
  }

  /** Moves an entry to a new deadline (earlier or later); false when it is no longer in the heap. */
  reschedule(entry: Deadline<T>, at: number): boolean {
    const own = this.own(entry);
    if (own === null) return false;
    own.at = at;
    const position = this.positionOf[own.slot] as number;
    const order = this.keys[2 * position + 1] as number;
    if (at < (this.keys[2 * position] as number)) this.up(position, own.slot, at, order);
    else this.down(position, own.slot, at, order);
    return true;
  }

  /** Takes an entry out; false when it was already out. */
  remove(entry: Deadline<T>): boolean {
    const own = this.own(entry);
    if (own === null) return false;
    this.removeAt(this.positionOf[own.slot] as number);
    return true;
  }

  private own(entry: Deadline<T>): Entry<T> | null {
    const slot = (entry as Partial<Entry<T>>).slot;
    return slot !== undefined && this.entries[slot] === entry ? (entry as Entry<T>) : null;
  }

  private newSlot(): number {
    const slot = this.entries.length;
    this.entries.push(undefined);
    if (slot >= this.slotAt.length) this.grow();
    return slot;
  }

  /** Doubles every array; slots and positions are both below entries.length, so one capacity serves both. */
  private grow(): void {
    const capacity = 2 * this.slotAt.length;
    const keys = new Float64Array(2 * capacity);
    keys.set(this.keys);
    this.keys = keys;
    const slotAt = new Int32Array(capacity);
    slotAt.set(this.slotAt);
    this.slotAt = slotAt;
    const positionOf = new Int32Array(capacity);
    positionOf.set(this.positionOf);
    this.positionOf = positionOf;
  }

  private removeAt(position: number): void {
    const slot = this.slotAt[position] as number;
    this.entries[slot] = undefined;
    this.freeSlots.push(slot);
    this.count -= 1;
    const last = this.count;
    if (position === last) return;
    // The last entry fills the hole, then moves up or down to where it belongs.
    const lastSlot = this.slotAt[last] as number;
    const at = this.keys[2 * last] as number;
    const order = this.keys[2 * last + 1] as number;
    if (position > 0 && this.before(at, order, parentOf(position))) this.up(position, lastSlot, at, order);
    else this.down(position, lastSlot, at, order);
  }

  /** True when (at, order) comes before the entry at `position`. */
  private before(at: number, order: number, position: number): boolean {
    const other = this.keys[2 * position] as number;
    return at < other || (at === other && order < (this.keys[2 * position + 1] as number));
  }

  /** Places (slot, at, order) at `position` or above it, moving the entries it passes down one level. */
  private up(position: number, slot: number, at: number, order: number): void {
    let hole = position;
    while (hole > 0) {
      const parent = parentOf(hole);
      if (!this.before(at, order, parent)) break;
      this.move(parent, hole);
      hole = parent;
    }
    this.place(hole, slot, at, order);
  }

  /** Places (slot, at, order) at `position` or below it, moving the entries it passes up one level. */
  private down(position: number, slot: number, at: number, order: number): void {
    const { count } = this;
    let hole = position;
    for (;;) {
      const first = ARITY * hole + 1;
      if (first >= count) break;
      // the earliest of the (up to ARITY) children
      let child = first;
      const end = Math.min(first + ARITY, count);
      for (let next = first + 1; next < end; next += 1) {
        if (this.before(this.keys[2 * next] as number, this.keys[2 * next + 1] as number, child)) child = next;
      }
      if (!this.childBefore(child, at, order)) break;
      this.move(child, hole);
      hole = child;
    }
    this.place(hole, slot, at, order);
  }

  /** True when the entry at `child` comes before (at, order). */
  private childBefore(child: number, at: number, order: number): boolean {
    const childAt = this.keys[2 * child] as number;
    return childAt < at || (childAt === at && (this.keys[2 * child + 1] as number) < order);
  }

  /** Moves the entry at `from` to `to`. */
  private move(from: number, to: number): void {
    const slot = this.slotAt[from] as number;
    this.slotAt[to] = slot;
    this.positionOf[slot] = to;
    this.keys[2 * to] = this.keys[2 * from] as number;
    this.keys[2 * to + 1] = this.keys[2 * from + 1] as number;
  }

  private place(position: number, slot: number, at: number, order: number): void {
    this.slotAt[position] = slot;
    this.positionOf[slot] = position;
    this.keys[2 * position] = at;
    this.keys[2 * position + 1] = order;
  }
}
