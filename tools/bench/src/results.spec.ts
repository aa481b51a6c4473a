import { check, figure, pairwise, verdictOf } from './results';

describe('check', () => {
  it('judges the median of the per-repetition values against the target', () => {
    expect(check('a / b', '×', [0.85, 0.95, 0.92], { op: '>=', bound: 0.9 })).toMatchObject({ target: '≥ 0.9×', met: true, summary: { median: 0.92, min: 0.85, max: 0.95, runs: 3 } });
    expect(check('p99', 'ms', [1.2, 0.9, 1.4], { op: '<=', bound: 1 })).toMatchObject({ target: '≤ 1 ms', met: false });
    expect(check('a / b', '×', [1, 1, 1], { op: '>', bound: 1 }).met).toBe(false);
  });

  it('has no verdict without a target', () => {
    expect(check('socket.io / raw ws', '×', [0.7], null)).toMatchObject({ target: null, met: null, verdict: null });
  });

  it('calls a target met when every repetition meets it, missed when none does, inconclusive when they straddle it', () => {
    expect(check('p99', 'ms', [42, 45, 49.9], { op: '<=', bound: 50 }).verdict).toBe('met');
    expect(check('p99', 'ms', [51, 60, 75], { op: '<=', bound: 50 }).verdict).toBe('missed');
    expect(check('a / b', '×', [0.85, 0.95, 0.92], { op: '>=', bound: 0.9 })).toMatchObject({ met: true, verdict: 'inconclusive' });
    expect(verdictOf([0.4, 0.5], { op: '<=', bound: 0.5 })).toBe('met');
  });
});

describe('pairwise', () => {
  it('pairs repetition i with repetition i', () => {
    expect(pairwise([2, 9], [4, 3])).toEqual([0.5, 3]);
    expect(pairwise([5, 7], [3, 4], (a, b) => a - b)).toEqual([2, 3]);
  });

  it('refuses series of different lengths', () => {
    expect(() => pairwise([1, 2], [1])).toThrow(RangeError);
  });
});

describe('figure', () => {
  it('summarizes the values and the side values of the same repetitions', () => {
    const item = figure('raw ws', 'events/s', 'events/s', [100, 300, 200], { 'server CPU': { unit: 'µs', values: [6, 5, 7] }, empty: { unit: 'x', values: [] } });
    expect(item.summary).toEqual({ median: 200, min: 100, max: 300, runs: 3 });
    expect(item.extras).toEqual({ 'server CPU': { unit: 'µs', summary: { median: 6, min: 5, max: 7, runs: 3 } } });
  });
});
