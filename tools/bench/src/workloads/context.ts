import type { BroadcastParams, LatencyReport, RequestsParams, ThroughputReport, UnicastParams } from '../client/runs';
import type { AgentwireProtocol, Dialect } from '../client/connection';
import type { TokenStreamParams, TokenStreamReport } from '../client/token-stream';
import { loadAverage } from '../machine';
import type { BenchSizes } from '../options';
import { SCRIPTS } from '../paths';
import { type NodeChild, spawnNode } from '../processes';
import type { Figure, TargetCheck, Verification, WorkloadResult } from '../results';
import type { ProcessUsage } from '../server/probe';
import type { ServerFlags } from '../targets';
import type { BenchUser } from '../tokens';

/** What every workload gets from the command. */
export interface BenchContext {
  readonly mode: 'full' | 'quick';
  readonly sizes: BenchSizes;
  /** Node flags for the servers under test. */
  readonly serverFlags: ServerFlags;
  /** Prints one progress line. */
  progress(message: string): void;
}

/** The load generator process (dist/client/main.js) and its commands. */
export class LoadClient {
  private constructor(private readonly child: NodeChild) {}

  /** `execArgv`: Node flags for the load generator's process (none unless a workload says why). */
  static start(execArgv: readonly string[] = []): LoadClient {
    return new LoadClient(spawnNode('load generator', SCRIPTS.client, { execArgv }));
  }

  connect(group: string, url: string, dialect: Dialect, users: readonly BenchUser[], protocol?: AgentwireProtocol): Promise<{ opened: number; ms: number }> {
    return this.child.rpc.call('connect', { group, url, dialect, users, concurrency: 200, ...(protocol === undefined ? {} : { protocol }) }, 300_000);
  }

  /** One streamed answer per connection of `groups` (client/token-stream.ts). */
  tokens(groups: readonly string[], params: TokenStreamParams): Promise<TokenStreamReport> {
    return this.child.rpc.call('tokens', { groups, ...params }, params.timeoutMs + params.startSpreadMs + 30_000);
  }

  unicast(group: string, params: UnicastParams & { alsoReceive?: readonly string[] }): Promise<ThroughputReport> {
    return this.child.rpc.call('unicast', { group, ...params }, params.timeoutMs + 30_000);
  }

  broadcast(group: string, params: BroadcastParams): Promise<ThroughputReport> {
    return this.child.rpc.call('broadcast', { group, ...params }, params.timeoutMs + 30_000);
  }

  paced(group: string, params: { rate: number; durationMs: number; warmupMs: number; payloadBytes: number; timeoutMs: number }): Promise<LatencyReport> {
    return this.child.rpc.call('paced', { group, ...params }, params.timeoutMs + 30_000);
  }

  requests(group: string, params: RequestsParams): Promise<LatencyReport & { runs: number }> {
    return this.child.rpc.call('requests', { group, ...params }, params.timeoutMs + params.durationMs + 30_000);
  }

  status(group: string): Promise<{ open: number; malformed: number }> {
    return this.child.rpc.call('status', { group });
  }

  close(group: string): Promise<{ closed: number }> {
    return this.child.rpc.call('close', { group }, 120_000);
  }

  /** CPU and memory of the load generator; with window, its GC pauses since the last windowed call. */
  usage(window = false): Promise<ProcessUsage> {
    return this.child.rpc.call('usage', { window });
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  stderr(): string {
    return this.child.stderr();
  }
}

/** `items` rotated left by `by`, so each repetition starts with a different variant. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** What a workload's body hands back; the shell adds timing, load and status. */
export interface WorkloadBody {
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly figures: readonly Figure[];
  readonly checks: readonly TargetCheck[];
  readonly verification: Verification | null;
  readonly method: string;
  readonly notes?: readonly string[];
  /** Set when the workload could not be measured yet (e.g. a feature it needs is not there). */
  readonly pending?: string;
}

/** Runs a workload body, recording the load average at its start and end, its duration, and a failure as a failed result. */
export async function runWorkload(context: BenchContext, id: string, title: string, body: () => Promise<WorkloadBody>): Promise<WorkloadResult> {
  const start = loadAverage();
  const startedAt = Date.now();
  context.progress(`${title}: starting (load average ${start.join(' ')})`);
  try {
    const result = await body();
    const end = loadAverage();
    context.progress(`${title}: done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (load average ${end.join(' ')})`);
    return {
      id,
      title,
      status: result.pending === undefined ? 'measured' : 'pending',
      reason: result.pending ?? null,
      parameters: result.parameters,
      loadAverage: { start, end },
      durationMs: Date.now() - startedAt,
      figures: result.figures,
      checks: result.checks,
      verification: result.verification,
      method: result.method,
      notes: result.notes ?? [],
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.progress(`${title}: FAILED: ${reason}`);
    return {
      id,
      title,
      status: 'failed',
      reason: reason.split('\n')[0] ?? reason,
      parameters: {},
      loadAverage: { start, end: loadAverage() },
      durationMs: Date.now() - startedAt,
      figures: [],
      checks: [],
      verification: null,
      method: '',
      notes: reason.includes('\n') ? [reason.slice(0, 2000)] : [],
    };
  }
}

/** What the per-client checks establish when every one of them holds. */
export const CLIENTS_CLAIM = 'every client got exactly its own messages, in order';

/** Collects the verdicts of many runs into one verification result. */
export class VerificationLog {
  private readonly problems: string[] = [];
  private failed = false;

  constructor(private readonly claim: string = CLIENTS_CLAIM) {}

  add(label: string, verdict: { readonly ok: boolean; readonly problems: readonly string[] }): void {
    if (verdict.ok) return;
    this.failed = true;
    this.problems.push(...verdict.problems.slice(0, 5).map((problem) => `${label}: ${problem}`));
  }

  get ok(): boolean {
    return !this.failed;
  }

  result(): Verification {
    return { ok: !this.failed, problems: this.problems.slice(0, 20), claim: this.claim };
  }
}

/** `1,234,567` */
export function thousands(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A share of one core as a percentage. */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
