import { randomBytes } from 'node:crypto';
import { type AppendFailures, type OutboundMessage, type StreamEntry, type Utf8StreamEntry, withAppendFailure } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { BatchLines, type EncodedAppend, entriesOfBatchBytes } from './entries';
import { BackplaneUnavailableError } from './errors';

/** One append waiting for its seq: its envelope's bytes with `null` where the seq goes, and when it was made. */
export type QueuedAppend = EncodedAppend;

/** Who waits for an append's outcome: its own caller (enqueue), or the batch it came in (enqueueBatch). */
interface AppendOutcome {
  /** Whether `stored` takes the append's entry (an append's own caller does; a batch's resolves with its failures alone). */
  readonly wantsEntry: boolean;
  stored(index: number, entry: StreamEntry | null): void;
  failed(index: number, error: unknown): void;
}

/** The outcome of one append: its own promise. */
class SingleOutcome implements AppendOutcome {
  readonly wantsEntry = true;

  constructor(
    private readonly resolve: (entry: StreamEntry) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  stored(_index: number, entry: StreamEntry | null): void {
    if (entry === null) this.reject(new BackplaneUnavailableError('Redis stored the append, but its entry could not be read back'));
    else this.resolve(entry);
  }

  failed(_index: number, error: unknown): void {
    this.reject(error);
  }
}

/**
 * The outcome of a batch of one user's appends: one promise, settled when the last of them is
 * stored or failed, with the failures by place (AppendFailures). Thousands of appends out at
 * Redis then hold one promise per batch, not one each with its two functions.
 */
class BatchOutcome implements AppendOutcome {
  readonly wantsEntry = false;
  private remaining: number;
  private failures: unknown[] | null = null;

  constructor(
    private readonly size: number,
    private readonly resolve: (failures: AppendFailures) => void,
  ) {
    this.remaining = size;
  }

  stored(): void {
    this.settledOne();
  }

  failed(index: number, error: unknown): void {
    // Settled already (rejectAll, then Redis's late answer): the caller has the failures as they were.
    if (this.remaining === 0) return;
    this.failures = withAppendFailure(this.failures, this.size, index, error);
    this.settledOne();
  }

  private settledOne(): void {
    if (this.remaining === 0) return;
    this.remaining -= 1;
    if (this.remaining === 0) this.resolve(this.failures);
  }
}

/**
 * Who waits for a user's appends, in order: each append's outcome and its place there (0 for an
 * append of its own), in two lists rather than an object each (see BatchLines).
 */
interface Outcomes {
  readonly outcomes: AppendOutcome[];
  readonly indexes: number[];
}

/**
 * One user's batch out at Redis: its appends' outcomes and the bytes sent. A producing gateway
 * has thousands of appends out (200 runs × 32 events in the Redis benchmark); holding each one's
 * envelope text and message until Redis answered kept them through young collections, which
 * promoted them (measured there: its scavenges promoted half as many bytes without them). The
 * bytes are outside the heap: a collection copies only their view.
 */
interface InFlight extends Outcomes {
  readonly text: Buffer;
}

interface UserQueue extends Outcomes {
  readonly userId: UserId;
  /** The lines of the appends waiting (their outcomes in `outcomes`), or null when none wait. */
  lines: BatchLines | null;
  /** The bytes of the user's last batch sent: the next one's lines start with room for a little more (BatchLines). */
  lastBytes: number;
  /** The batch out at Redis, if any. */
  inFlight: InFlight | null;
}

/** One user's batch within a call. */
export interface UserBatch {
  readonly userId: UserId;
  /** How many appends it holds. */
  readonly count: number;
  /** When its newest append was made. */
  readonly appendedAt: number;
  /** Its text (batchText) in UTF-8: what the script stores and publishes, right after a header `@<first seq> <count>`. */
  readonly text: Buffer;
}

/**
 * A batch Redis stored: its first seq and size; its entries are made from the bytes sent when
 * asked for (once). They carry their bytes (StreamEntry.jsonUtf8) until the queue has settled
 * the batch's appends, which is when the listeners, told first, have had them.
 */
export interface StoredBatch {
  readonly first: number;
  readonly count: number;
  entries(): readonly StreamEntry[];
}

/**
 * Sends one batch for each of several users in one call; resolves with the first seq Redis
 * assigned each, or the error that refused that user's batch alone, in order.
 */
export type SendBatches = (batchId: string, batches: readonly UserBatch[]) => Promise<readonly (number | Error)[]>;

/**
 * The local append buffer. Appends of one user go to Redis in call order, one batch at a time
 * (everything queued while the previous batch was out goes in the next one), so the seqs this
 * process gets for a user follow its calls, and at most one batch per user can be in doubt
 * when a connection drops (the script recognises it by its batch id when it is sent again).
 * A flush sends the batches of every user that has appends waiting and none out, up to
 * maxUsersPerCall of them per call: appends of many users made in the same tick (a room, many
 * runs at once) cost Redis one script call, not one each; and while maxBytesOut bytes are out at
 * Redis it sends no more, the users it left waiting going first once an answer comes back.
 * While Redis is unreachable appends wait here, bounded by maxBuffered, and go out in order on
 * reconnect; past the bound, appends fail at once with BackplaneUnavailableError. While Redis
 * answers, the bound does not refuse: what waits then is the callers' own backlog, which they
 * pace (a run of the tracker holds at most its events in flight here), and refusing it would
 * lose events of a busy process (400 runs with 32 events in flight each are 12,800 appends).
 */
export class AppendQueue {
  private readonly queues = new Map<UserId, UserQueue>();
  /** Batch ids are unique per queue instance, so a restarted process reusing its processId cannot match an old batch. */
  private readonly instance = randomBytes(6).toString('base64url');
  private nextBatch = 0;
  private buffered = 0;
  /** Bytes of the batches out at Redis (sent, not answered). */
  private bytesOut = 0;
  /** A flush left batches waiting because maxBytesOut was reached: the next answer flushes again. */
  private heldBack = false;
  private flushQueued = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly send: SendBatches,
    private readonly maxBuffered: number,
    private readonly maxBatch: number,
    private readonly maxUsersPerCall: number,
    /**
     * Bytes of batches out at Redis at most: past it a flush leaves the rest waiting until an
     * answer comes back (at least one batch always goes). What this process sends, Redis publishes
     * to every subscriber of those users, this process's own among them; sending no more than it
     * can read back in a turn of its event loop keeps its subscriber from falling behind.
     */
    private readonly maxBytesOut: number,
    /** Whether Redis answers now (both connections ready). */
    private readonly reachable: () => boolean,
    /**
     * Told once per batch Redis stored, before its appends resolve (their entries, where they
     * take one, are the batch's `entries()`): a throw fails that batch's appends alone.
     */
    private readonly stored: (userId: UserId, batch: StoredBatch) => void,
  ) {}

  /** Appends waiting for Redis or in flight. */
  get size(): number {
    return this.buffered;
  }

  /** Queues one append; resolves with its entry once Redis assigned the seq. Must be called synchronously in call order. */
  enqueue(userId: UserId, append: QueuedAppend): Promise<StreamEntry> {
    if (this.refuses(1)) return Promise.reject(this.unavailable());
    const queue = this.queueOf(userId);
    return new Promise<StreamEntry>((resolve, reject) => this.push(queue, append, new SingleOutcome(resolve, reject), 0));
  }

  /**
   * Queues an append for each of `messages`, in order, made by `prepare`; resolves once each is
   * stored or failed, with the failures by place (a message `prepare` throws for fails alone, at
   * once). Must be called synchronously in call order, like enqueue.
   */
  enqueueBatch(userId: UserId, messages: readonly OutboundMessage[], prepare: (message: OutboundMessage) => QueuedAppend): Promise<AppendFailures> {
    if (messages.length === 0) return Promise.resolve(null);
    if (this.refuses(messages.length)) return Promise.reject(this.unavailable());
    const queue = this.queueOf(userId);
    return new Promise<AppendFailures>((resolve) => {
      const outcome = new BatchOutcome(messages.length, resolve);
      messages.forEach((message, index) => {
        let append: QueuedAppend;
        try {
          append = prepare(message);
        } catch (error) {
          outcome.failed(index, error);
          return;
        }
        this.push(queue, append, outcome, index);
      });
      // Every message refused: the queue made for them holds nothing.
      if (queue.outcomes.length === 0 && queue.inFlight === null) this.queues.delete(userId);
    });
  }

  /** While Redis does not answer, appends that would take the buffer past maxBuffered fail at once (a batch as a whole). */
  private refuses(count: number): boolean {
    return this.buffered + count > this.maxBuffered && !this.reachable();
  }

  private unavailable(): BackplaneUnavailableError {
    return new BackplaneUnavailableError(`${this.buffered} appends are already waiting for Redis`);
  }

  private queueOf(userId: UserId): UserQueue {
    let queue = this.queues.get(userId);
    if (queue === undefined) this.queues.set(userId, (queue = { userId, lines: null, outcomes: [], indexes: [], lastBytes: 0, inFlight: null }));
    return queue;
  }

  /** Writes the append's line to its user's waiting lines; one that cannot be written (past what one buffer holds) fails alone, at once. */
  private push(queue: UserQueue, append: QueuedAppend, outcome: AppendOutcome, index: number): void {
    const lines = (queue.lines ??= new BatchLines(queue.lastBytes));
    try {
      lines.add(append);
    } catch (error) {
      if (lines.count === 0) queue.lines = null;
      if (queue.outcomes.length === 0 && queue.inFlight === null) this.queues.delete(queue.userId);
      outcome.failed(index, error);
      return;
    }
    this.buffered += 1;
    queue.outcomes.push(outcome);
    queue.indexes.push(index);
    if (queue.inFlight === null) this.queueFlush();
  }

  /** Resolves true once nothing is buffered, false after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.buffered === 0) return true;
    return new Promise<boolean>((resolve) => {
      const done = (drained: boolean): void => {
        clearTimeout(timer);
        this.idle = this.idle.filter((waiter) => waiter !== onIdle);
        resolve(drained);
      };
      const onIdle = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.idle.push(onIdle);
    });
  }

  /**
   * Fails every buffered append (close): those not sent, and those out at Redis (a connection
   * that is down may never answer them; if one still lands in Redis, its entry is in the stream
   * for every subscriber and for replay).
   */
  rejectAll(error: unknown): void {
    for (const queue of this.queues.values()) {
      const waiting = { outcomes: queue.outcomes.splice(0), indexes: queue.indexes.splice(0) };
      queue.lines = null;
      this.buffered -= waiting.outcomes.length;
      if (queue.inFlight !== null) failEach(queue.inFlight, error);
      failEach(waiting, error);
    }
    this.notifyIdle();
  }

  /**
   * Once this turn of the event loop has run its callbacks (setImmediate), so the appends made in
   * it travel in one call: those of one tick, and those that Redis replies read in one go set
   * off (each reply frees its users for their next batch, a few promise hops later).
   */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Sends the next batch of every user with appends waiting and none out, maxUsersPerCall users per call. */
  private flush(): void {
    let call: UserQueue[] = [];
    let batches: UserBatch[] = [];
    this.heldBack = false;
    for (const queue of this.queues.values()) {
      const { lines } = queue;
      if (queue.inFlight !== null || lines === null || lines.count === 0) continue;
      if (this.bytesOut >= this.maxBytesOut && this.bytesOut > 0) {
        this.heldBack = true;
        break;
      }
      const { text, count, appendedAt } = lines.take(this.maxBatch);
      if (lines.count === 0) queue.lines = null;
      queue.lastBytes = text.length;
      queue.inFlight = { outcomes: queue.outcomes.splice(0, count), indexes: queue.indexes.splice(0, count), text };
      this.bytesOut += text.length;
      call.push(queue);
      batches.push({ userId: queue.userId, count, appendedAt, text });
      if (call.length === this.maxUsersPerCall) {
        this.sendCall(call, batches);
        call = [];
        batches = [];
      }
    }
    if (call.length > 0) this.sendCall(call, batches);
  }

  private sendCall(call: readonly UserQueue[], batches: readonly UserBatch[]): void {
    this.nextBatch += 1;
    this.send(`${this.instance}.${this.nextBatch}`, batches)
      .then(
        (firsts) =>
          call.forEach((queue, index) => {
            const first = firsts[index];
            const inFlight = queue.inFlight as InFlight;
            const { outcomes, indexes } = inFlight;
            if (typeof first === 'number') {
              const batch = new SentBatch(queue.userId, first, outcomes.length, inFlight.text);
              try {
                this.stored(queue.userId, batch);
              } catch (error) {
                // Its own appends fail with it; the other users' batches of the call still settle.
                failEach(inFlight, error);
                return;
              } finally {
                batch.release();
              }
              for (let i = 0; i < outcomes.length; i += 1) {
                const outcome = outcomes[i] as AppendOutcome;
                outcome.stored(indexes[i] as number, outcome.wantsEntry ? entryAt(batch, i) : null);
              }
            } else failEach(inFlight, first ?? new BackplaneUnavailableError(`Redis answered no seq for ${queue.userId}`));
          }),
        (error: unknown) => call.forEach((queue) => failEach(queue.inFlight as InFlight, error)),
      )
      .finally(() => {
        let more = this.heldBack;
        for (const queue of call) {
          const inFlight = queue.inFlight as InFlight;
          this.buffered -= inFlight.outcomes.length;
          this.bytesOut -= inFlight.text.length;
          queue.inFlight = null;
          const waiting = queue.outcomes.length > 0;
          if (waiting) more = true;
          if (this.queues.get(queue.userId) === queue) {
            this.queues.delete(queue.userId);
            // To the back of the line: users a flush held back (maxBytesOut) go before it next time.
            if (waiting) this.queues.set(queue.userId, queue);
          }
        }
        if (more) this.queueFlush();
        this.notifyIdle();
      });
  }

  private notifyIdle(): void {
    if (this.buffered !== 0) return;
    for (const waiter of this.idle.splice(0)) waiter();
  }
}

/** Fails every append of `appends` with `error`. */
function failEach({ outcomes, indexes }: Outcomes, error: unknown): void {
  for (let i = 0; i < outcomes.length; i += 1) (outcomes[i] as AppendOutcome).failed(indexes[i] as number, error);
}

/** The entry of a stored batch's i-th append (found by its seq should a line have been skipped: this process wrote every line, so none is). */
function entryAt(batch: StoredBatch, i: number): StreamEntry | null {
  const seq = batch.first + i;
  const entries = batch.entries();
  const entry = entries[i];
  return entry !== undefined && entry.seq === seq ? entry : (entries.find((candidate) => candidate.seq === seq) ?? null);
}

/** A stored batch whose entries are made from the bytes sent the first time they are asked for. */
class SentBatch implements StoredBatch {
  private made: readonly Utf8StreamEntry[] | null = null;
  private released = false;

  constructor(
    private readonly userId: UserId,
    readonly first: number,
    readonly count: number,
    private readonly text: Buffer,
  ) {}

  entries(): readonly StreamEntry[] {
    if (this.made === null) {
      this.made = entriesOfBatchBytes(this.userId, this.first, this.text);
      if (this.released) for (const entry of this.made) entry.release();
    }
    return this.made;
  }

  /** The listeners have had the entries: they no longer carry their bytes (StreamEntry.jsonUtf8). */
  release(): void {
    this.released = true;
    if (this.made !== null) for (const entry of this.made) entry.release();
  }
}
