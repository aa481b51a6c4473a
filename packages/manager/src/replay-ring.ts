import type { UserId } from '@agentwirejs/types';
import { EncodedStreamEntry, type StreamEntry, type StreamGap } from '@agentwirejs/protocols';

export interface RingRead {
  readonly entries: StreamEntry[];
  /** Positions after `afterSeq` that were evicted, or null when nothing is missing. */
  readonly gap: StreamGap | null;
}

const INITIAL_SLOTS = 16;
const INITIAL_BYTES = 4096;
/** Per slot in `meta`: appendedAt, byte offset, byte length. */
const STRIDE = 3;
// Shared by every empty ring (never written: both have length 0).
const NO_SLOTS = new Float64Array(0);
const NO_BYTES = Buffer.alloc(0);

/**
 * A user's recent stream entries, bounded by count and age, kept as UTF-8 bytes outside the
 * JavaScript heap. Replay history is most of what a busy gateway holds, and held as strings and
 * message objects every entry would survive into the old generation and be copied and marked by
 * every collection; as bytes it costs the collector nothing. An entry is written once when
 * appended and decoded only when a replay reads it back (as an EncodedStreamEntry).
 *
 * Entries are contiguous in seq, so the entry after any position is found by arithmetic, not by
 * scanning. The byte buffer is circular: a new entry goes after the newest one, or at the start
 * when the end has no room; it doubles when neither has room. Nothing is allocated before the
 * first entry, slots double up to maxEvents, and an emptied ring (all entries aged out) gives
 * its memory back, so a quiet user costs a few dozen bytes.
 */
export class ReplayRing {
  private meta: Float64Array = NO_SLOTS;
  private bytes: Buffer = NO_BYTES;
  private head = 0;
  private size = 0;
  private headSeq = 0;
  /** Where the oldest entry's bytes start and where the next entry's would go. */
  private byteHead = 0;
  private byteTail = 0;
  private userId: UserId | null = null;

  constructor(
    private readonly maxEvents: number,
    private readonly maxAgeMs: number,
  ) {
    if (!Number.isInteger(maxEvents) || maxEvents < 0) throw new RangeError('maxEvents must be a whole number ≥ 0');
    if (!(maxAgeMs >= 0)) throw new RangeError('maxAgeMs must be ≥ 0');
  }

  /** Slots allocated now (0 before the first entry; grows to maxEvents as entries arrive). */
  get capacity(): number {
    return this.meta.length / STRIDE;
  }

  get length(): number {
    return this.size;
  }

  /** Bytes of the buffer that holds the kept entries' JSON. */
  get byteCapacity(): number {
    return this.bytes.length;
  }

  /** Seq of the oldest kept entry, or null when empty. */
  get firstSeq(): number | null {
    return this.size === 0 ? null : this.headSeq;
  }

  /** Appends the next entry of the ring's user; its seq must follow the last one's. */
  push(entry: StreamEntry): void {
    if (this.maxEvents === 0) return;
    if (this.userId !== null && entry.userId !== this.userId) throw new RangeError(`entry of user ${entry.userId} in the stream of ${this.userId}`);
    if (this.size > 0 && entry.seq !== this.headSeq + this.size) throw new RangeError(`seq ${entry.seq} does not follow ${this.headSeq + this.size - 1}`);
    this.userId = entry.userId;
    if (this.size === this.maxEvents) this.dropOldest();
    if (this.size === this.capacity) this.growSlots();
    const length = Buffer.byteLength(entry.json);
    const offset = this.reserve(length);
    this.bytes.write(entry.json, offset, length, 'utf8');
    this.byteTail = offset + length;
    if (this.size === 0) {
      this.headSeq = entry.seq;
      this.byteHead = offset;
    }
    const at = ((this.head + this.size) % this.capacity) * STRIDE;
    this.meta[at] = entry.appendedAt;
    this.meta[at + 1] = offset;
    this.meta[at + 2] = length;
    this.size += 1;
  }

  /** Drops entries older than maxAgeMs; returns how many. */
  evictExpired(now: number): number {
    let evicted = 0;
    while (this.size > 0 && now - (this.meta[this.head * STRIDE] as number) > this.maxAgeMs) {
      this.dropOldest();
      evicted += 1;
    }
    return evicted;
  }

  /** Entries after `afterSeq` up to `lastSeq` (the stream's newest position), plus what is missing. */
  readAfter(afterSeq: number, lastSeq: number, now: number): RingRead {
    this.evictExpired(now);
    if (afterSeq >= lastSeq) return { entries: [], gap: null };
    if (this.size === 0 || this.userId === null) return { entries: [], gap: { fromSeq: afterSeq + 1, toSeq: lastSeq } };
    const first = this.headSeq;
    const gap = afterSeq + 1 < first ? { fromSeq: afterSeq + 1, toSeq: first - 1 } : null;
    const entries: StreamEntry[] = [];
    for (let i = Math.max(afterSeq + 1, first) - first; i < this.size; i += 1) {
      const at = ((this.head + i) % this.capacity) * STRIDE;
      const offset = this.meta[at + 1] as number;
      const json = this.bytes.toString('utf8', offset, offset + (this.meta[at + 2] as number));
      entries.push(new EncodedStreamEntry(first + i, this.userId, json, this.meta[at] as number));
    }
    return { entries, gap };
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.capacity;
    this.size -= 1;
    this.headSeq += 1;
    if (this.size === 0) {
      // Nothing kept: give the memory back (a busy user's buffers are reallocated on the next entry).
      this.meta = NO_SLOTS;
      this.bytes = NO_BYTES;
      this.head = 0;
      this.byteHead = 0;
      this.byteTail = 0;
    } else {
      this.byteHead = this.meta[this.head * STRIDE + 1] as number;
    }
  }

  /** Where `length` bytes fit in the circular buffer: after the newest entry, else at the start; grows when neither has room. */
  private reserve(length: number): number {
    if (this.size === 0) {
      if (this.bytes.length < length) this.bytes = Buffer.allocUnsafeSlow(Math.max(INITIAL_BYTES, length));
      return 0;
    }
    if (this.byteHead < this.byteTail) {
      // One run, byteHead..byteTail: free space after it, and before it.
      if (this.bytes.length - this.byteTail >= length) return this.byteTail;
      if (this.byteHead >= length) return 0;
    } else if (this.byteHead - this.byteTail >= length) {
      // Wrapped: the free space is between the newest entry and the oldest.
      return this.byteTail;
    }
    return this.growBytes(length);
  }

  /**
   * Moves the kept entries, in order, to the start of a buffer at least twice as large with room
   * for `length` more. They lie in at most two runs (byteHead to the end of the newest entry that
   * precedes a wrap, then the start of the buffer to byteTail), so it copies at most two blocks,
   * not one per entry, and moves every offset by its run's shift.
   */
  private growBytes(length: number): number {
    const wrapped = this.byteTail <= this.byteHead;
    // the first run ends where the entries before the wrap end: the end of the last entry laid out from byteHead
    let firstEnd = this.byteHead;
    let used = 0;
    for (let i = 0; i < this.size; i += 1) {
      const at = ((this.head + i) % this.capacity) * STRIDE;
      const start = this.meta[at + 1] as number;
      const size = this.meta[at + 2] as number;
      used += size;
      if (start >= this.byteHead) firstEnd = Math.max(firstEnd, start + size);
    }
    const next = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, used + length));
    const firstLength = firstEnd - this.byteHead;
    this.bytes.copy(next, 0, this.byteHead, firstEnd);
    if (wrapped) this.bytes.copy(next, firstLength, 0, this.byteTail);
    for (let i = 0; i < this.size; i += 1) {
      const at = ((this.head + i) % this.capacity) * STRIDE + 1;
      const start = this.meta[at] as number;
      this.meta[at] = wrapped && start < this.byteHead ? firstLength + start : start - this.byteHead;
    }
    this.bytes = next;
    this.byteHead = 0;
    this.byteTail = used;
    return used;
  }

  /** Doubles the slots (up to maxEvents), laying the entries out from slot 0. */
  private growSlots(): void {
    const slots = Math.min(this.maxEvents, Math.max(INITIAL_SLOTS, this.capacity * 2));
    const next = new Float64Array(slots * STRIDE);
    for (let i = 0; i < this.size; i += 1) {
      const from = ((this.head + i) % this.capacity) * STRIDE;
      for (let field = 0; field < STRIDE; field += 1) next[i * STRIDE + field] = this.meta[from + field] as number;
    }
    this.meta = next;
    this.head = 0;
  }
}
