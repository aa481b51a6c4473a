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
 * What an entry known by its envelope has in common: `message` and `ts` are parsed from the
 * envelope's JSON only when something asks for them (delivery needs only seq, json and type).
 */
abstract class EnvelopeEntry implements StreamEntry {
  abstract readonly type: string;
  abstract readonly json: string;
  private decoded: DecodedEnvelope | null = null;

  constructor(
    readonly seq: number,
    readonly userId: UserId,
    readonly appendedAt: number,
  ) {}

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

/**
 * A stream entry known by its envelope JSON (read back from history or from another process);
 * `type` is read from the envelope's start.
 */
export class EncodedStreamEntry extends EnvelopeEntry {
  readonly type: string;

  /** Throws SyntaxError when `json` is not an envelope (its type is read here, so bad data fails where it is read). */
  constructor(
    seq: number,
    userId: UserId,
    readonly json: string,
    appendedAt: number,
  ) {
    super(seq, userId, appendedAt);
    this.type = envelopeType(json);
  }
}

/**
 * A stream entry known by its envelope's UTF-8, handed to the listeners with those bytes
 * (jsonUtf8): a `ws` connection is sent them, so on the hot path no text is made. Its text is
 * decoded only when something reads it, unless the backplane made it anyway (`text`). Once the
 * delivery is over (release) jsonUtf8 is gone, as StreamEntry says, and the bytes are kept only
 * while the text has not been made: a listener that holds an entry reads its text during the
 * delivery (a connection replaying does), so what it holds is the text, not bytes that may be a
 * slice of a larger pool. Both backplanes' own entries are these (the in-memory one knows their
 * message and ts as well).
 */
export class Utf8StreamEntry extends EnvelopeEntry {
  jsonUtf8: Buffer | undefined;
  private bytes: Buffer | null;
  private text: string | null;

  constructor(
    seq: number,
    userId: UserId,
    readonly type: string,
    appendedAt: number,
    bytes: Buffer,
    text: string | null = null,
  ) {
    super(seq, userId, appendedAt);
    this.bytes = bytes;
    this.jsonUtf8 = bytes;
    this.text = text;
  }

  get json(): string {
    if (this.text === null) {
      this.text = (this.bytes as Buffer).toString('utf8');
      if (this.jsonUtf8 === undefined) this.bytes = null;
    }
    return this.text;
  }

  /** The delivery is over: the bytes are no longer handed out, and no longer kept once the text exists. */
  release(): void {
    this.jsonUtf8 = undefined;
    if (this.text !== null) this.bytes = null;
  }
}
