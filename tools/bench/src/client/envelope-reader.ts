import type { SlimEnvelope } from '../verify';

/**
 * The fields the load generator checks, read from an envelope's JSON text. Every server under
 * test writes the envelope keys in agentwire's order, `{"type", "seq", "room"?, "room_seq"?,
 * "ts", "user_id"?, "thread_id"?, "run_id"?, "payload"}` (serializeEnvelope and
 * roomEnvelopeWriter; the baselines copy it), so the header
 * is scanned in that order and only the first keys of the payload (n, t) are read: the load
 * generator stays much lighter than the servers it measures. Text in any other shape is parsed
 * with JSON.parse, so nothing is accepted that a full parse would read differently.
 */
export type EnvelopeHeader = SlimEnvelope;

const OPTIONAL_IDS = ['user_id', 'thread_id', 'run_id'] as const;

/**
 * Copies of the strings a connection's headers keep (type, room, user_id, thread_id, run_id),
 * one per distinct text. A string V8 slices from a frame's text is a view that keeps the whole
 * frame alive (13 characters and longer), so the headers the load generator holds until it
 * verifies a run kept every frame they came from: measured, about 600 bytes a frame, 2.6 MB
 * promoted per young collection at 5,000 frames a second, and collections of 4 to 9 ms that
 * delayed the receive time of every frame arriving meanwhile (a latency figure's tail). A text
 * seen again (an envelope type, the user, a run's id on each of its events) costs one lookup.
 * Bounded: it starts afresh once it holds `limit` strings.
 */
export class HeldStrings {
  private readonly copies = new Map<string, string>();

  constructor(private readonly limit = 1_000) {}

  /** Distinct texts held. */
  get size(): number {
    return this.copies.size;
  }

  /** `text`, as a string of its own (not a view of a frame). */
  keep(text: string): string {
    const known = this.copies.get(text);
    if (known !== undefined) return known;
    if (this.copies.size >= this.limit) this.copies.clear();
    const copy = Buffer.from(text, 'utf8').toString('utf8');
    this.copies.set(copy, copy);
    return copy;
  }
}

/** Keeps strings as they are (views of the frame): for a header that is not held. */
const AS_SLICED = { keep: (text: string): string => text };

/** Reads a JSON number starting at `at`; returns it and where it ends, or null. */
function numberAt(text: string, at: number): [number, number] | null {
  let end = at;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    // digits, minus, plus, dot, e, E
    if ((code >= 48 && code <= 57) || code === 45 || code === 43 || code === 46 || code === 101 || code === 69) end += 1;
    else break;
  }
  if (end === at) return null;
  const value = Number(text.slice(at, end));
  return Number.isFinite(value) ? [value, end] : null;
}

/** Reads a JSON string without escapes starting at the opening quote `at`; returns it and the index after the closing quote, or null. */
function plainStringAt(text: string, at: number): [string, number] | null {
  if (text.charCodeAt(at) !== 34) return null;
  const close = text.indexOf('"', at + 1);
  if (close < 0) return null;
  const value = text.slice(at + 1, close);
  return value.includes('\\') ? null : [value, close + 1];
}

function fromObject(value: unknown): EnvelopeHeader | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (typeof record['type'] !== 'string') return null;
  const payload = record['payload'] as Record<string, unknown> | undefined;
  const header: Record<string, unknown> = { type: record['type'], seq: typeof record['seq'] === 'number' ? record['seq'] : null };
  if (typeof record['room'] === 'string') {
    header['room'] = record['room'];
    header['room_seq'] = typeof record['room_seq'] === 'number' ? record['room_seq'] : null;
  }
  for (const key of OPTIONAL_IDS) if (typeof record[key] === 'string') header[key] = record[key];
  if (typeof payload?.['n'] === 'number') header['n'] = payload['n'];
  if (typeof payload?.['t'] === 'number') header['t'] = payload['t'];
  return header as unknown as EnvelopeHeader;
}

/**
 * The header of the envelope in `text` from index `from` up to `trailer` at its end (socket.io
 * packets close with `]`); null when it is not an envelope. Its strings go through `strings`
 * (a connection's HeldStrings, when the header is held).
 */
export function readEnvelope(text: string, from = 0, trailer = '', strings: Pick<HeldStrings, 'keep'> = AS_SLICED): EnvelopeHeader | null {
  const scanned = scan(text, from, trailer, strings);
  if (scanned !== null) return scanned;
  try {
    return fromObject(JSON.parse(text.slice(from, text.length - trailer.length)));
  } catch {
    return null;
  }
}

function scan(text: string, from: number, trailer: string, strings: Pick<HeldStrings, 'keep'>): EnvelopeHeader | null {
  if (!text.startsWith('{"type":', from)) return null;
  const type = plainStringAt(text, from + 8);
  if (type === null || !text.startsWith(',"seq":', type[1])) return null;
  let at = type[1] + 7;
  let seq: number | null = null;
  if (text.startsWith('null', at)) at += 4;
  else {
    const number = numberAt(text, at);
    if (number === null) return null;
    [seq, at] = number;
  }
  const header: { -readonly [K in keyof EnvelopeHeader]: EnvelopeHeader[K] } = { type: strings.keep(type[0]), seq };
  if (text.startsWith(',"room":', at)) {
    const room = plainStringAt(text, at + 8);
    if (room === null || !text.startsWith(',"room_seq":', room[1])) return null;
    header.room = strings.keep(room[0]);
    at = room[1] + 12;
    if (text.startsWith('null', at)) {
      header.room_seq = null;
      at += 4;
    } else {
      const roomSeq = numberAt(text, at);
      if (roomSeq === null) return null;
      [header.room_seq, at] = roomSeq;
    }
  }
  if (!text.startsWith(',"ts":', at)) return null;
  const ts = plainStringAt(text, at + 6);
  if (ts === null) return null;
  at = ts[1];
  for (const key of OPTIONAL_IDS) {
    const prefix = `,"${key}":`;
    if (!text.startsWith(prefix, at)) continue;
    const value = plainStringAt(text, at + prefix.length);
    if (value === null) return null;
    header[key] = strings.keep(value[0]);
    at = value[1];
  }
  if (!text.startsWith(',"payload":{', at)) return null;
  at += 12;
  if (text.startsWith('"n":', at)) {
    const n = numberAt(text, at + 4);
    if (n === null) return null;
    header.n = n[0];
    at = n[1];
    if (text.startsWith(',"t":', at)) {
      const t = numberAt(text, at + 5);
      if (t === null) return null;
      header.t = t[0];
    }
  }
  return text.endsWith(`}}${trailer}`) ? header : null;
}
