import type { Verdict } from '../verify';

/**
 * What a client checks and measures of one streamed answer (the token-stream workload): the pure
 * part, fed one parsed envelope at a time, so it is tested without sockets.
 *
 * Latency of token i = when the client received the envelope holding it − when the agent was due
 * to append it. Both servers and the load generator pace a stream by the clock from one origin:
 * the agent opens the text message and takes its start right after, then appends token i at
 * start + i / R. The origin is read from the TEXT_MESSAGE_START envelope's `ts`, which the server
 * stamps when it sequences that envelope (the same synchronous call, wall clock, ms resolution, so
 * the origin is up to 1 ms early and a latency up to 1 ms high). The client reads its receive time
 * on CLOCK_MONOTONIC and turns it into wall-clock time with an offset it calibrates at the start
 * of each run (one kernel clock for every process of the machine).
 */

/** The whole text of a burst `text_tokens: tokens` answer: `w0 w1 … w{tokens-1} ` (the gateway's burst agent streams it). */
export function expectedBurstText(tokens: number): string {
  let text = '';
  for (let index = 0; index < tokens; index += 1) text += `w${index} `;
  return text;
}

/** How many tokens a delta holds: every burst token ends with one space. */
export function tokensIn(delta: string): number {
  let count = 0;
  for (let at = delta.indexOf(' '); at >= 0; at = delta.indexOf(' ', at + 1)) count += 1;
  return count;
}

/** When token `index` was due at the agent, in µs of the same clock as `originUs`: origin + index / rate. */
export function tokenDueUs(originUs: number, index: number, tokensPerSecond: number): number {
  return originUs + (index * 1e6) / tokensPerSecond;
}

/** Microseconds since the epoch of an ISO 8601 time with ms resolution (an envelope's `ts`); NaN when it does not parse. */
export function isoToEpochUs(iso: string): number {
  return Date.parse(iso) * 1000;
}

/**
 * The offset (µs) that turns CLOCK_MONOTONIC µs into wall-clock µs since the epoch: waits (at
 * most `maxSpins` reads) for the wall clock to tick to a new millisecond, so the offset is exact
 * to the reading of one clock rather than to a whole millisecond.
 */
export function calibrateWallOffsetUs(monotonicUs: () => number, wallMs: () => number = Date.now, maxSpins = 1_000_000): number {
  const first = wallMs();
  let now = wallMs();
  for (let spins = 0; now === first && spins < maxSpins; spins += 1) now = wallMs();
  return now * 1000 - monotonicUs();
}

/** The fields of a v2 envelope (or a baseline's copy of one) the token run reads. */
export interface TokenEnvelope {
  readonly type: string;
  readonly seq: number | null;
  readonly first_seq?: number;
  readonly ts?: string;
  readonly user_id?: string;
  readonly run_id?: string;
  readonly payload?: { readonly type?: unknown; readonly delta?: unknown; readonly messageId?: unknown; readonly outcome?: { readonly type?: unknown } };
}

/** Where a streamed answer stands: nothing yet, run started, text open, text closed (then its terminal event). */
type AnswerPhase = 'none' | 'started' | 'open' | 'closed';

/** Each envelope type of a streamed answer: the phase it must follow and the phase it leads to. */
const TRANSITIONS: Readonly<Record<string, { readonly from: readonly AnswerPhase[]; readonly to: AnswerPhase }>> = {
  RUN_STARTED: { from: ['none'], to: 'started' },
  TEXT_MESSAGE_START: { from: ['started'], to: 'open' },
  TEXT_MESSAGE_CONTENT: { from: ['open'], to: 'open' },
  TEXT_MESSAGE_END: { from: ['open'], to: 'closed' },
  RUN_FINISHED: { from: ['closed'], to: 'closed' },
  // a failed run may end anywhere after it started; it fails the check all the same
  RUN_ERROR: { from: ['started', 'open', 'closed'], to: 'closed' },
};

/** One receiver's streamed answer: appends its token latencies to a shared sample, then checks itself. */
export class TokenRun {
  /** Envelopes received (all of the run's, START and END included). */
  envelopes = 0;
  /** TEXT_MESSAGE_CONTENT envelopes received. */
  contentEnvelopes = 0;
  /** Tokens received so far (the index of the next one). */
  tokens = 0;
  /** The concatenated deltas. */
  text = '';
  /** Wall-clock µs the text message opened (its TEXT_MESSAGE_START's ts), NaN before. */
  originUs = Number.NaN;
  finished = false;
  private lastSeq: number;
  private phase: AnswerPhase = 'none';
  private runId: string | undefined;
  private messageId: unknown;
  private readonly problems: string[] = [];

  constructor(
    private readonly expected: { readonly userId: string; readonly afterSeq: number; readonly tokens: number; readonly tokensPerSecond: number },
    /** Receives the latency (µs) of every token, in order. */
    private readonly sample: (latencyUs: number) => void,
  ) {
    this.lastSeq = expected.afterSeq;
  }

  /** Takes one envelope received at wall-clock `atUs` (µs since the epoch). */
  receive(envelope: TokenEnvelope, atUs: number): void {
    this.envelopes += 1;
    if (this.finished) return this.problem(`${envelope.type} after the run's terminal event`);
    this.checkPosition(envelope);
    const transition = TRANSITIONS[envelope.type];
    if (transition === undefined) return this.problem(`unexpected ${envelope.type}`);
    if (!transition.from.includes(this.phase)) return this.problem(`${envelope.type} out of order (after ${this.phase})`);
    if (this.runId === undefined) this.runId = envelope.run_id;
    else if (envelope.run_id !== this.runId) this.problem(`${envelope.type} of run ${String(envelope.run_id)} inside run ${this.runId}`);
    this.phase = transition.to;
    switch (envelope.type) {
      case 'TEXT_MESSAGE_START':
        this.messageId = envelope.payload?.messageId;
        this.originUs = typeof envelope.ts === 'string' ? isoToEpochUs(envelope.ts) : Number.NaN;
        if (Number.isNaN(this.originUs)) this.problem('TEXT_MESSAGE_START without a ts');
        return;
      case 'TEXT_MESSAGE_CONTENT':
        return this.content(envelope, atUs);
      case 'RUN_FINISHED':
      case 'RUN_ERROR':
        this.finished = true;
        if (envelope.type === 'RUN_ERROR' || envelope.payload?.outcome?.type !== 'success') this.problem(`the run ended with ${envelope.type} ${JSON.stringify(envelope.payload ?? {})}`);
        return;
      default:
        return;
    }
  }

  /** The run's verdict: every envelope its own and in order, one terminal event, and the exact burst text. */
  verdict(): Verdict {
    const problems = [...this.problems];
    if (!this.finished) problems.push(`no terminal event (${this.tokens} of ${this.expected.tokens} tokens)`);
    if (this.text !== expectedBurstText(this.expected.tokens)) problems.push(`text differs from the burst text: got ${this.text.length} characters, ${JSON.stringify(this.text.slice(0, 40))}…`);
    return { ok: problems.length === 0, problems };
  }

  private content(envelope: TokenEnvelope, atUs: number): void {
    this.contentEnvelopes += 1;
    const delta = envelope.payload?.delta;
    if (typeof delta !== 'string') return this.problem('TEXT_MESSAGE_CONTENT without a delta');
    if (envelope.payload?.messageId !== this.messageId) this.problem('TEXT_MESSAGE_CONTENT of another message');
    this.text += delta;
    const count = tokensIn(delta);
    for (let index = this.tokens; index < this.tokens + count; index += 1) this.sample(atUs - tokenDueUs(this.originUs, index, this.expected.tokensPerSecond));
    this.tokens += count;
  }

  /** Own user; seq consecutive, a compacted envelope (first_seq) covering the positions right after the last one. */
  private checkPosition(envelope: TokenEnvelope): void {
    if (envelope.user_id !== this.expected.userId) this.problem(`${envelope.type} addressed to ${String(envelope.user_id)}`);
    if (envelope.seq === null) return this.problem(`${envelope.type} without a stream position`);
    const first = envelope.first_seq ?? envelope.seq;
    if (first !== this.lastSeq + 1 || envelope.seq < first) this.problem(`seq ${first}..${envelope.seq} after ${this.lastSeq}`);
    this.lastSeq = envelope.seq;
  }

  private problem(text: string): void {
    if (this.problems.length < 5) this.problems.push(text);
  }
}

/** A sample of latencies (µs) with room for `capacity` values; quantiles sort a copy. */
export class LatencySample {
  private readonly values: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** Adds one value; values past the capacity are counted as dropped, never stored out of bounds. */
  add(value: number): void {
    if (this.length < this.values.length) this.values[this.length] = value;
    this.length += 1;
  }

  /** The stored values. */
  view(): Float64Array {
    return this.values.subarray(0, Math.min(this.length, this.values.length));
  }
}
