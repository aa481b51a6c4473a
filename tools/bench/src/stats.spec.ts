import { quantile, quantiles, summarize } from './stats';

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

describe('quantiles', () => {
  it('gives the same nearest-rank quantiles as quantile, from one sort of unsorted input', () => {
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) + 1);
    expect(quantiles(values, [0.5, 0.99, 0.999, 1])).toEqual([0.5, 0.99, 0.999, 1].map((q) => quantile(values, q)));
    expect(quantiles(Float64Array.from([3, 1, 2]), [0, 0.5])).toEqual([1, 2]);
  });

  it('answers 0 for an empty sample and refuses q outside 0..1', () => {
    expect(quantiles([], [0.5, 0.99])).toEqual([0, 0]);
    expect(() => quantiles([1], [1.5])).toThrow(RangeError);
  });
});
