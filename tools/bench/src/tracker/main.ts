// The tracker workload in a process of its own (started with --expose-gc): `run {params, profile, collect}`
// times sweeps of a registry holding params.runs live runs (see sweep-bench.ts); with collect, a
// full collection runs right before each sweep; with profile, V8's sampling profiler runs around
// each timed sweep only and the self time by frame is returned.
import { writeFileSync } from 'node:fs';
import { serveRpc } from '../ipc';
import { usage } from '../server/probe';
import { SamplingProfiler, type SelfTime, selfTimes } from './profile';
import { type SweepBenchParams, type SweepBenchReport, runSweepBench } from './sweep-bench';

// exit normally on SIGTERM, so `node --cpu-prof` writes its profile
process.once('SIGTERM', () => process.exit(0));

type GcFunction = () => void;

function collect(): void {
  (globalThis as { gc?: GcFunction }).gc?.();
}

serveRpc({
  usage,
  run: async (args: { params: SweepBenchParams; profile?: { file: string }; collect?: boolean }): Promise<SweepBenchReport & { profile: SelfTime[] | null }> => {
    const beforeSweep = args.collect === true ? collect : () => undefined;
    if (args.profile === undefined) {
      const report = await runSweepBench(args.params, { before: beforeSweep });
      return { ...report, profile: null };
    }
    const profiler = new SamplingProfiler();
    await profiler.open();
    const report = await runSweepBench(args.params, {
      before: async () => {
        beforeSweep();
        await profiler.start();
      },
      swept: () => profiler.stop(),
    });
    profiler.close();
    writeFileSync(args.profile.file, JSON.stringify(profiler.profiles[profiler.profiles.length - 1] ?? {}));
    // the first sweep runs cold code; the profile of the warm ones says where the time goes
    // each profile spans one sweep(); only the profiler's own start and stop calls are left out
    const profilerCalls = (frame: { functionName: string; url: string }): boolean => frame.url === 'node:inspector';
    return { ...report, profile: selfTimes(profiler.profiles.slice(1), 12, profilerCalls) };
  },
});
