import { cpus } from 'node:os';
import { SCRIPTS } from '../paths';
import { spawnNode } from '../processes';
import { type CombinedGaps, type SchedulingGaps, combineGaps } from '../scheduling';

/** A stretch longer than this between two reads of the clock counts as time without a core. */
export const GAP_THRESHOLD_MS = 0.5;

/** What the scheduling probe measured, repetition by repetition. */
export interface SchedulingSeries {
  readonly cores: number;
  /** One busy loop, the other probe processes idle. */
  readonly alone: CombinedGaps[];
  /** One busy loop per core, all at once: every core wanted, as under a load generator and a server. */
  readonly everyCore: CombinedGaps[];
}

/**
 * Busy loops in processes of their own (one per core), each repetition one alone and then all at
 * once, `durationMs` each, after an uncounted spin of all of them (processes started, code
 * optimized). Nothing else of the benchmark runs meanwhile.
 */
export async function measureScheduling(reps: number, durationMs: number): Promise<SchedulingSeries> {
  const cores = Math.max(1, cpus().length);
  const loops = Array.from({ length: cores }, (_, index) => spawnNode(`scheduling probe ${index + 1}`, SCRIPTS.schedulingProbe));
  const spin = async (count: number, ms: number): Promise<CombinedGaps> =>
    combineGaps(await Promise.all(loops.slice(0, count).map((loop) => loop.rpc.call<SchedulingGaps>('gaps', { durationMs: ms, thresholdMs: GAP_THRESHOLD_MS }, ms + 60_000))));
  try {
    await spin(cores, Math.min(500, durationMs));
    const alone: CombinedGaps[] = [];
    const everyCore: CombinedGaps[] = [];
    for (let rep = 0; rep < reps; rep += 1) {
      alone.push(await spin(1, durationMs));
      everyCore.push(await spin(cores, durationMs));
    }
    return { cores, alone, everyCore };
  } finally {
    await Promise.all(loops.map((loop) => loop.stop()));
  }
}
