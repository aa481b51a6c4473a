import {
  EncodedStreamEntry,
  type EnvelopeParts,
  type OutboundMessage,
  type StreamEntry,
  type StreamGap,
  messageBody,
  roomEnvelopeParts,
  roomEnvelopeWriter,
  serializeEnvelope,
  userEnvelopeParts,
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

/** What batchText needs of each append. */
export interface BatchLine extends EnvelopeParts {
  readonly appendedAt: number;
}

/**
 * One user's batch as the append script stores and publishes it: `#`, then one line per entry,
 * `<appended at> <cut> <envelope without its seq>`, the seq going at `cut`. The script stores
 * and publishes this text as it was sent and never makes a new one from it: its first seq goes
 * in the stream entry's id (the batch's last seq: the first is the id less the lines, plus one)
 * and in a header published right before it on the same channel (`@<first seq> <count>`,
 * APPEND_SCRIPT). Making the text `@<first seq>` + lines in the script (a new Lua string the
 * size of the batch) cost Redis about a third of its CPU per event. The entries' seqs are first,
 * first + 1, … in line order. JSON never holds a raw newline, so lines split safely. `cut` is an
 * index into the envelope's text as a JavaScript string (UTF-16 code units, not UTF-8 bytes): a
 * head with a non-ASCII room name has more bytes than units, so a reader must decode a line
 * before cutting it.
 */
export function batchText(appends: readonly BatchLine[]): string {
  let text = LINES_MARK;
  for (let i = 0; i < appends.length; i += 1) {
    const { appendedAt, head, tail } = appends[i] as BatchLine;
    text += `${i === 0 ? '' : '\n'}${appendedAt} ${head.length} ${head}${tail}`;
  }
  return text;
}

/** The entries of a batch's text (batchText) whose first seq is `first`; none for text that is not one. A malformed line is skipped, its seq with it. */
export function entriesOfBatch(userId: UserId, first: number, text: string): StreamEntry[] {
  return text.startsWith(LINES_MARK) && Number.isSafeInteger(first) && first >= 1 ? entriesFromLines(userId, first, text, LINES_MARK.length) : [];
}

/** The entries of a batch of the previous release (`@<first seq>` and its lines in one text); a malformed line is skipped, its seq with it. */
function entriesFromBatch(userId: UserId, text: string): StreamEntry[] {
  const end = text.indexOf('\n');
  const first = Number(text.slice(HEADER_MARK.length, end < 0 ? text.length : end));
  if (!Number.isSafeInteger(first) || first < 1 || end < 0) return [];
  return entriesFromLines(userId, first, text, end + 1);
}

/**
 * The entries of a batch's lines from `start` on, the first at seq `first`: what a batch's text
 * holds after its mark (entriesOfBatch: a publication, a stored batch, what this process sent,
 * read back once Redis has assigned the first seq), or a batch of the previous release after
 * its `@<first seq>` line. A malformed line is skipped, its seq with it.
 */
function entriesFromLines(userId: UserId, first: number, text: string, start = 0): StreamEntry[] {
  const entries: StreamEntry[] = [];
  for (let seq = first, from = start; ; seq += 1) {
    const end = text.indexOf('\n', from);
    const line = end < 0 ? text.slice(from) : text.slice(from, end);
    const gap = line.indexOf(' ');
    const gap2 = line.indexOf(' ', gap + 1);
    const cut = Number(line.slice(gap + 1, gap2));
    const envelope = gap2 + 1;
    if (gap > 0 && gap2 > gap && Number.isSafeInteger(cut) && cut >= 0 && envelope + cut <= line.length) {
      const json = `${line.slice(envelope, envelope + cut)}${seq}${line.slice(envelope + cut)}`;
      addEntry(entries, userId, seq, Number(line.slice(0, gap)), json);
    }
    if (end < 0) return entries;
    from = end + 1;
  }
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

/** Tells a publication's kind from its start (a header is `@<first seq> <count>`: one line, two positive whole numbers). */
export function publicationKind(payload: string): Publication {
  if (payload.startsWith(LINES_MARK)) return LINES;
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
