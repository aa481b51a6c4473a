import { PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { openFilesLimit } from '../machine';
import { type AllocationReport, AllocationSampler } from '@agentwirejs/types/testing';
import { frameName } from '../tracker/profile';

/** CPU and memory of one process, as the probe reports them. */
export interface ProcessUsage {
  /** User plus system CPU time since the process started, in microseconds. */
  readonly cpuUs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly arrayBuffersBytes: number;
  /** Whether a full garbage collection ran right before the memory was read. */
  readonly collected: boolean;
  readonly openFilesLimit: number | null;
  /** Garbage-collection pauses since the previous `usage {window: true}` (null until watchGc() ran). */
  readonly gcWindow: GcWindow | null;
  /** Open TCP sockets of the process (listening servers not counted). */
  readonly tcpSockets: number;
}

/** Garbage-collection pauses of the main thread over a window of time. */
export interface GcWindow {
  readonly count: number;
  readonly totalMs: number;
  readonly longestMs: number;
}

/** The GC pauses seen since the window was last read; null until watchGc() ran. */
interface GcLog {
  count: number;
  totalMs: number;
  longestMs: number;
}

/** Where watchGc() counts pauses: one log per process, created by the process's entry point. */
const gcLogs: GcLog[] = [];

/** Starts counting garbage-collection pauses (PerformanceObserver 'gc' entries) for `usage` to report. */
export function watchGc(): void {
  if (gcLogs.length > 0) return;
  const log: GcLog = { count: 0, totalMs: 0, longestMs: 0 };
  gcLogs.push(log);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      log.count += 1;
      log.totalMs += entry.duration;
      if (entry.duration > log.longestMs) log.longestMs = entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
}

type GcFunction = (options?: { type: 'major'; execution: 'sync' }) => void;

/** Runs full collections until the heap stops shrinking (at most 6), when the process has --expose-gc. */
function collect(): boolean {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (gc === undefined) return false;
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round += 1) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= previous - 1024) break;
    previous = used;
  }
  return true;
}

/**
 * The probe's command: `usage {gc, window}` answers ProcessUsage, after full collections when gc
 * is true; with window, the GC pauses since the previous windowed call (and a new window starts).
 */
export function usage(args: { gc?: boolean; window?: boolean } = {}): ProcessUsage {
  const log = gcLogs[0];
  let gcWindow: GcWindow | null = null;
  if (log !== undefined && args.window === true) {
    gcWindow = { count: log.count, totalMs: Math.round(log.totalMs * 100) / 100, longestMs: Math.round(log.longestMs * 100) / 100 };
    log.count = 0;
    log.totalMs = 0;
    log.longestMs = 0;
  }
  const collected = args.gc === true ? collect() : false;
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    cpuUs: cpu.user + cpu.system,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
    collected,
    openFilesLimit: openFilesLimit().soft,
    gcWindow,
    tcpSockets: process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length,
  };
}

/** The probe's command: `snapshot {file}` writes a V8 heap snapshot of the process (after a full collection). */
export function snapshot(args: { file: string }): { file: string } {
  collect();
  return { file: writeHeapSnapshot(args.file) };
}

/**
 * The probe's commands `allocationsStart` and `allocationsStop`: the bytes the process allocates
 * between them (V8's sampling heap profiler, collected objects included) and where.
 */
export function allocationCommands(): { allocationsStart: () => Promise<void>; allocationsStop: () => Promise<AllocationReport> } {
  const sampler = new AllocationSampler((callFrame) => frameName({ callFrame }));
  return { allocationsStart: () => sampler.start(), allocationsStop: () => sampler.stop() };
}
