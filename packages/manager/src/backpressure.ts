import type { ConnectionTransport, StreamEntry } from '@agentwirejs/protocols';
import { WebSocket } from 'ws';
import { CompactedDelta, type Fold, foldOf } from './compaction';
import { type FrameRenderer, withFirstSeq } from './render';
import { type SharedTextFrame, writeSharedFrame } from './shared-frame';

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
  /** Folded into the frame queued last (a delta merged into the previous delta of its key, or a snapshot superseding the previous one). */
  Folded: 2,
  /** It neither fits in the queue nor folds: the connection must close with 1013. */
  Overflow: 3,
} as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

/** `ws`'s options for bytes that are a text frame (ws sends a Buffer as binary unless told). */
const TEXT_FRAME = Object.freeze({ binary: false });

/** A connection as the back-pressure code sees it. */
export interface BackpressureTarget {
  readonly transport: ConnectionTransport;
  /** Renders deltas folded in the queue when they are written. */
  readonly renderer: FrameRenderer;
  queue: SendQueue | null;
}

/** What a stream frame was rendered from: a folded frame needs it. */
export type FrameSource = StreamEntry | CompactedDelta;

/** One queued frame. */
interface QueueItem {
  /** The frame; null while `merged` holds it (rendered when written, so folding N deltas costs O(N), not O(N²)). */
  json: string | null;
  seq: number | null;
  bytes: number;
  /** How a later frame of the same key may fold into this one; null when none may. */
  fold: Fold | null;
  source: FrameSource | null;
  /** The deltas folded here (set by the first fold). */
  merged: CompactedDelta | null;
  /** The first position a superseding snapshot stands for; null when it superseded nothing. */
  firstSeq: number | null;
}

/**
 * Frames waiting for a backed-up socket, in order. Allocated only for a connection whose
 * socket is backed up.
 */
export class SendQueue {
  private items: (QueueItem | undefined)[] = [];
  private head = 0;
  frames = 0;
  bytes = 0;
  /** Frames folded into an earlier queued frame on this connection so far (no position is lost by a fold). */
  dropped = 0;

  get isEmpty(): boolean {
    return this.head >= this.items.length;
  }

  /** The frame queued last, if any. */
  tail(): QueueItem | undefined {
    return this.isEmpty ? undefined : this.items[this.items.length - 1];
  }

  push(item: QueueItem): void {
    this.items.push(item);
    this.frames += 1;
    this.bytes += item.bytes;
  }

  /** Removes the next frame and returns it, rendering folded deltas with `renderer`. */
  shift(renderer: FrameRenderer): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as QueueItem;
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.frames -= 1;
    this.bytes -= item.bytes;
    return item.json ?? renderer.merged(item.merged as CompactedDelta);
  }

  /** Drops every queued stream frame (a resume replays them); connection messages stay. */
  discardStreamItems(): void {
    const kept: QueueItem[] = [];
    for (let i = this.head; i < this.items.length; i += 1) {
      const item = this.items[i] as QueueItem;
      if (item.seq === null) kept.push(item);
    }
    this.items = kept;
    this.head = 0;
    this.frames = kept.length;
    this.bytes = kept.reduce((sum, item) => sum + item.bytes, 0);
  }
}

/** Bytes a delta adds to a folded frame (its JSON-escaped length). */
function deltaBytes(delta: string): number {
  return Buffer.byteLength(JSON.stringify(delta)) - 2;
}

function foldOfSource(source: FrameSource): Fold | null {
  return source instanceof CompactedDelta ? { kind: 'delta', key: source.key, delta: source.delta } : foldOf(source);
}

/**
 * Folds a stream frame into the frame queued last when that is allowed, or returns null:
 * - a delta (TEXT_MESSAGE_CONTENT, REASONING_MESSAGE_CONTENT, TOOL_CALL_ARGS) whose run and key
 *   are the last queued frame's, and whose position follows it, is merged into it: one frame
 *   with first_seq/seq as on a replay (compaction.ts) and the deltas concatenated;
 * - a replace-type event (STATE_SNAPSHOT, MESSAGES_SNAPSHOT, ACTIVITY_SNAPSHOT with replace) of
 *   the same run and key as the last queued frame, whose position follows it, supersedes it:
 *   the older one is dropped and the newer carries `first_seq` = the older one's first position.
 * Only the last queued frame, and only the position right before, may be folded: then nothing
 * lies between the folded positions, so a client's seq bookkeeping holds (every position up to
 * a received seq was received or folded into it), and no event that applies to the older
 * snapshot (a STATE_DELTA) is ever delivered without it.
 */
function foldIntoTail(queue: SendQueue, json: string, seq: number, fold: Fold, source: FrameSource, policy: BackpressurePolicy): WriteOutcome | null {
  const tail = queue.tail();
  if (tail === undefined || tail.fold === null || tail.seq === null || tail.fold.kind !== fold.kind || tail.fold.key !== fold.key) return null;
  const firstSeq = source instanceof CompactedDelta ? source.firstSeq : seq;
  if (tail.seq !== firstSeq - 1) return null;
  if (fold.kind === 'delta') {
    const added = deltaBytes(fold.delta);
    if (queue.bytes + added > policy.queueMaxBytes) return WriteOutcome.Overflow;
    let merged = tail.merged;
    if (merged === null) {
      const first = tail.source as FrameSource;
      merged = first instanceof CompactedDelta ? first : new CompactedDelta(first, fold.key, tail.fold.kind === 'delta' ? tail.fold.delta : '');
      tail.merged = merged;
    }
    if (source instanceof CompactedDelta) merged.appendCompacted(source);
    else merged.append(source, fold.delta);
    tail.json = null;
    tail.seq = seq;
    tail.bytes += added;
    queue.bytes += added;
    queue.dropped += 1;
    return WriteOutcome.Folded;
  }
  const first = tail.firstSeq ?? tail.seq;
  const rewritten = withFirstSeq(json, source.type, seq, first);
  if (rewritten === null) return null;
  const bytes = Buffer.byteLength(rewritten);
  if (queue.bytes - tail.bytes + bytes > policy.queueMaxBytes) return WriteOutcome.Overflow;
  queue.bytes += bytes - tail.bytes;
  tail.json = rewritten;
  tail.seq = seq;
  tail.bytes = bytes;
  tail.firstSeq = first;
  tail.source = source;
  queue.dropped += 1;
  return WriteOutcome.Folded;
}

/** The envelope a stream entry was stored as (StreamEntry.json), for a frame that is that envelope as it is. */
function storedText(source: FrameSource | null): string {
  if (source === null || source instanceof CompactedDelta) throw new TypeError('a frame given as its stored envelope needs the stream entry it is');
  return source.json;
}

/**
 * Writes one frame, or queues it when the socket is backed up. `source` is what a stream
 * frame was rendered from (null for connection messages); `utf8`, when given, is the frame
 * encoded (StreamEntry.jsonUtf8), written as it is to a `ws` socket that keeps up (a queued frame
 * stays a string: it may be folded). `frame` null: the frame is `source`'s stored envelope, whose
 * text is read only when the frame does not go out as `utf8` (the in-memory backplane decodes it
 * from the bytes only when asked). Queued stream frames fold when they
 * can (see foldIntoTail): text, reasoning and tool-argument deltas are never dropped, only
 * merged. A frame that neither folds nor fits within queueMax frames and queueMaxBytes bytes is
 * an Overflow: the caller closes the connection with 1013. Memory per slow connection is
 * therefore bounded by the queue's bounds plus what the socket itself holds (at most
 * highWaterBytes and one frame). Writing to a socket that keeps up costs nothing more than send.
 * `shared`, when given, is `frame` as a whole WebSocket frame made once for every connection
 * it goes to (a room entry): written as it is to a `ws` socket that keeps up, where it can be
 * (writeSharedFrame), else the frame is sent as without it.
 */
export function writeFrame(
  target: BackpressureTarget,
  frame: string | null,
  seq: number | null,
  source: FrameSource | null,
  policy: BackpressurePolicy,
  utf8: Uint8Array | null = null,
  shared: SharedTextFrame | null = null,
): WriteOutcome {
  let queue = target.queue;
  if (queue === null) {
    if (target.transport.bufferedAmount <= policy.highWaterBytes) {
      const transport = target.transport;
      // Only a `ws` socket takes bytes as a text frame; any other transport is sent strings, as
      // ConnectionTransport says (asked per frame rather than kept on every idle connection).
      if (transport instanceof WebSocket) {
        if (shared !== null && writeSharedFrame(transport, shared)) return WriteOutcome.Sent;
        if (utf8 !== null) {
          transport.send(utf8, TEXT_FRAME);
          return WriteOutcome.Sent;
        }
      }
      transport.send(frame ?? storedText(source));
      return WriteOutcome.Sent;
    }
    queue = target.queue = new SendQueue();
  }
  const json = frame ?? storedText(source);
  const fold = seq === null || source === null ? null : foldOfSource(source);
  if (fold !== null) {
    const folded = foldIntoTail(queue, json, seq as number, fold, source as FrameSource, policy);
    if (folded !== null) return folded;
  }
  const bytes = Buffer.byteLength(json);
  if (queue.frames >= policy.queueMax || queue.bytes + bytes > policy.queueMaxBytes) return WriteOutcome.Overflow;
  queue.push({ json, seq, bytes, fold, source: fold === null ? null : source, merged: null, firstSeq: null });
  return WriteOutcome.Queued;
}

/**
 * Writes queued frames while the socket is below the high-water mark. Returns the number of
 * frames written; the queue is released (target.queue = null) once empty. `beforeWrite` runs
 * before each frame is measured against the mark (the connection's write batch: it writes a
 * full batch out first, so the frames of this drain never count as the socket's backlog).
 */
export function drainQueue(target: BackpressureTarget, policy: BackpressurePolicy, beforeWrite: () => void = () => undefined): number {
  const queue = target.queue;
  if (queue === null) return 0;
  let written = 0;
  while (!queue.isEmpty) {
    beforeWrite();
    if (target.transport.bufferedAmount > policy.highWaterBytes) break;
    const json = queue.shift(target.renderer);
    if (json === undefined) break;
    target.transport.send(json);
    written += 1;
  }
  if (queue.isEmpty) target.queue = null;
  return written;
}
