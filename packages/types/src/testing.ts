/** @agentwirejs/types/testing: checks the packages' specs share, so no package writes them again. */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { Session } from 'node:inspector';
import { runInNewContext } from 'node:vm';
import { AgentwireError } from './errors';

/**
 * What is wrong with a package's error-code table (its one `as const` table of codes), given
 * its public entry and one instance of every error class the entry exports; empty when each code
 * is listed once, every exported AgentwireError class has a sample (and only those), every
 * sample's code is in the table, and every code belongs to a class.
 */
export function errorCodeTableProblems(
  entry: Readonly<Record<string, unknown>>,
  table: Readonly<Record<string, string>>,
  samples: readonly AgentwireError[],
): string[] {
  const problems: string[] = [];
  const codes = Object.values(table);
  const seen = new Set<string>();
  for (const code of codes) {
    if (seen.has(code)) problems.push(`code ${code} is listed twice`);
    seen.add(code);
  }
  const exported = new Set<unknown>(Object.values(entry).filter((value) => typeof value === 'function' && value.prototype instanceof AgentwireError));
  const sampled = new Set<unknown>(samples.map((error) => error.constructor));
  for (const errorClass of exported) if (!sampled.has(errorClass)) problems.push(`exported class ${(errorClass as { name: string }).name} has no sample`);
  for (const errorClass of sampled) if (!exported.has(errorClass)) problems.push(`sampled class ${(errorClass as { name: string }).name} is not exported`);
  for (const error of samples) if (!seen.has(error.code)) problems.push(`${error.name}: code ${error.code} is not in the table`);
  const used = new Set(samples.map((error) => error.code));
  for (const code of seen) if (!used.has(code)) problems.push(`code ${code} belongs to no class`);
  return problems;
}

/** What heldHeapBytesEach measured: the bytes each value keeps, and the values (still held). */
export interface HeldHeap<T> {
  readonly bytesEach: number;
  readonly held: readonly T[];
}

/**
 * V8's used heap after full collections: compare two readings around work that keeps something
 * to learn what it keeps (a figure of memory, not of time). It exposes `gc` to this process.
 */
export function usedHeapAfterFullCollections(): number {
  setFlagsFromString('--expose-gc');
  // Collections would otherwise also drop the bytecode of functions not run for a while (a spec
  // file's that ran before): memory let go that the work measured did not free.
  setFlagsFromString('--no-flush-bytecode');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
}

/**
 * usedHeapAfterFullCollections once it has settled: read every `intervalMs` until two readings in
 * a row differ by less than `toleranceBytes` (at most `attempts` readings). In a jest worker a
 * spec file that ran before lets its memory go some time after it ended; a reading taken before
 * that would count it as freed by the work measured.
 */
export async function settledUsedHeap({ toleranceBytes = 64 * 1024, intervalMs = 50, attempts = 40 } = {}): Promise<number> {
  let last = usedHeapAfterFullCollections();
  for (let attempt = 1; attempt < attempts; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const now = usedHeapAfterFullCollections();
    if (Math.abs(now - last) < toleranceBytes) return now;
    last = now;
  }
  return last;
}

/**
 * The heap each of `count` values made by `make` keeps while all of them are held: the used heap
 * after full collections, before (once settled) and after making them, over `count`. What a value
 * held long really costs, its pieces and boxed numbers included.
 */
export async function heldHeapBytesEach<T>(count: number, make: (index: number) => T): Promise<HeldHeap<T>> {
  const held = new Array<T>(count);
  // Settled first: in a jest worker whose transforms were not cached, megabytes were let go during
  // the measurement otherwise (a sliced header measured 1,764 bytes instead of 2,431; a copied one
  // -536), counted as freed by the work measured.
  const before = await settledUsedHeap();
  for (let index = 0; index < count; index += 1) held[index] = make(index);
  const after = usedHeapAfterFullCollections();
  return { bytesEach: (after - before) / count, held };
}

/**
 * The bytes of heap `make` allocates per call, whether kept or collected since, over `count`
 * calls after `warmup` unmeasured ones (so what is measured is the optimized code's); a call
 * that returns a promise is awaited before the next (and the awaiting counted). V8's
 * sampling heap profiler with collected objects included, one sample per `intervalBytes` on
 * average (statistical: a few per cent at the default counts). What young-generation collections
 * follow, and so what a hot path costs the collector. A figure of memory, not of time.
 */
export async function allocatedBytesEach(count: number, make: (index: number) => unknown, { warmup = Math.min(count, 10_000), intervalBytes = 256 } = {}): Promise<number> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: Record<string, unknown> = {}): Promise<T> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error === null ? resolve(result as T) : reject(error))));
  // Calls that return promises are awaited one by one; the others run in a plain loop, so a
  // synchronous call is not charged for an await.
  const calls = async (from: number, to: number): Promise<void> => {
    for (let index = from; index < to; index += 1) {
      const made = make(index);
      if (made instanceof Promise) await made;
    }
  };
  try {
    await calls(0, warmup);
    await post('HeapProfiler.startSampling', { samplingInterval: intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await calls(0, count);
    const { profile } = await post<{ profile: { head: SampledNode } }>('HeapProfiler.stopSampling');
    let bytes = 0;
    const pending: SampledNode[] = [profile.head];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      bytes += node.selfSize;
      pending.push(...(node.children ?? []));
    }
    return bytes / count;
  } finally {
    session.disconnect();
  }
}

/** One node of a sampling heap profile: bytes sampled as allocated by its frame itself, and its callees. */
interface SampledNode {
  readonly selfSize: number;
  readonly children?: readonly SampledNode[];
}
