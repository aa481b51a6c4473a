import { Session } from 'node:inspector';

/** One frame of a CPU profile and the time sampled in it (not in what it called). */
export interface SelfTime {
  readonly frame: string;
  readonly ms: number;
  readonly share: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

/** Picks the frames whose samples count: a sample counts when one of its stack's frames matches. */
export type FrameFilter = (frame: { readonly functionName: string; readonly url: string }) => boolean;

/** The parts of a V8 .cpuprofile that self time is computed from. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** A frame as `name path:line`, the path from packages/, apps/, tools/ or node_modules/ on. */
export function frameName(node: { readonly callFrame: ProfileNode['callFrame'] }): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : url.replace(/^file:\/\//, '').replace(/^.*\/(packages|apps|tools|node_modules)\//, '$1/');
  return `${functionName === '' ? '(anonymous)' : functionName}${file === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
}

/** The ids of nodes that are `root` or below it. */
function subtree(nodes: ReadonlyMap<number, ProfileNode>, root: ProfileNode, into: Set<number>): void {
  into.add(root.id);
  for (const child of root.children ?? []) {
    const node = nodes.get(child);
    if (node !== undefined && !into.has(child)) subtree(nodes, node, into);
  }
}

/**
 * Self time by frame over one or more profiles, largest first; with `excluding`, samples taken
 * inside a matching frame are left out (e.g. the profiler's own start and stop calls). Garbage
 * collection and idle time are frames of their own ("(garbage collector)", "(idle)").
 */
export function selfTimes(profiles: readonly CpuProfile[], top = 12, excluding?: FrameFilter): SelfTime[] {
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const skipped = new Set<number>();
    if (excluding !== undefined) for (const node of profile.nodes) if (excluding(node.callFrame)) subtree(nodes, node, skipped);
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    samples.forEach((id, index) => {
      const node = nodes.get(id);
      // a sample's time is the delta to the next sample
      const us = deltas[index + 1] ?? 0;
      if (node === undefined || skipped.has(id)) return;
      total += us;
      const name = frameName(node);
      byFrame.set(name, (byFrame.get(name) ?? 0) + us);
    });
  }
  return [...byFrame.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, ms: Math.round(us / 10) / 100, share: total > 0 ? Math.round((us / total) * 1000) / 1000 : 0 }));
}

/** V8's sampling profiler of this process, started and stopped around the code of interest (what node --cpu-prof uses). */
export class SamplingProfiler {
  private readonly session = new Session();
  readonly profiles: CpuProfile[] = [];

  private post<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve, reject) => this.session.post(method, params, (error, result) => (error === null ? resolve(result as T) : reject(error))));
  }

  async open(intervalUs = 20): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: intervalUs });
  }

  start(): Promise<void> {
    return this.post('Profiler.start');
  }

  async stop(): Promise<void> {
    const { profile } = await this.post<{ profile: CpuProfile }>('Profiler.stop');
    this.profiles.push(profile);
  }

  close(): void {
    this.session.disconnect();
  }
}
