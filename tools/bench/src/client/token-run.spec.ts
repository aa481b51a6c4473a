import { LatencySample, TokenRun, type TokenEnvelope, calibrateWallOffsetUs, expectedBurstText, isoToEpochUs, tokenDueUs, tokensIn } from './token-run';

const USER = 'bench-u00001';
const RUN = 'run-1';
const MESSAGE = 'run-1-answer';
/** 2026-01-01T00:00:00.000Z in µs since the epoch. */
const ORIGIN_US = Date.UTC(2026, 0, 1) * 1000;

function envelope(type: string, seq: number, payload: Record<string, unknown> = {}, extra: Partial<TokenEnvelope> = {}): TokenEnvelope {
  return { type, seq, ts: new Date(ORIGIN_US / 1000).toISOString(), user_id: USER, run_id: RUN, payload: { type, ...payload }, ...extra };
}

/** A whole answer of `deltas` as a server sends it, seq from 1. */
function answer(deltas: readonly string[]): TokenEnvelope[] {
  let seq = 0;
  return [
    envelope('RUN_STARTED', ++seq),
    envelope('TEXT_MESSAGE_START', ++seq, { messageId: MESSAGE, role: 'assistant' }),
    ...deltas.map((delta) => envelope('TEXT_MESSAGE_CONTENT', ++seq, { messageId: MESSAGE, delta })),
    envelope('TEXT_MESSAGE_END', ++seq, { messageId: MESSAGE }),
    envelope('RUN_FINISHED', ++seq, { outcome: { type: 'success' } }),
  ];
}

function play(envelopes: readonly TokenEnvelope[], tokens: number, tokensPerSecond = 50, arrivalUs: (index: number) => number = () => ORIGIN_US): { run: TokenRun; latencies: number[] } {
  const latencies: number[] = [];
  const run = new TokenRun({ userId: USER, afterSeq: 0, tokens, tokensPerSecond }, (us) => latencies.push(us));
  envelopes.forEach((item, index) => run.receive(item, arrivalUs(index)));
  return { run, latencies };
}

describe('the burst text', () => {
  it('is w0 … w{N-1}, each token followed by one space', () => {
    expect(expectedBurstText(3)).toBe('w0 w1 w2 ');
    expect(expectedBurstText(0)).toBe('');
  });

  it('counts the tokens of a delta by their spaces', () => {
    expect(tokensIn('w7 ')).toBe(1);
    expect(tokensIn('w7 w8 w9 ')).toBe(3);
    expect(tokensIn('')).toBe(0);
  });
});

describe('token due times', () => {
  it('puts token i at origin + i / R', () => {
    expect(tokenDueUs(1_000_000, 0, 50)).toBe(1_000_000);
    expect(tokenDueUs(1_000_000, 3, 50)).toBe(1_060_000);
    expect(tokenDueUs(0, 299, 50)).toBe(5_980_000);
  });

  it('reads an envelope ts as µs since the epoch', () => {
    expect(isoToEpochUs('2026-01-01T00:00:00.123Z')).toBe(ORIGIN_US + 123_000);
    expect(isoToEpochUs('not a time')).toBeNaN();
  });

  it('calibrates the monotonic → wall offset at the tick of the wall clock', () => {
    const wall = [1000, 1000, 1000, 1001];
    let reads = 0;
    const offset = calibrateWallOffsetUs(() => 500, () => wall[Math.min(reads++, wall.length - 1)] as number);
    expect(offset).toBe(1001 * 1000 - 500);
  });

  it('gives up waiting for a tick after maxSpins reads (bounded)', () => {
    let reads = 0;
    expect(calibrateWallOffsetUs(() => 0, () => (reads++, 7), 10)).toBe(7000);
    expect(reads).toBe(12);
  });
});

describe('TokenRun', () => {
  it('accepts an answer whose deltas concatenate to the burst text, one envelope per token or coalesced', () => {
    expect(play(answer(['w0 ', 'w1 ', 'w2 ']), 3).run.verdict()).toEqual({ ok: true, problems: [] });
    const coalesced = play(answer(['w0 w1 ', 'w2 ']), 3).run;
    expect(coalesced.verdict().ok).toBe(true);
    expect(coalesced.contentEnvelopes).toBe(2);
    expect(coalesced.envelopes).toBe(6);
    expect(coalesced.tokens).toBe(3);
  });

  it('fails an answer whose text is wrong: a token missing, repeated or changed', () => {
    expect(play(answer(['w0 ', 'w2 ']), 3).run.verdict().problems).toContainEqual(expect.stringContaining('text differs from the burst text'));
    expect(play(answer(['w0 ', 'w1 ', 'w1 ', 'w2 ']), 3).run.verdict().ok).toBe(false);
    expect(play(answer(['w0 ', 'w1 ', 'w9 ']), 3).run.verdict().ok).toBe(false);
  });

  it('times each token from its due time to the arrival of the envelope that carries it', () => {
    // origin = TEXT_MESSAGE_START's ts; at 50 tokens/s token i is due 20·i ms later
    const arrivals = [0, 0, 45_000, 85_000, 0, 0].map((offset) => ORIGIN_US + offset);
    const { latencies } = play(answer(['w0 w1 ', 'w2 w3 ']), 4, 50, (index) => arrivals[index] as number);
    expect(latencies).toEqual([45_000, 25_000, 45_000, 25_000]);
  });

  it('accepts a compacted envelope covering the positions right after the last one (first_seq..seq)', () => {
    const envelopes = answer(['w0 ', 'w1 w2 ']);
    const folded = envelopes.map((item) => (item.type === 'TEXT_MESSAGE_CONTENT' && item.seq === 4 ? { ...item, seq: 5, first_seq: 4 } : item.seq !== null && item.seq >= 5 ? { ...item, seq: item.seq + 1 } : item));
    expect(play(folded, 3).run.verdict()).toEqual({ ok: true, problems: [] });
  });

  it('fails a gap or repeat of seq, another user, events out of order, a second terminal and a failed run', () => {
    const gap = answer(['w0 ', 'w1 ']).map((item) => (item.seq !== null && item.seq >= 4 ? { ...item, seq: item.seq + 1 } : item));
    expect(play(gap, 2).run.verdict().problems).toContainEqual(expect.stringMatching(/^seq 5\.\.5 after 3/));
    const foreign = answer(['w0 ']).map((item) => (item.type === 'TEXT_MESSAGE_END' ? { ...item, user_id: 'bench-u00002' } : item));
    expect(play(foreign, 1).run.verdict().problems).toContainEqual('TEXT_MESSAGE_END addressed to bench-u00002');
    const [started, open, content, end, finished] = answer(['w0 ']) as [TokenEnvelope, TokenEnvelope, TokenEnvelope, TokenEnvelope, TokenEnvelope];
    const renumber = (items: TokenEnvelope[]): TokenEnvelope[] => items.map((item, index) => ({ ...item, seq: index + 1 }));
    expect(play(renumber([started, content, open, end, finished]), 1).run.verdict().problems).toContainEqual(expect.stringContaining('TEXT_MESSAGE_CONTENT out of order'));
    expect(play(renumber([started, open, content, end, finished, finished]), 1).run.verdict().problems).toContainEqual("RUN_FINISHED after the run's terminal event");
    const failedRun = renumber([started, open, content, envelope('RUN_ERROR', 0, { message: 'boom', code: 'timed_out' })]);
    expect(play(failedRun, 1).run.verdict().problems).toContainEqual(expect.stringContaining('the run ended with RUN_ERROR'));
  });

  it('fails an answer that never finished', () => {
    const { run } = play(answer(['w0 ']).slice(0, 3), 1);
    expect(run.finished).toBe(false);
    expect(run.verdict().problems).toContainEqual('no terminal event (1 of 1 tokens)');
  });
});

describe('LatencySample', () => {
  it('keeps values up to its capacity and counts the rest', () => {
    const sample = new LatencySample(2);
    [3, 1, 2].forEach((value) => sample.add(value));
    expect(sample.length).toBe(3);
    expect([...sample.view()]).toEqual([3, 1]);
  });
});
