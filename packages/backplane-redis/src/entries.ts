import {
  EncodedStreamEntry,
  type EnvelopeParts,
  JsonCharCode,
  type OutboundMessage,
  type StreamEntry,
  type StreamGap,
  Utf8StreamEntry,
  decimalDigitCount,
  messageBody,
  roomEnvelopeParts,
  roomEnvelopeWriter,
  serializeEnvelope,
  userEnvelopeParts,
  writeDecimalDigits,
} from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';

/**
 * A StreamEntry as RedisBackplane delivers it. When `gap` is set, the entry is a gap notice,
 * not a message of the stream: it stands for positions fromSeq..toSeq that could not be
 * recovered, `seq` is toSeq (the position the listener has now reached), `message` is a
 * `replay_gap` with payload {from_seq, to_seq}, and `json` is that replay_gap envelope with
 * seq null, ready to write to the user's connections. A listener that writes `json` and
 * remembers `seq` as the position it reached (as the manager does) needs no special case.
 */
export interface RedisStreamEntry extends StreamEntry {
  readonly gap?: StreamGap;
}

/** True when the entry announces lost positions instead of carrying a message. */
export function isGapNotice(entry: StreamEntry): entry is RedisStreamEntry & { readonly gap: StreamGap } {
  return (entry as RedisStreamEntry).gap !== undefined;
}

/** Builds the gap notice for positions fromSeq..toSeq of a user's stream. */
export function gapNotice(userId: UserId, gap: StreamGap, now: number): RedisStreamEntry {
  const ts = new Date(now).toISOString();
  const message: OutboundMessage = { type: 'replay_gap', payload: { from_seq: gap.fromSeq, to_seq: gap.toSeq } };
  return { seq: gap.toSeq, userId, type: message.type, ts, message, json: serializeEnvelope(message, null, userId, ts), appendedAt: now, gap };
}

/**
 * Builds the gap notice for positions fromSeq..toSeq of a room's own stream: the room's
 * replay_gap frame (room_seq null). Its userId is the room stream's id (see RedisBackplane).
 */
export function roomGapNotice(room: string, gap: StreamGap, now: number): RedisStreamEntry {
  const ts = new Date(now).toISOString();
  const message: OutboundMessage = { type: 'replay_gap', payload: { from_seq: gap.fromSeq, to_seq: gap.toSeq } };
  return { seq: gap.toSeq, userId: room as UserId, type: message.type, ts, message, json: roomEnvelopeWriter(message, room)(null, ts), appendedAt: now, gap };
}

/**
 * One message serialized once (messageBody) and split around each recipient's position (a
 * user's seq, or a room frame's room_seq: userEnvelopeParts, roomEnvelopeParts), so the payload
 * is stringified once however many users and rooms get it, and the script that assigns the
 * position only concatenates: Redis splices it between head and tail.
 */
export class EnvelopeTemplate {
  private readonly body: string;

  constructor(
    readonly message: OutboundMessage,
    readonly ts: string,
  ) {
    this.body = messageBody(message);
  }

  forUser(userId: UserId): EnvelopeParts {
    return userEnvelopeParts(this.message, userId, this.ts, this.body);
  }

  /** The room's own stream's frame (roomEnvelopeWriter), split around its room_seq. */
  forRoom(room: string): EnvelopeParts {
    return roomEnvelopeParts(this.message, room, this.ts, this.body);
  }
}

/**
 * The StreamEntry of an envelope read from Redis (the history or a publication). Delivery needs
 * only seq, json and type, so the rest is decoded only if something asks for it.
 */
export function entryFromJson(userId: UserId, seq: number, appendedAt: number, json: string): StreamEntry {
  return new EncodedStreamEntry(seq, userId, json, appendedAt);
}

/**
 * Adds the entry of an envelope read from Redis to `entries`. Text that is not an envelope (only
 * another client writing on the prefix can put it there) is skipped rather than thrown into the
 * subscriber's message handler: its position reads as missing, and readers report it as a gap.
 */
function addEntry(entries: StreamEntry[], userId: UserId, seq: number, appendedAt: number, json: string): void {
  if (!Number.isSafeInteger(seq) || seq < 1) return; // no position to deliver it at
  try {
    entries.push(entryFromJson(userId, seq, appendedAt, json));
  } catch {
    // not an envelope: see above
  }
}

/**
 * The first character of a batch header (`@<first seq> <count>`, published right before the
 * batch's lines) and of a batch of the previous release (`@<first seq>` and its lines in one
 * text); the oldest release's publications start with a seq.
 */
const HEADER_MARK = '@';
/** The first character of a batch's lines (batchText). */
const LINES_MARK = '#';

/**
 * One append as a batch is written from it: its envelope's UTF-8 with `null` where its seq goes.
 * A user's own envelope is written straight into bytes (JsonUtf8Writer) with seq null, so the
 * batch is made of bytes with no text in between: through JSON.stringify and a text for the
 * batch, a producing gateway allocated 2.46 and 0.72 KB per event for this (sampling heap
 * profiler, the Redis benchmark's workload), most of it JSON.stringify's own garbage.
 */
export interface EncodedAppend {
  /** The envelope's UTF-8, with `null` (4 bytes) at `cut`. */
  readonly envelope: Buffer;
  /** Where the seq goes, in bytes. */
  readonly cut: number;
  /** Where the seq goes in the envelope's text, in UTF-16 units: what the batch's line says (batchText). */
  readonly cutUnits: number;
  readonly appendedAt: number;
}

/** `,"seq":null` in UTF-8: the first one in an envelope is the seq's (a JSON string escapes its quotes, so the type cannot hold it). */
const SEQ_NULL = Buffer.from(',"seq":null');
const NULL_BYTES = 'null'.length;
/** Bytes from 0x80 up belong to characters outside ASCII, which take fewer UTF-16 units than bytes. */
const FIRST_NON_ASCII = 0x80;

/**
 * The EncodedAppend of an envelope written as UTF-8 with seq null (userEnvelope's key order: type,
 * then seq). Throws TypeError for bytes that have no `,"seq":null` (only a caller outside the
 * types can make them).
 */
export function encodedAppend(envelope: Buffer, appendedAt: number): EncodedAppend {
  const at = envelope.indexOf(SEQ_NULL);
  if (at < 0) throw new TypeError('an envelope written with seq null has no ,"seq":null');
  const cut = at + SEQ_NULL.length - NULL_BYTES;
  let ascii = true;
  for (let i = 0; i < cut; i += 1) {
    if ((envelope[i] as number) >= FIRST_NON_ASCII) {
      ascii = false;
      break;
    }
  }
  const cutUnits = ascii ? cut : envelope.toString('utf8', 0, cut).length;
  return { envelope, cut, cutUnits, appendedAt };
}

/** The EncodedAppend of an envelope given as text around its seq (a template's parts: a room's, a room member's). */
export function appendOfParts({ head, tail }: EnvelopeParts, appendedAt: number): EncodedAppend {
  return { envelope: Buffer.from(`${head}null${tail}`), cut: Buffer.byteLength(head), cutUnits: head.length, appendedAt };
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const { Quote: QUOTE, Backslash: BACKSLASH, Digit0: DIGIT_0 } = JsonCharCode;
const DIGIT_9 = DIGIT_0 + 9;
/** How every envelope starts (its type first: envelopeType). */
const ENVELOPE_START = Buffer.from('{"type":"');

/**
 * One user's batch as the append script stores and publishes it, in UTF-8: `#`, then one line
 * per entry, `<appended at> <cut> <envelope without its seq>`, the seq going at `cut`. The script
 * stores and publishes this text as it was sent and never makes a new one from it: its first seq
 * goes in the stream entry's id (the batch's last seq: the first is the id less the lines, plus
 * one) and in a header published right before it on the same channel (`@<first seq> <count>`,
 * APPEND_SCRIPT). Making the text `@<first seq>` + lines in the script (a new Lua string the
 * size of the batch) cost Redis about a third of its CPU per event. The entries' seqs are first,
 * first + 1, … in line order. JSON never holds a raw newline, so lines split safely. `cut` is an
 * index into the envelope's text as a JavaScript string (UTF-16 code units, not UTF-8 bytes): a
 * head with a non-ASCII type or room name has more bytes than units, so a reader must decode a
 * line before cutting it (entriesOfBatchBytes does, for such a line).
 */
export function encodeBatch(appends: readonly EncodedAppend[]): Buffer {
  if (appends.length === 0) return Buffer.from(LINES_MARK);
  const lines = new BatchLines(0);
  for (const append of appends) lines.add(append);
  return lines.take(appends.length).text;
}

/** The first bytes a batch's lines get (BatchLines), unless the user's previous batch says more. */
const FIRST_BATCH_BYTES = 4 * 1024;

/** The lines BatchLines.take hands over: one batch's bytes (encodeBatch's), how many lines, and when its newest append was made. */
export interface TakenLines {
  readonly text: Buffer;
  readonly count: number;
  readonly appendedAt: number;
}

/**
 * One user's appends written as a batch's lines (encodeBatch's bytes) as they come, so an
 * append waiting for the user's batch out at Redis is held as its line, outside the heap, and the
 * batch is sent as it was written. Held as an object each (its envelope's view, its cut and time),
 * the appends waiting behind a round trip outlived young collections: in the Redis benchmark a
 * producing gateway had about 5,000 of them at any time (a heap snapshot mid-run: 5,034 envelope
 * views more than idle, 483 KB, each with its record), and its scavenges kept 2.10–2.16 MB each;
 * with the lines, 1.58–1.67 MB (--trace-gc-nvp; see the bench README, issue 19, 2026-12-07). The bytes
 * start with room for an eighth more than `firstBytes` (at least 4 KiB) and grow by half; the
 * lines taken keep the bytes they were written in, and the lines left after them move to new bytes.
 */
export class BatchLines {
  private bytes: Buffer | null = null;
  /** Bytes written: `#`, then the lines, a newline between two. */
  private length = 0;
  /** Where each line ends (exclusive), in order. */
  private ends: number[] = [];
  /** When each line's append was made (a list of numbers stores them unboxed). */
  private times: number[] = [];
  /**
   * The append times as text, made once per time (a batch's appends mostly share one): an epoch
   * in ms is past what a small integer holds, so writing its digits by arithmetic cost more.
   */
  private readonly timeText = new AppendTimes();

  /** @param firstBytes what the bytes are first made for (the user's previous batch's size, say) */
  constructor(private readonly firstBytes: number) {}

  /** Lines written and not taken. */
  get count(): number {
    return this.ends.length;
  }

  /**
   * Writes `append`'s line after the others. Throws RangeError (nothing written) when the lines
   * would pass what one buffer can hold.
   */
  add(append: EncodedAppend): void {
    const time = this.timeText.of(append.appendedAt);
    const lineBytes = time.length + 1 + decimalDigitCount(append.cutUnits) + 1 + append.envelope.length - NULL_BYTES;
    const at = this.length === 0 ? LINES_MARK.length : this.length + 1;
    const bytes = this.room(at + lineBytes);
    if (this.length === 0) bytes[0] = LINES_MARK.charCodeAt(0);
    else bytes[this.length] = NEWLINE;
    this.length = writeLine(bytes, at, append, time);
    this.ends.push(this.length);
    this.times.push(append.appendedAt);
  }

  /**
   * The first `max` lines (all of them when there are no more) as one batch: they leave; the
   * rest stay, moved to new bytes. Nothing is written to the bytes handed out afterwards.
   */
  take(max: number): TakenLines {
    const count = Math.min(max, this.ends.length);
    const bytes = this.bytes;
    if (bytes === null || count === 0) throw new RangeError('no lines to take');
    const end = this.ends[count - 1] as number;
    const taken: TakenLines = { text: bytes.subarray(0, end), count, appendedAt: this.times[count - 1] as number };
    const restEnds = this.ends.slice(count);
    const restTimes = this.times.slice(count);
    this.bytes = null;
    this.length = 0;
    this.ends = [];
    this.times = [];
    if (restEnds.length > 0) {
      // `#` then the lines after the taken ones' newline, at the same distance from each other.
      const shift = end + 1 - LINES_MARK.length;
      const rest = this.room(this.lengthOf(restEnds) - shift);
      rest[0] = LINES_MARK.charCodeAt(0);
      bytes.copy(rest, LINES_MARK.length, end + 1, this.lengthOf(restEnds));
      this.length = this.lengthOf(restEnds) - shift;
      this.ends = restEnds.map((lineEnd) => lineEnd - shift);
      this.times = restTimes;
    }
    return taken;
  }

  private lengthOf(ends: readonly number[]): number {
    return ends[ends.length - 1] as number;
  }

  /** Bytes with room for `size`, the lines written so far kept. */
  private room(size: number): Buffer {
    const bytes = this.bytes;
    if (bytes !== null && size <= bytes.length) return bytes;
    // An eighth more than the user's last batch (the next one is often as large), then by half again: what waits holds at most a third more than its lines.
    let capacity = bytes === null ? Math.max(FIRST_BATCH_BYTES, Math.ceil(this.firstBytes * 1.125)) : bytes.length;
    while (capacity < size) capacity = Math.ceil(capacity * 1.5);
    // Past what one buffer can hold, allocUnsafe throws RangeError before anything changed.
    const grown = Buffer.allocUnsafe(capacity);
    if (bytes !== null) bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
    return grown;
  }
}

/**
 * Writes `append`'s line (`<appended at> <cut> <envelope without its seq>`, `time` being its
 * appended at as text) at `start`, where the caller made room for it; returns where it ends.
 */
function writeLine(bytes: Buffer, start: number, append: EncodedAppend, time: string): number {
  const { envelope, cut, cutUnits } = append;
  // The envelope whole (a copy of part of it makes a view of that part, garbage per event), put
  // where its tail belongs: its head and `null` land on the 4 bytes before the line's envelope
  // (those of this line's prefix, at least `0 0 `, written next) and on where the head goes,
  // which is written over with the head. Nothing before `start` is touched.
  bytes.set(envelope, start + time.length + 1 + decimalDigitCount(cutUnits) + 1 - NULL_BYTES);
  let at = start;
  for (let c = 0; c < time.length; c += 1) bytes[at++] = time.charCodeAt(c); // ASCII: a number's text
  bytes[at++] = SPACE;
  at = writeDecimalDigits(bytes, at, cutUnits);
  bytes[at++] = SPACE;
  for (let c = 0; c < cut; c += 1) bytes[at++] = envelope[c] as number;
  return at + envelope.length - cut - NULL_BYTES;
}

/** One line of a batch given as text around its seq (tests, and readers of this format's examples). */
export interface BatchLine extends EnvelopeParts {
  readonly appendedAt: number;
}

/** The text of a batch of lines given as text around their seq (encodeBatch's bytes, decoded). */
export function batchText(lines: readonly BatchLine[]): string {
  return encodeBatch(lines.map((line) => appendOfParts(line, line.appendedAt))).toString('utf8');
}

/** A number's text (`${value}`), kept for the next one that is the same. */
class AppendTimes {
  private last = Number.NaN;
  private text = '';

  of(value: number): string {
    if (value !== this.last) {
      this.last = value;
      this.text = String(value);
    }
    return this.text;
  }
}

/**
 * The entries of a batch's lines in UTF-8 (encodeBatch's bytes: a publication, or this process's
 * own batch once Redis has given its first seq), the first at seq `first`; none for bytes that
 * are not a batch's. Each envelope gets its seq put back as bytes: no text is made (a `ws`
 * connection is sent the bytes, Utf8StreamEntry), where the text read cost a decoded copy of the
 * batch and a string per entry, encoded again for every connection. A malformed line is
 * skipped, its seq with it.
 */
export function entriesOfBatchBytes(userId: UserId, first: number, bytes: Buffer): Utf8StreamEntry[] {
  return bytes[0] === LINES_MARK.charCodeAt(0) && Number.isSafeInteger(first) && first >= 1 ? entriesFromLines(userId, first, bytes, LINES_MARK.length) : [];
}

/** What entriesFromLines reads off the start of a line; kept between lines so reading one makes nothing. */
class LineReader {
  /** The number read by readNumber, and where it ended. */
  value = 0;
  end = 0;
  /** The type read by readType, and where its text is in the bytes (the last one is reused when the next is the same). */
  type = '';
  private typeStart = -1;
  private typeEnd = -1;

  constructor(readonly bytes: Buffer) {}

  /** A number from `at` up to the next space before `limit`; false when there is none or it is not a number. */
  readNumber(at: number, limit: number, digitsOnly: boolean): boolean {
    const bytes = this.bytes;
    let value = 0;
    let plain = true;
    let end = at;
    for (; end < limit; end += 1) {
      const byte = bytes[end] as number;
      if (byte === SPACE) break;
      if (byte < DIGIT_0 || byte > DIGIT_9) plain = false;
      else value = value * 10 + (byte - DIGIT_0);
    }
    if (end === at || end === limit) return false;
    if (!plain) {
      // Not digits alone (an append time a caller's clock gave with a fraction): read as its text.
      if (digitsOnly) return false;
      value = Number(bytes.toString('latin1', at, end));
    }
    this.value = value;
    this.end = end;
    return true;
  }

  /**
   * The type of the envelope at `start` (its text begins `{"type":"`), its closing quote before
   * `limit` (its seq); false when it is not an envelope. Compared a byte at a time: a few bytes,
   * where a call to Buffer's native compare cost more.
   */
  readType(start: number, limit: number): boolean {
    const bytes = this.bytes;
    if (limit - start < ENVELOPE_START.length) return false;
    for (let i = 0; i < ENVELOPE_START.length; i += 1) if (bytes[start + i] !== ENVELOPE_START[i]) return false;
    const from = start + ENVELOPE_START.length;
    let escaped = false;
    let end = from;
    for (; end < limit; end += 1) {
      const byte = bytes[end] as number;
      if (byte === BACKSLASH) {
        escaped = true;
        end += 1;
      } else if (byte === QUOTE) break;
    }
    if (end >= limit) return false;
    if (escaped) this.type = JSON.parse(bytes.toString('utf8', from - 1, end + 1)) as string;
    else if (!this.sameAsLast(from, end)) this.type = bytes.toString('utf8', from, end);
    this.typeStart = from;
    this.typeEnd = end;
    return true;
  }

  /** Whether bytes[from, end) are the last type's bytes (a batch's entries mostly share a type). */
  private sameAsLast(from: number, end: number): boolean {
    const bytes = this.bytes;
    const last = this.typeStart;
    if (end - from !== this.typeEnd - last) return false;
    for (let i = 0; i < end - from; i += 1) if (bytes[from + i] !== bytes[last + i]) return false;
    return true;
  }
}

/**
 * Where the envelopes of one batch's entries are written: one buffer for the batch, each entry a
 * view of its part. An envelope is shorter than its line as a rule (its seq has fewer digits than
 * the line's `<appended at> <cut> `), so the size of the lines is room enough; an entry that does
 * not fit starts another buffer. A buffer of its own per entry came from Node's 8 KiB pool, a new
 * pool every dozen entries of the benchmark's 600 bytes: 1.7% of the producing gateway's CPU and
 * 3% of the other one's in the Redis benchmark's profiles (2026-12-07). The entries keep their
 * bytes only until they are delivered (Utf8StreamEntry.release); a socket that has not yet
 * written one of them keeps the batch's buffer, as it kept a pool before.
 */
class FrameBytes {
  private bytes: Buffer | null = null;
  private at = 0;

  /** @param expected the bytes the batch's envelopes are expected to take at most (its lines' size) */
  constructor(private readonly expected: number) {}

  take(size: number): Buffer {
    let bytes = this.bytes;
    if (bytes === null || this.at + size > bytes.length) {
      bytes = this.bytes = Buffer.allocUnsafe(bytes === null ? Math.max(size, this.expected) : Math.max(size, this.expected - this.at));
      this.at = 0;
    }
    const frame = bytes.subarray(this.at, this.at + size);
    this.at += size;
    return frame;
  }
}

/**
 * The entries of a batch's lines from `start` on, the first at seq `first`: what a batch's bytes
 * hold after its mark (entriesOfBatchBytes), or a batch of the previous release after its
 * `@<first seq>` line. A malformed line is skipped, its seq with it.
 */
function entriesFromLines(userId: UserId, first: number, bytes: Buffer, start: number): Utf8StreamEntry[] {
  const entries: Utf8StreamEntry[] = [];
  const reader = new LineReader(bytes);
  const frames = new FrameBytes(bytes.length - start);
  for (let seq = first, from = start; from <= bytes.length; seq += 1) {
    let end = bytes.indexOf(NEWLINE, from);
    if (end < 0) end = bytes.length;
    const entry = lineEntry(reader, frames, userId, seq, from, end);
    if (entry !== null) entries.push(entry);
    from = end + 1;
  }
  return entries;
}

/** The entry of one line, bytes[from, end), at `seq`; null when the line is malformed. */
function lineEntry(reader: LineReader, frames: FrameBytes, userId: UserId, seq: number, from: number, end: number): Utf8StreamEntry | null {
  if (!reader.readNumber(from, end, false)) return null;
  const appendedAt = reader.value;
  if (!reader.readNumber(reader.end + 1, end, true)) return null;
  const cutUnits = reader.value;
  const envelope = reader.end + 1;
  const bytes = reader.bytes;
  let cut = envelope + cutUnits;
  if (cut > end) return null;
  for (let at = envelope; at < cut; at += 1) {
    if ((bytes[at] as number) >= FIRST_NON_ASCII) {
      // A head with characters outside ASCII: `cut` counts UTF-16 units, so it is found in the decoded line.
      const text = bytes.toString('utf8', envelope, end);
      if (cutUnits > text.length) return null;
      cut = envelope + Buffer.byteLength(text.slice(0, cutUnits));
      if (cut > end) return null; // bytes that are not UTF-8 decode longer than they are
      break;
    }
  }
  if (!reader.readType(envelope, cut) || !Number.isSafeInteger(seq)) return null;
  const frame = frames.take(end - envelope + decimalDigitCount(seq));
  let at = 0;
  for (let c = envelope; c < cut; c += 1) frame[at++] = bytes[c] as number;
  at = writeDecimalDigits(frame, at, seq);
  bytes.copy(frame, at, cut, end);
  return new Utf8StreamEntry(seq, userId, reader.type, appendedAt, frame);
}

/**
 * The entries of a batch's text (batchText) whose first seq is `first`; none for text that is not
 * one. A malformed line is skipped, its seq with it. Read as its bytes (entriesOfBatchBytes); the
 * entries carry no bytes to hand out (read from history, they are not a delivery's).
 */
export function entriesOfBatch(userId: UserId, first: number, text: string): StreamEntry[] {
  return released(entriesOfBatchBytes(userId, first, Buffer.from(text)));
}

/** The entries of a batch of the previous release (`@<first seq>` and its lines in one text); a malformed line is skipped, its seq with it. */
function entriesFromBatch(userId: UserId, text: string): StreamEntry[] {
  const end = text.indexOf('\n');
  const first = Number(text.slice(HEADER_MARK.length, end < 0 ? text.length : end));
  if (!Number.isSafeInteger(first) || first < 1 || end < 0) return [];
  const bytes = Buffer.from(text);
  return released(entriesFromLines(userId, first, bytes, bytes.indexOf(NEWLINE) + 1));
}

function released(entries: Utf8StreamEntry[]): Utf8StreamEntry[] {
  for (const entry of entries) entry.release();
  return entries;
}

/** A batch header: the first seq and the number of entries of the batch whose lines (batchText) follow it on its channel. */
export interface BatchHeader {
  readonly first: number;
  readonly count: number;
}

/** What one publication on a user's (or a room's) channel is. */
export type Publication =
  | { readonly kind: 'header'; readonly header: BatchHeader }
  /** A batch's text (batchText): its seqs are the header's that came before it. */
  | { readonly kind: 'lines' }
  /** What an earlier release publishes: read whole (parsePublication). */
  | { readonly kind: 'earlier' };

/** True when a publication (as text or bytes) is a batch's lines (batchText): told from its first character alone. */
function isBatchLines(payload: string | Uint8Array): boolean {
  return typeof payload === 'string' ? payload.startsWith(LINES_MARK) : payload[0] === LINES_MARK.charCodeAt(0);
}

/** Tells a publication's kind from its start (a header is `@<first seq> <count>`: one line, two positive whole numbers). */
export function publicationKind(publication: string | Buffer): Publication {
  if (isBatchLines(publication)) return LINES;
  const payload = publication.toString();
  if (!payload.startsWith(HEADER_MARK) || payload.includes('\n')) return EARLIER;
  const space = payload.indexOf(' ');
  const first = Number(payload.slice(HEADER_MARK.length, space));
  const count = Number(payload.slice(space + 1));
  if (space < 0 || !Number.isSafeInteger(first) || first < 1 || !Number.isSafeInteger(count) || count < 1) return EARLIER;
  return { kind: 'header', header: { first, count } };
}

const LINES: Publication = { kind: 'lines' };
const EARLIER: Publication = { kind: 'earlier' };

/** The header the append script publishes before a batch's lines. */
export function batchHeader({ first, count }: BatchHeader): string {
  return `${HEADER_MARK}${first} ${count}`;
}

/**
 * True when `payload` is a batch of the previous release (`@<first seq>` and its lines) whose
 * entries all have seqs up to `seq`: told from its first seq and its number of lines, without
 * reading them. False for anything else (the oldest release's publication is read). A process
 * that delivered its own appends from Redis's reply passes over their publication this way.
 */
export function batchEndsBy(payload: string, seq: number): boolean {
  if (!payload.startsWith(HEADER_MARK)) return false;
  let end = payload.indexOf('\n');
  const first = Number(payload.slice(HEADER_MARK.length, end < 0 ? payload.length : end));
  if (!Number.isSafeInteger(first) || first < 1 || first > seq) return false;
  let last = first - 1;
  for (; end >= 0 && last <= seq; end = payload.indexOf('\n', end + 1)) last += 1;
  return last <= seq;
}

/**
 * The entries of a publication of an earlier release: a batch's text with its `@<first seq>`
 * line (the previous release), or the lines `<seq> <appendedAt> <json>` (the one before).
 */
export function parsePublication(userId: UserId, payload: string): StreamEntry[] {
  if (payload.startsWith(HEADER_MARK)) return entriesFromBatch(userId, payload);
  const entries: StreamEntry[] = [];
  for (const line of payload.split('\n')) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (first <= 0 || second <= first) continue;
    addEntry(entries, userId, Number(line.slice(0, first)), Number(line.slice(first + 1, second)), line.slice(second + 1));
  }
  return entries;
}

/**
 * A stream entry as XRANGE returns it: [`<last seq>-0`, ['t', appendedAt, 'l', batch text]];
 * the previous release stored [`<last seq>-0`, ['t', appendedAt, 'b', `@<first seq>` and its
 * lines]], the one before [`<seq>-0`, ['t', appendedAt, 'j', json]].
 */
export type RawLogEntry = [id: string, fields: string[]];

/** Rebuilds StreamEntries from XRANGE output, in seq order. */
export function entriesFromLog(userId: UserId, raw: readonly RawLogEntry[]): StreamEntry[] {
  const entries: StreamEntry[] = [];
  for (const [id, fields] of raw) {
    const seq = Number(id.slice(0, id.indexOf('-')));
    const lines = fieldOf(fields, 'l');
    if (lines !== undefined) {
      // Its id is its last seq; each line has a seq (a malformed one too).
      let count = 1;
      for (let at = lines.indexOf('\n'); at >= 0; at = lines.indexOf('\n', at + 1)) count += 1;
      for (const entry of entriesOfBatch(userId, seq - count + 1, lines)) entries.push(entry);
      continue;
    }
    const batch = fieldOf(fields, 'b');
    if (batch !== undefined) {
      for (const entry of entriesFromBatch(userId, batch)) entries.push(entry);
      continue;
    }
    addEntry(entries, userId, seq, Number(fieldOf(fields, 't')), fieldOf(fields, 'j') ?? 'null');
  }
  return entries;
}

/** A field's value in XRANGE's [name, value, name, value, …]. */
function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
