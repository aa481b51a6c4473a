import { busyLoopGaps, combineGaps } from './scheduling';

/** A clock that returns the given readings in turn, then keeps returning the last plus one per read. */
function scriptedClock(readings: readonly number[]): () => number {
  let index = 0;
  let last = 0;
  return () => {
    const next = readings[index];
    index += 1;
    last = next ?? last + 1;
    return last;
  };
}

describe('busyLoopGaps', () => {
  it('counts each stretch between two clock reads longer than the threshold, and nothing shorter', () => {
    // reads every 0.1 ms, except one stretch of 3 ms and one of 0.6 ms; the loop ends at 10 ms
    const readings = [0, 0.1, 0.2, 3.2, 3.3, 3.9, 4.0, 10];
    const gaps = busyLoopGaps(10, 0.5, scriptedClock(readings));
    expect(gaps.gaps).toBe(3); // 3.0, 0.6 and the 6 ms stretch before the last read
    expect(gaps.longestMs).toBeCloseTo(6, 6);
    expect(gaps.lostMs).toBeCloseTo(3 + 0.6 + 6, 6);
    expect(gaps.durationMs).toBe(10);
  });

  it('sees no gap in a loop that always got its core', () => {
    const readings = Array.from({ length: 101 }, (_, index) => index * 0.05);
    expect(busyLoopGaps(5, 0.5, scriptedClock(readings))).toEqual({ durationMs: 5, gaps: 0, lostMs: 0, longestMs: 0 });
  });

  it('spins on the real clock for about the time asked', () => {
    const gaps = busyLoopGaps(20, 0.5);
    expect(gaps.durationMs).toBeGreaterThanOrEqual(20);
    expect(gaps.lostMs).toBeLessThanOrEqual(gaps.durationMs);
  });
});

describe('combineGaps', () => {
  it('gives the lost time per second of the loops together and the longest gap of any', () => {
    const combined = combineGaps([
      { durationMs: 2000, gaps: 4, lostMs: 40, longestMs: 12 },
      { durationMs: 2000, gaps: 1, lostMs: 0.8, longestMs: 0.8 },
    ]);
    expect(combined).toEqual({ lostMsPerSecond: 10.2, longestMs: 12, gaps: 5 });
  });

  it('refuses an empty list', () => {
    expect(() => combineGaps([])).toThrow(RangeError);
  });
});
