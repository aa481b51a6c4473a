import type { UserId } from '@agentwirejs/types';
import { type DecodedEnvelope, decodeEnvelope, envelopeType } from './envelope';
import type { OutboundMessage } from './wire/server-messages';

/** Positions fromSeq..toSeq of a user's stream that cannot be delivered (evicted from history, or lost): the one gap type. */
export interface StreamGap {
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** One message of a user's stream, sequenced and serialized once by whoever appended it. */
export interface StreamEntry {
  readonly seq: number;
  readonly userId: UserId;
  /** The message's type (message.type), for consumers that route or drop by type without decoding. */
  readonly type: string;
  /** ISO time it was appended. */
  readonly ts: string;
  readonly message: OutboundMessage;
  /** The envelope as it goes on the wire. */
  readonly json: string;
  /**
   * `json` as UTF-8, when the backplane encoded it once for everyone (the in-memory backplane
   * does): its replay history keeps a copy and a `ws` socket is sent these bytes as a text
   * frame, so no connection encodes the envelope again. Set only while the backplane hands the
   * entry to its listeners (an entry kept after that does not keep the bytes); absent on entries
   * read back from history or from another process. Never to be changed.
   */
  readonly jsonUtf8?: Uint8Array;
  /** Epoch ms it was appended. */
  readonly appendedAt: number;
  /**
   * Set on a gap notice: positions fromSeq..toSeq could not be delivered (lost between
   * processes and no longer kept); `seq` is toSeq and `json` is the replay_gap envelope
   * (seq null). Listeners forward it like any entry, so the client learns what it missed.
   */
  readonly gap?: StreamGap;
}

/**
 * A stream entry known by its envelope JSON (read back from history or from another process):
 * delivery needs only seq, json and type, so `message` and `ts` are parsed from the JSON only
 * when something asks for them; `type` is read from the envelope's start.
 */
export class EncodedStreamEntry implements StreamEntry {
  readonly type: string;
  private decoded: DecodedEnvelope | null = null;

  /** Throws SyntaxError when `json` is not an envelope (its type is read here, so bad data fails where it is read). */
  constructor(
    readonly seq: number,
    readonly userId: UserId,
    readonly json: string,
    readonly appendedAt: number,
  ) {
    this.type = envelopeType(json);
  }

  get ts(): string {
    return this.decode().ts;
  }

  get message(): OutboundMessage {
    return this.decode().message;
  }

  /** A plain object with every field, so an entry prints and compares like one built by hand. */
  toJSON(): Omit<StreamEntry, 'gap'> {
    return { seq: this.seq, userId: this.userId, type: this.type, ts: this.ts, message: this.message, json: this.json, appendedAt: this.appendedAt };
  }

  private decode(): DecodedEnvelope {
    return (this.decoded ??= decodeEnvelope(this.json));
  }
}
