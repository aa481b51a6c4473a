import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { OutboundMessage } from './wire/server-messages';

/** Writes the envelope of one message for one recipient: `{type, seq, ts, user_id, thread_id?, run_id?, payload}`. */
export type EnvelopeWriter = (seq: number | null, userId: UserId, ts: string) => string;

/**
 * Serializes a message once and returns a writer that only splices in the per-recipient
 * header (seq, ts, user_id). A room or broadcast of one message to many users stringifies the
 * payload once, however many users receive it.
 */
export function envelopeWriter(message: OutboundMessage, body: string = messageBody(message)): EnvelopeWriter {
  const head = userEnvelopeHead(message);
  return (seq, userId, ts) => `${head}${seq === null ? 'null' : String(seq)}${userEnvelopeTail(userId, ts, body)}`;
}

/** An envelope split around its position: `${head}${position}${tail}` is the frame its writer writes at that position. */
export interface EnvelopeParts {
  readonly head: string;
  readonly tail: string;
}

function userEnvelopeHead(message: OutboundMessage): string {
  return `{"type":${JSON.stringify(message.type)},"seq":`;
}

function userEnvelopeTail(userId: UserId, ts: string, body: string): string {
  return `,"ts":"${ts}","user_id":${JSON.stringify(userId)}${body}`;
}

/**
 * The envelope envelopeWriter writes for `userId`, split around its seq, for a store that
 * assigns the seq itself (the Redis backplane's script splices it in): built from the writer's
 * own pieces, so the text is the writer's at every position without rendering and cutting it.
 */
export function userEnvelopeParts(message: OutboundMessage, userId: UserId, ts: string, body: string = messageBody(message)): EnvelopeParts {
  return { head: userEnvelopeHead(message), tail: userEnvelopeTail(userId, ts, body) };
}

/**
 * What follows an envelope's per-recipient header (seq, ts, user_id or room), serialized once:
 * `,"thread_id":…,"run_id":…,"payload":…}`. A room message hands it to both writers, so its
 * payload is stringified once for the room's stream and every member's.
 */
export function messageBody(message: OutboundMessage): string {
  let tail = '';
  if (message.thread_id !== undefined) tail += `,"thread_id":${JSON.stringify(message.thread_id)}`;
  if (message.run_id !== undefined) tail += `,"run_id":${JSON.stringify(message.run_id)}`;
  return `${tail},"payload":${JSON.stringify(message.payload)}}`;
}

/** Writes the frame of one room message at a room position (null: a notice about the room, such as its replay_gap). */
export type RoomEnvelopeWriter = (roomSeq: number | null, ts: string) => string;

/**
 * Serializes a message of a room's own stream once: `{type, seq: null, room, room_seq, ts,
 * thread_id?, run_id?, payload}`. The frame is the same for every member (it names no user and
 * takes no place in a user's stream: seq null), so it is built once per message and the same
 * string is written to every member's connections; `room_seq` is the room's position.
 */
export function roomEnvelopeWriter(message: OutboundMessage, room: string, body: string = messageBody(message)): RoomEnvelopeWriter {
  const head = roomEnvelopeHead(message, room);
  return (roomSeq, ts) => `${head}${roomSeq === null ? 'null' : String(roomSeq)}${roomEnvelopeTail(ts, body)}`;
}

function roomEnvelopeHead(message: OutboundMessage, room: string): string {
  return `{"type":${JSON.stringify(message.type)},"seq":null,"room":${JSON.stringify(room)},"room_seq":`;
}

function roomEnvelopeTail(ts: string, body: string): string {
  return `,"ts":"${ts}"${body}`;
}

/** The frame roomEnvelopeWriter writes, split around its room_seq (see userEnvelopeParts). */
export function roomEnvelopeParts(message: OutboundMessage, room: string, ts: string, body: string = messageBody(message)): EnvelopeParts {
  return { head: roomEnvelopeHead(message, room), tail: roomEnvelopeTail(ts, body) };
}

/**
 * Serializes one envelope for one recipient: the same text envelopeWriter writes, in one
 * JSON.stringify. A message that goes to one user (the hot path: every run event) is serialized
 * once either way; built in one call its text is one flat string, where the writer's pieces are
 * joined by concatenation and copied once more when the string is first encoded to UTF-8
 * (measured: the envelope pieces were the gateway's largest allocation per run).
 */
export function serializeEnvelope(message: OutboundMessage, seq: number | null, userId: UserId, ts: string): string {
  return JSON.stringify(userEnvelope(message, seq, userId, ts));
}

/**
 * The envelope of a message for one user as the object serializeEnvelope writes: a JSON writer
 * of bytes (the in-memory backplane's) writes the same text from it. Key order is the
 * envelope's; JSON leaves out thread_id and run_id when undefined, as envelopeWriter does.
 */
export function userEnvelope(message: OutboundMessage, seq: number | null, userId: UserId, ts: string): Readonly<Record<string, unknown>> {
  return { type: message.type, seq, ts, user_id: userId, thread_id: message.thread_id, run_id: message.run_id, payload: message.payload };
}

/** The character codes of JSON's structure, for code that reads or writes JSON a character or a byte at a time (ASCII: the same as UTF-8 bytes). */
export const JsonCharCode = {
  Quote: 0x22,
  Backslash: 0x5c,
  Comma: 0x2c,
  Colon: 0x3a,
  OpenBracket: 0x5b,
  CloseBracket: 0x5d,
  OpenBrace: 0x7b,
  CloseBrace: 0x7d,
  Digit0: 0x30,
} as const;

const TYPE_AT = '{"type":'.length;

/**
 * The `type` of an envelope envelopeWriter wrote, read from its start without parsing the rest
 * (the writer puts type first). Throws SyntaxError for JSON that does not start that way.
 */
export function envelopeType(json: string): string {
  if (!json.startsWith('{"type":"')) throw new SyntaxError('not an agentwire envelope: it does not start with {"type":"');
  let end = TYPE_AT + 1;
  let escaped = false;
  for (; end < json.length; end += 1) {
    const code = json.charCodeAt(end);
    if (code === JsonCharCode.Backslash) {
      escaped = true;
      end += 1;
    } else if (code === JsonCharCode.Quote) break;
  }
  if (end >= json.length) throw new SyntaxError('not an agentwire envelope: its type is not terminated');
  return escaped ? (JSON.parse(json.slice(TYPE_AT, end + 1)) as string) : json.slice(TYPE_AT + 1, end);
}

/** What an envelope carries besides its seq and user_id. */
export interface DecodedEnvelope {
  readonly ts: string;
  readonly message: OutboundMessage;
}

/** Parses an envelope back into its ts and the message that was sent (type, thread_id, run_id, payload). */
export function decodeEnvelope(json: string): DecodedEnvelope {
  const envelope = JSON.parse(json) as { type: string; ts: string; payload: Readonly<Record<string, unknown>>; thread_id?: ThreadId; run_id?: RunId };
  const message: { -readonly [K in keyof OutboundMessage]: OutboundMessage[K] } = { type: envelope.type, payload: envelope.payload };
  if (envelope.thread_id !== undefined) message.thread_id = envelope.thread_id;
  if (envelope.run_id !== undefined) message.run_id = envelope.run_id;
  return { ts: envelope.ts, message };
}
