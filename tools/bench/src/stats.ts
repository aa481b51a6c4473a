/** Summary of repeated measurements: the median is the reported figure, min and max its spread. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Summarises at least one finite measurement. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize() needs at least one measurement');
  if (values.some((value) => !Number.isFinite(value))) throw new RangeError('measurements must be finite numbers');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: sorted.length };
}

/** The q-quantile (0..1) of a sample by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile() needs at least one value');
  if (!(q >= 0 && q <= 1)) throw new RangeError('q must be between 0 and 1');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

/** Several nearest-rank quantiles of one sample, sorting it once; 0 for each when the sample is empty. */
export function quantiles(values: readonly number[] | Float64Array, qs: readonly number[]): number[] {
  if (qs.some((q) => !(q >= 0 && q <= 1))) throw new RangeError('q must be between 0 and 1');
  const sorted = Float64Array.from(values).sort();
  return qs.map((q) => (sorted.length === 0 ? 0 : (sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number)));
}
