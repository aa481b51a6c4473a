import type { ReplayGapRange } from '@agentwirejs/protocols';

/** Positions from_seq..to_seq of the user's stream that never reached this client: the wire's gap range (one definition, in protocols). */
export type SeqRange = Readonly<ReplayGapRange>;

/** Where a client stands in its user's stream: the last seq it holds and the epoch that seq counts in. */
export interface StreamPoint {
  readonly seq: number;
  /** Null when not known (a position saved by a client that did not keep it). */
  readonly epoch: string | null;
}

/** What a greeting (connection_established) meant for the position held. */
export type Greeting =
  /** The first connection, without a position to resume from: the client takes the stream's latest position. */
  | 'fresh'
  /** The same stream as before: what the client missed is replayed after its position. */
  | 'continued'
  /** The stream started over (a new epoch, or a latest position below the client's): the old position is dropped. */
  | 'started_over';

/** What to do with one envelope of the stream. */
export interface Verdict {
  /** False for a repeat (its seq is not above the position held): drop it. */
  readonly fresh: boolean;
  /** Positions skipped before it that no replay_gap announced: lost without notice. */
  readonly missed: SeqRange | null;
}

/**
 * The bookkeeping that makes a resumed stream exact (README, "Compaction, and how a client keeps
 * its position"): the position is the last `seq` received; an envelope whose seq is not above it
 * is a repeat; a compacted delta (`first_seq`..`seq`) stands for all of its positions, so its
 * `seq` becomes the position like any other's; a seq only counts within its epoch.
 */
export class ResumeCursor {
  private seqHeld: number;
  private epochHeld: string | null;
  private known: boolean;
  /** The last range a replay_gap announced, so the jump it causes is not reported a second time. */
  private announced: SeqRange | null = null;

  /** `start`: a position to resume from on the first connection (seq 0: everything the gateway kept); none: live from the first greeting. */
  constructor(start?: StreamPoint) {
    this.seqHeld = start?.seq ?? 0;
    this.epochHeld = start?.epoch ?? null;
    this.known = start !== undefined;
  }

  get point(): StreamPoint {
    return { seq: this.seqHeld, epoch: this.epochHeld };
  }

  /** The resume parameters for the next connection (`?after_seq=N&epoch=E`), or null for a live-only start. */
  resumeQuery(): { readonly after_seq: number; readonly epoch: string | null } | null {
    return this.known ? { after_seq: this.seqHeld, epoch: this.epochHeld } : null;
  }

  /**
   * Takes a connection's greeting. With another epoch than the one held, the gateway replays the
   * new stream from its start (the client asked with its epoch), so the position goes back to 0;
   * a latest position below the one held also means the stream started over (README, `epoch`).
   */
  greet(epoch: string, lastSeq: number): Greeting {
    let greeting: Greeting = 'continued';
    if (!this.known) {
      this.seqHeld = lastSeq;
      greeting = 'fresh';
    } else if (this.epochHeld !== null && epoch !== this.epochHeld) {
      this.seqHeld = 0;
      greeting = 'started_over';
    } else if (lastSeq < this.seqHeld) {
      this.seqHeld = lastSeq;
      greeting = 'started_over';
    }
    if (greeting === 'started_over') this.announced = null;
    this.epochHeld = epoch;
    this.known = true;
    return greeting;
  }

  /** A replay_gap said these positions cannot be delivered: the jump over them is expected. */
  announce(gap: SeqRange): void {
    this.announced = gap;
  }

  /** Takes the envelope at `seq` (a compacted one from `firstSeq`); see Verdict. */
  accept(seq: number, firstSeq: number = seq): Verdict {
    if (seq <= this.seqHeld) return { fresh: false, missed: null };
    let missed: SeqRange | null = null;
    if (firstSeq > this.seqHeld + 1) {
      const skipped = { from_seq: this.seqHeld + 1, to_seq: firstSeq - 1 };
      const covered = this.announced !== null && this.announced.from_seq <= skipped.from_seq && this.announced.to_seq >= skipped.to_seq;
      if (!covered) missed = skipped;
    }
    this.seqHeld = seq;
    return { fresh: true, missed };
  }
}
