import { type ConnectionTransport, DROPPABLE_MESSAGE_TYPES, type StreamGap } from '@agentwire/protocols';

/** Limits of the slow-consumer policy (from WebSocketManagerOptions). */
export interface BackpressurePolicy {
  /** Socket bufferedAmount above which frames are queued instead of written. */
  readonly highWaterBytes: number;
  /** Frames a connection may have queued. */
  readonly queueMax: number;
  /** Bytes a connection may have queued. */
  readonly queueMaxBytes: number;
}

/** What writeFrame did with one frame. */
export const WriteOutcome = {
  /** Handed to the socket. */
  Sent: 0,
  /** Queued behind a backed-up socket. */
  Queued: 1,
  /** Droppable and the queue was full: recorded as a gap instead. */
  Dropped: 2,
  /** Not droppable, the queue was full and held nothing droppable: the connection must close with 1013. */
  Overflow: 3,
} as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

/** A connection as the back-pressure code sees it. */
export interface BackpressureTarget {
  readonly transport: ConnectionTransport;
  queue: SendQueue | null;
}

/** One queued item: a frame (`json` set) or a gap notice (`json` null: positions seq..gapTo were dropped). */
interface QueueItem {
  json: string | null;
  seq: number | null;
  droppable: boolean;
  bytes: number;
  gapTo: number;
}

/**
 * Frames waiting for a backed-up socket, in order. Dropping a frame leaves a gap notice in its
 * place, so the client learns about the hole exactly where it is. Allocated only for a
 * connection whose socket is backed up.
 */
export class SendQueue {
  private items: (QueueItem | undefined)[] = [];
  private head = 0;
  /** Absolute index before which no droppable frame is queued (evictions go oldest first). */
  private dropScan = 0;
  /** Frames queued (gap notices not counted: at most one per frame plus one). */
  frames = 0;
  bytes = 0;
  /** Frames dropped on this connection so far. */
  dropped = 0;

  get isEmpty(): boolean {
    return this.head >= this.items.length;
  }

  push(json: string, seq: number | null, droppable: boolean, bytes: number): void {
    this.items.push({ json, seq, droppable, bytes, gapTo: 0 });
    this.frames += 1;
    this.bytes += bytes;
  }

  /** Records that stream position `seq` was dropped, at the tail (extends a gap notice that ends just before it). */
  markDropped(seq: number): void {
    const last = this.isEmpty ? undefined : this.items[this.items.length - 1];
    if (last !== undefined && last.json === null && last.gapTo === seq - 1) last.gapTo = seq;
    else this.items.push({ json: null, seq, droppable: false, bytes: 0, gapTo: seq });
    this.dropped += 1;
  }

  /** Turns the oldest queued droppable frame into a gap notice; false when none is queued. */
  evictOldestDroppable(): boolean {
    for (let i = Math.max(this.dropScan, this.head); i < this.items.length; i += 1) {
      const item = this.items[i] as QueueItem;
      if (item.json === null || !item.droppable) continue;
      this.frames -= 1;
      this.bytes -= item.bytes;
      this.dropped += 1;
      item.json = null;
      item.droppable = false;
      item.bytes = 0;
      item.gapTo = item.seq as number;
      this.dropScan = i + 1;
      return true;
    }
    this.dropScan = this.items.length;
    return false;
  }

  /** Removes the next item and returns its frame, or the gap it announces (adjacent contiguous gaps merged). */
  shift(): { readonly json: string } | ({ readonly json: null } & StreamGap) | undefined {
    const item = this.take();
    if (item === undefined) return undefined;
    if (item.json !== null) {
      this.frames -= 1;
      this.bytes -= item.bytes;
      return { json: item.json };
    }
    let toSeq = item.gapTo;
    for (let next = this.items[this.head]; next !== undefined && next.json === null && next.seq === toSeq + 1; next = this.items[this.head]) {
      toSeq = next.gapTo;
      this.take();
    }
    return { json: null, fromSeq: item.seq as number, toSeq };
  }

  /** Drops every queued stream frame and gap notice (a resume replays them); connection messages stay. */
  discardStreamItems(): void {
    const kept: QueueItem[] = [];
    for (let i = this.head; i < this.items.length; i += 1) {
      const item = this.items[i] as QueueItem;
      if (item.json !== null && item.seq === null) kept.push(item);
    }
    this.items = kept;
    this.head = 0;
    this.dropScan = 0;
    this.frames = kept.length;
    this.bytes = kept.reduce((sum, item) => sum + item.bytes, 0);
  }

  private take(): QueueItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.dropScan = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.dropScan = Math.max(0, this.dropScan - this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Writes one frame, or queues it when the socket is backed up. Past the queue's bounds the
 * slow-consumer policy applies: a droppable frame (agent_thinking) is dropped, a frame that
 * must not be dropped evicts the oldest queued droppable one, and when there is none the
 * caller must close the connection (Overflow). Memory per slow connection is therefore
 * bounded by queueMax frames and queueMaxBytes bytes, plus what the socket itself holds (at
 * most highWaterBytes and one frame).
 */
export function writeFrame(target: BackpressureTarget, json: string, seq: number | null, type: string, policy: BackpressurePolicy): WriteOutcome {
  let queue = target.queue;
  if (queue === null) {
    if (target.transport.bufferedAmount <= policy.highWaterBytes) {
      target.transport.send(json);
      return WriteOutcome.Sent;
    }
    queue = target.queue = new SendQueue();
  }
  const droppable = seq !== null && DROPPABLE_MESSAGE_TYPES.has(type);
  const bytes = Buffer.byteLength(json);
  while (queue.frames >= policy.queueMax || queue.bytes + bytes > policy.queueMaxBytes) {
    if (droppable) {
      queue.markDropped(seq);
      return WriteOutcome.Dropped;
    }
    if (!queue.evictOldestDroppable()) return WriteOutcome.Overflow;
  }
  queue.push(json, seq, droppable, bytes);
  return WriteOutcome.Queued;
}

/**
 * Writes queued frames while the socket is below the high-water mark; a gap notice becomes
 * the frame `gapFrame(from, to)` returns. Returns the number of frames written; the queue is
 * released (target.queue = null) once empty.
 */
export function drainQueue(target: BackpressureTarget, policy: BackpressurePolicy, gapFrame: (fromSeq: number, toSeq: number) => string): number {
  const queue = target.queue;
  if (queue === null) return 0;
  let written = 0;
  while (!queue.isEmpty && target.transport.bufferedAmount <= policy.highWaterBytes) {
    const next = queue.shift();
    if (next === undefined) break;
    target.transport.send(next.json ?? gapFrame(next.fromSeq, next.toSeq));
    written += 1;
  }
  if (queue.isEmpty) target.queue = null;
  return written;
}
