import { performance } from 'node:perf_hooks';

/** What one busy loop saw of its core: the stretches during which it did not run. */
export interface SchedulingGaps {
  /** From the first clock read to the last. */
  readonly durationMs: number;
  /** Stretches between two consecutive clock reads longer than the threshold. */
  readonly gaps: number;
  /** Their summed length. */
  readonly lostMs: number;
  readonly longestMs: number;
}

/**
 * Spins for `durationMs`, reading `clock` (ms) as fast as it can. A loop that only reads a clock
 * takes well under a microsecond per turn, so a stretch over `thresholdMs` between two reads is
 * time this thread did not run: the kernel, or the hypervisor under a virtual machine, gave its
 * core to something else. It allocates nothing while it spins, so no collection falls in it.
 */
export function busyLoopGaps(durationMs: number, thresholdMs: number, clock: () => number = () => performance.now()): SchedulingGaps {
  const start = clock();
  const end = start + durationMs;
  let last = start;
  let gaps = 0;
  let lostMs = 0;
  let longestMs = 0;
  for (;;) {
    const now = clock();
    const step = now - last;
    if (step > thresholdMs) {
      gaps += 1;
      lostMs += step;
      if (step > longestMs) longestMs = step;
    }
    last = now;
    if (now >= end) break;
  }
  return { durationMs: last - start, gaps, lostMs, longestMs };
}

/** Several loops that spun at the same time, taken together. */
export interface CombinedGaps {
  /** Time without a core per second of each loop's run, ms (the loops' lost time / their run time × 1000). */
  readonly lostMsPerSecond: number;
  /** The longest stretch any of them went without its core. */
  readonly longestMs: number;
  readonly gaps: number;
}

export function combineGaps(loops: readonly SchedulingGaps[]): CombinedGaps {
  if (loops.length === 0) throw new RangeError('no loops to combine');
  let lost = 0;
  let ran = 0;
  let gaps = 0;
  let longestMs = 0;
  for (const loop of loops) {
    lost += loop.lostMs;
    ran += loop.durationMs;
    gaps += loop.gaps;
    longestMs = Math.max(longestMs, loop.longestMs);
  }
  return { lostMsPerSecond: ran > 0 ? (lost / ran) * 1000 : 0, longestMs, gaps };
}
