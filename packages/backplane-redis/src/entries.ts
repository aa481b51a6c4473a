import { EncodedStreamEntry, type EnvelopeWriter, type OutboundMessage, type StreamEntry, type StreamGap, envelopeWriter, serializeEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { BackplaneStoreError } from './errors';

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

/** An envelope serialized up to its seq: Redis splices the seq it assigns between head and tail. */
export interface EnvelopeParts {
  readonly head: string;
  readonly tail: string;
}

const SEQ_MARK = '"seq":0';

/**
 * Serializes one message once (envelopeWriter) and cuts each recipient's envelope around the
 * seq, so the payload is stringified once however many users get it, and the script that
 * assigns the seq only concatenates. The cut is checked once against the writer itself.
 */
export class EnvelopeTemplate {
  private readonly write: EnvelopeWriter;
  private checked = false;

  constructor(
    readonly message: OutboundMessage,
    readonly ts: string,
  ) {
    this.write = envelopeWriter(message);
  }

  forUser(userId: UserId): EnvelopeParts {
    const json = this.write(0, userId, this.ts);
    const at = json.indexOf(SEQ_MARK);
    const parts = { head: json.slice(0, at + SEQ_MARK.length - 1), tail: json.slice(at + SEQ_MARK.length) };
    if (!this.checked) {
      if (at < 0 || `${parts.head}1${parts.tail}` !== this.write(1, userId, this.ts)) {
        throw new BackplaneStoreError('an envelope', new Error('the envelope writer does not render seq as "seq":<n>'));
      }
      this.checked = true;
    }
    return parts;
  }
}

/**
 * The StreamEntry of an envelope read from Redis (the history or a publication). Delivery needs
 * only seq, json and type, so the rest is decoded only if something asks for it.
 */
export function entryFromJson(userId: UserId, seq: number, appendedAt: number, json: string): StreamEntry {
  return new EncodedStreamEntry(seq, userId, json, appendedAt);
}

/** One published line: `<seq> <appendedAt> <json>` (JSON never holds a raw newline, so lines split safely). */
export function parsePublication(userId: UserId, payload: string): StreamEntry[] {
  const entries: StreamEntry[] = [];
  for (const line of payload.split('\n')) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (first <= 0 || second <= first) continue;
    entries.push(entryFromJson(userId, Number(line.slice(0, first)), Number(line.slice(first + 1, second)), line.slice(second + 1)));
  }
  return entries;
}

/** A stream entry as XRANGE returns it: [`<seq>-0`, ['t', appendedAt, 'j', json]]. */
export type RawLogEntry = [id: string, fields: string[]];

/** Rebuilds StreamEntries from XRANGE output. */
export function entriesFromLog(userId: UserId, raw: readonly RawLogEntry[]): StreamEntry[] {
  return raw.map(([id, fields]) => {
    const at = fields.indexOf('t');
    const json = fields.indexOf('j');
    return entryFromJson(userId, Number(id.slice(0, id.indexOf('-'))), Number(fields[at + 1]), fields[json + 1] ?? 'null');
  });
}
