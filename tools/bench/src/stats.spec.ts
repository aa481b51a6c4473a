import { quantile, summarize } from './stats';

describe('summarize', () => {
  it('reports median, min and max of odd and even samples', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 });
  });

  it('refuses empty and non-finite samples', () => {
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
  });
});

describe('quantile', () => {
  it('uses nearest rank', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(500);
    expect(quantile(values, 0.99)).toBe(990);
    expect(quantile(values, 0.999)).toBe(999);
    expect(quantile(values, 1)).toBe(1000);
    expect(quantile([7], 0.5)).toBe(7);
  });
});
