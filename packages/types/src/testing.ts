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

/** Where one sample of a heap profile was allocated: the frame as V8's profiles name it. */
export interface AllocationFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

/** Bytes a process allocated over a window, by V8's sampling heap profiler, with the frames that allocated most. */
export interface AllocationReport {
  readonly bytes: number;
  readonly top: readonly { readonly frame: string; readonly bytes: number; readonly share: number }[];
}

/** One node of V8's sampling heap profile: bytes sampled as allocated by this frame itself, and its callees. */
interface SampledNode {
  readonly callFrame: AllocationFrame;
  readonly selfSize: number;
  readonly children?: readonly SampledNode[];
}

/** `name file:line`, as a frame's name in a report when the caller names them no other way. */
function plainFrameName({ functionName, url, lineNumber }: AllocationFrame): string {
  return `${functionName === '' ? '(anonymous)' : functionName}${url === '' ? '' : ` ${url}:${lineNumber + 1}`}`;
}

/**
 * V8's sampling heap profiler counting every allocation, kept or collected since (the profiler
 * otherwise reports only what is still alive): the bytes a workload allocates, which is what
 * young-generation collections, and so latency, follow. Statistical: one sample per
 * `intervalBytes` allocated on average. The specs' allocatedBytesEach and the benchmark's
 * allocation runs both measure with it.
 */
export class AllocationSampler {
  private readonly session = new Session();
  private open = false;

  /** `nameOf` names a frame in the report (the benchmark shortens paths). */
  constructor(private readonly nameOf: (frame: AllocationFrame) => string = plainFrameName) {}

  private post<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve, reject) => this.session.post(method, params, (error, result) => (error === null ? resolve(result as T) : reject(error))));
  }

  async start(intervalBytes = 4096): Promise<void> {
    if (!this.open) {
      this.session.connect();
      this.open = true;
    }
    await this.post('HeapProfiler.startSampling', { samplingInterval: intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }

  /** The bytes sampled since start(), and the `top` frames that allocated most (by what they allocated themselves). */
  async stop(top = 10): Promise<AllocationReport> {
    const { profile } = await this.post<{ profile: { head: SampledNode } }>('HeapProfiler.stopSampling');
    const byFrame = new Map<string, number>();
    let bytes = 0;
    const pending: SampledNode[] = [profile.head];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (node.selfSize > 0) {
        bytes += node.selfSize;
        if (top > 0) {
          const name = this.nameOf(node.callFrame);
          byFrame.set(name, (byFrame.get(name) ?? 0) + node.selfSize);
        }
      }
      pending.push(...(node.children ?? []));
    }
    const frames = [...byFrame.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, size]) => ({ frame, bytes: size, share: bytes > 0 ? Math.round((size / bytes) * 1000) / 1000 : 0 }));
    return { bytes, top: frames };
  }

  close(): void {
    if (this.open) this.session.disconnect();
    this.open = false;
  }
}

/**
 * The bytes of heap `make` allocates per call, whether kept or collected since, over `count`
 * calls after `warmup` unmeasured ones (so what is measured is the optimized code's); a call
 * that returns a promise is awaited before the next (and the awaiting counted). An
 * AllocationSampler, one sample per `intervalBytes` on average (statistical: a few per cent at
 * the default counts). What young-generation collections follow, and so what a hot path costs
 * the collector. A figure of memory, not of time.
 */
export async function allocatedBytesEach(count: number, make: (index: number) => unknown, { warmup = Math.min(count, 10_000), intervalBytes = 256 } = {}): Promise<number> {
  const sampler = new AllocationSampler();
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
    await sampler.start(intervalBytes);
    await calls(0, count);
    return (await sampler.stop(0)).bytes / count;
  } finally {
    sampler.close();
  }
}
