import type { LoadAverage, MachineInfo } from './machine';
import { type Summary, summarize } from './stats';

/** One measured figure of one variant: the median of its repetitions, with min and max. */
export interface Figure {
  readonly variant: string;
  readonly metric: string;
  readonly unit: string;
  readonly summary: Summary;
  /** The value of each repetition, in order. */
  readonly values: readonly number[];
  /** Side figures of the same repetitions (server CPU per event, load generator CPU, …). */
  readonly extras: Readonly<Record<string, { readonly unit: string; readonly summary: Summary }>>;
}

/** A comparison the issue sets a target for (or a reference comparison without one). */
export interface TargetCheck {
  readonly name: string;
  readonly unit: string;
  /** Over the repetitions: each one's ratio (or difference) of figures measured side by side. */
  readonly summary: Summary;
  /** Human form of the target, e.g. `≥ 0.9×`; null for a reference figure. */
  readonly target: string | null;
  /** Whether the median meets the target; null without a target. */
  readonly met: boolean | null;
  /**
   * The verdict over the repetitions: `met` when every one meets the target, `missed` when none
   * does, `inconclusive` when they straddle it; null without a target. Absent in results written
   * before it existed.
   */
  readonly verdict?: CheckVerdict | null;
}

/** How a target check came out over its repetitions. */
export type CheckVerdict = 'met' | 'missed' | 'inconclusive';

/** A workload's correctness check: what it claims when it holds, and the problems when it does not. */
export interface Verification {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** What held, e.g. "every client got exactly its own messages, in order". */
  readonly claim: string;
}

/** How a workload went. */
export type WorkloadStatus = 'measured' | 'pending' | 'failed';

export interface WorkloadResult {
  readonly id: string;
  readonly title: string;
  readonly status: WorkloadStatus;
  /** Why it is pending or failed. */
  readonly reason: string | null;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly loadAverage: { readonly start: LoadAverage; readonly end: LoadAverage };
  readonly durationMs: number;
  readonly figures: readonly Figure[];
  readonly checks: readonly TargetCheck[];
  /** What was checked and whether it held (null where there is nothing to check). */
  readonly verification: Verification | null;
  /** How each figure was measured. */
  readonly method: string;
  readonly notes: readonly string[];
}

export interface BenchResults {
  readonly schemaVersion: 1;
  readonly mode: 'full' | 'quick';
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  /** False when a workload failed or a verification found a leak, loss or reorder. */
  readonly passed: boolean;
  readonly workloads: readonly WorkloadResult[];
}

/** Rounds to `digits` significant decimals for storage (keeps JSON readable). */
function tidy(value: number): number {
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 4;
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

function tidySummary(summary: Summary): Summary {
  return { median: tidy(summary.median), min: tidy(summary.min), max: tidy(summary.max), runs: summary.runs };
}

/** Builds a figure from per-repetition values (and side values of the same repetitions). */
export function figure(
  variant: string,
  metric: string,
  unit: string,
  values: readonly number[],
  extras: Readonly<Record<string, { unit: string; values: readonly number[] }>> = {},
): Figure {
  const sides: Record<string, { unit: string; summary: Summary }> = {};
  for (const [name, side] of Object.entries(extras)) if (side.values.length > 0) sides[name] = { unit: side.unit, summary: tidySummary(summarize(side.values)) };
  return { variant, metric, unit, summary: tidySummary(summarize(values)), values: values.map(tidy), extras: sides };
}

/** A target: `≥`, `≤` or `>` a bound, shown with a unit suffix. */
export interface Target {
  readonly op: '>=' | '<=' | '>';
  readonly bound: number;
}

const OP_TEXT: Record<Target['op'], string> = { '>=': '≥', '<=': '≤', '>': '>' };

function meets(value: number, target: Target): boolean {
  if (target.op === '>=') return value >= target.bound;
  if (target.op === '<=') return value <= target.bound;
  return value > target.bound;
}

/** met when every repetition meets the target, missed when none does, inconclusive when they straddle it. */
export function verdictOf(values: readonly number[], target: Target): CheckVerdict {
  const meeting = values.filter((value) => meets(value, target)).length;
  if (meeting === values.length) return 'met';
  return meeting === 0 ? 'missed' : 'inconclusive';
}

/** A check of the per-repetition values `values` (ratios, differences or absolute figures) against `target`. */
export function check(name: string, unit: string, values: readonly number[], target: Target | null): TargetCheck {
  const summary = tidySummary(summarize(values));
  return {
    name,
    unit,
    summary,
    target: target === null ? null : `${OP_TEXT[target.op]} ${target.bound}${unit === '×' ? '×' : ` ${unit}`}`,
    met: target === null ? null : meets(summary.median, target),
    verdict: target === null ? null : verdictOf(values.map(tidy), target),
  };
}

/** Element-wise ratio of two equally long series measured side by side (repetition i with repetition i). */
export function pairwise(numerators: readonly number[], denominators: readonly number[], combine: (a: number, b: number) => number = (a, b) => a / b): number[] {
  if (numerators.length !== denominators.length) throw new RangeError(`series of ${numerators.length} and ${denominators.length} repetitions cannot be paired`);
  return numerators.map((value, index) => combine(value, denominators[index] as number));
}
