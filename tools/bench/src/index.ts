/**
 * @agentwirejs/bench (private): benchmarks of agentwire against raw ws and socket.io. Run it with
 * `npm run bench` (or `nx run bench:run`); this entry exposes the pieces its tests and other
 * tools use: statistics, per-client verification, results and their rendering.
 */
export { quantile, quantiles, summarize } from './stats';
export type { Summary } from './stats';
export { combineVerdicts, isAgentEvent, verifyBroadcast, verifyProbes, verifyRuns } from './verify';
export { readEnvelope } from './client/envelope-reader';
export type { SlimEnvelope, Verdict } from './verify';
export { check, figure, pairwise } from './results';
export type { BenchResults, Figure, Target, TargetCheck, WorkloadResult, WorkloadStatus } from './results';
export { formatNumber, formatSummary, renderHeadline, renderResults, renderWorkload } from './render';
export { README_MARKERS, replaceBetweenMarkers } from './readme';
export { BENCH_PROFILES, WORKLOAD_IDS } from './options';
export type { BenchSizes, WorkloadId } from './options';
