import type { UserId } from '@agentwirejs/types';
import { EncodedStreamEntry, type StreamEntry, type StreamGap } from '@agentwirejs/protocols';

export interface RingRead {
  readonly entries: StreamEntry[];
  /** Positions after `afterSeq` that were evicted, or null when nothing is missing. */
  readonly gap: StreamGap | null;
}

const INITIAL_SLOTS = 16;
/** A new chunk's size: the bytes kept, rounded up to a power of two, from this up to MAX_CHUNK_BYTES. */
const INITIAL_CHUNK_BYTES = 4096;
const MAX_CHUNK_BYTES = 64 * 1024;
/** Per slot in `meta`: appendedAt, chunk number, byte offset in that chunk, byte length. */
const STRIDE = 4;
// Shared by every empty ring (never written: both are empty).
const NO_SLOTS = new Float64Array(0);
const NO_CHUNKS: readonly Buffer[] = Object.freeze([]);

/**
 * A user's recent stream entries, bounded by count and age, kept as UTF-8 bytes outside the
 * JavaScript heap. Replay history is most of what a busy gateway holds, and held as strings and
 * message objects every entry would survive into the old generation and be copied and marked by
 * every collection; as bytes it costs the collector nothing. An entry is written once when
 * appended and decoded only when a replay reads it back (as an EncodedStreamEntry).
 *
 * Entries are contiguous in seq, so the entry after any position is found by arithmetic, not by
 * scanning. The bytes lie in chunks, written in order: an entry goes after the newest one, or
 * into a new chunk (about the size of what is kept, up to 64 KiB) when it does not fit. A chunk
 * is let go once its last entry is dropped, and the last one let go is kept for the next chunk,
 * so a steady stream stops allocating. Nothing is ever moved: a buffer that doubled by copying
 * would copy a busy user's whole history at once (measured: every user of a benchmark reached
 * the next doubling together, and the gateway copied for 35 ms within one second). Nothing is
 * allocated before the first entry, slots double up to maxEvents, and an emptied ring (all
 * entries aged out) gives its memory back, so a quiet user costs a few dozen bytes.
 */
export class ReplayRing {
  private meta: Float64Array = NO_SLOTS;
  private chunks: readonly Buffer[] = NO_CHUNKS;
  /** The number of chunks[0]; chunk numbers only grow, so a slot's chunk is chunks[number - firstChunk]. */
  private firstChunk = 0;
  /** Where the next entry would go in the newest chunk. */
  private tailOffset = 0;
  /** The last chunk let go, reused for the next one when it is large enough. */
  private spare: Buffer | null = null;
  /** Bytes of the kept entries. */
  private keptBytes = 0;
  private head = 0;
  private size = 0;
  private headSeq = 0;
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

  /** Bytes of the chunks that hold the kept entries' JSON (the spare one included). */
  get byteCapacity(): number {
    let bytes = this.spare?.length ?? 0;
    for (const chunk of this.chunks) bytes += chunk.length;
    return bytes;
  }

  /** Seq of the oldest kept entry, or null when empty. */
  get firstSeq(): number | null {
    return this.size === 0 ? null : this.headSeq;
  }

  /** Appends the next entry of the ring's user (copying its jsonUtf8 when it has them); its seq must follow the last one's. */
  push(entry: StreamEntry): void {
    if (this.maxEvents === 0) return;
    if (this.userId !== null && entry.userId !== this.userId) throw new RangeError(`entry of user ${entry.userId} in the stream of ${this.userId}`);
    if (this.size > 0 && entry.seq !== this.headSeq + this.size) throw new RangeError(`seq ${entry.seq} does not follow ${this.headSeq + this.size - 1}`);
    this.userId = entry.userId;
    if (this.size === this.maxEvents) this.dropOldest();
    if (this.size === this.capacity) this.growSlots();
    const utf8 = entry.jsonUtf8;
    const length = utf8 === undefined ? Buffer.byteLength(entry.json) : utf8.length;
    const chunk = this.reserve(length);
    const offset = this.tailOffset;
    if (utf8 === undefined) chunk.write(entry.json, offset, length, 'utf8');
    else chunk.set(utf8, offset);
    this.tailOffset = offset + length;
    if (this.size === 0) this.headSeq = entry.seq;
    const at = ((this.head + this.size) % this.capacity) * STRIDE;
    this.meta[at] = entry.appendedAt;
    this.meta[at + 1] = this.firstChunk + this.chunks.length - 1;
    this.meta[at + 2] = offset;
    this.meta[at + 3] = length;
    this.size += 1;
    this.keptBytes += length;
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
      const chunk = this.chunks[(this.meta[at + 1] as number) - this.firstChunk] as Buffer;
      const offset = this.meta[at + 2] as number;
      const json = chunk.toString('utf8', offset, offset + (this.meta[at + 3] as number));
      entries.push(new EncodedStreamEntry(first + i, this.userId, json, this.meta[at] as number));
    }
    return { entries, gap };
  }

  private dropOldest(): void {
    this.keptBytes -= this.meta[this.head * STRIDE + 3] as number;
    this.head = (this.head + 1) % this.capacity;
    this.size -= 1;
    this.headSeq += 1;
    if (this.size === 0) {
      // Nothing kept: give the memory back (a busy user's chunks are allocated again on the next entry).
      this.meta = NO_SLOTS;
      this.chunks = NO_CHUNKS;
      this.spare = null;
      this.head = 0;
      this.firstChunk = 0;
      this.tailOffset = 0;
      this.keptBytes = 0;
      return;
    }
    // Let go of the chunks before the oldest kept entry's.
    const firstKept = this.meta[this.head * STRIDE + 1] as number;
    if (firstKept === this.firstChunk) return;
    const chunks = this.chunks as Buffer[];
    while (this.firstChunk < firstKept) {
      this.spare = chunks.shift() ?? null;
      this.firstChunk += 1;
    }
  }

  /** The chunk `length` more bytes go into at tailOffset: the newest one, or a new one when they do not fit. */
  private reserve(length: number): Buffer {
    const newest = this.chunks[this.chunks.length - 1];
    if (newest !== undefined && newest.length - this.tailOffset >= length) return newest;
    // A power of two, so the spare chunk fits the next one while the kept bytes stay about the same.
    const wanted = Math.max(length, Math.min(MAX_CHUNK_BYTES, Math.max(INITIAL_CHUNK_BYTES, 2 ** Math.ceil(Math.log2(this.keptBytes + length)))));
    let chunk: Buffer;
    if (this.spare !== null && this.spare.length >= wanted) {
      chunk = this.spare;
      this.spare = null;
    } else {
      chunk = Buffer.allocUnsafeSlow(wanted);
    }
    if (this.chunks === NO_CHUNKS) this.chunks = [];
    (this.chunks as Buffer[]).push(chunk);
    this.tailOffset = 0;
    return chunk;
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
