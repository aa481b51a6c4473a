import { AgentErrorCode, type AgentInput, type AgentRunner, type AgentTool } from '@agentwire/protocols';
import type { RunId } from '@agentwire/types';
import type { Deadline } from './deadline-heap';
import type { RunError, RunRecord } from './run-record';
import type { TerminalRunState } from './run-state';

/** How a run ends; decided exactly once per run. */
export type RunEnding =
  | { readonly state: 'completed'; readonly finalResponse: string }
  | { readonly state: 'failed' | 'timed_out' | 'dead'; readonly error: RunError }
  | { readonly state: 'cancelled'; readonly reason: string | null };

/** What a run's outcome promise resolves with, once its terminal event has been emitted. */
export interface RunOutcome {
  readonly runId: RunId;
  readonly state: TerminalRunState;
  readonly durationMs: number;
  readonly finalResponse: string | null;
  readonly error: RunError | null;
  readonly cancelReason: string | null;
}

/** The in-process side of a run that has not settled yet: its agent, signal, deadline and event chain. */
export class LiveRun {
  readonly controller = new AbortController();
  /** The run's one entry in the deadline heap (null once its ending is decided). */
  deadline: Deadline<LiveRun> | null = null;
  /** Set once; after that nothing more is emitted except the terminal event. */
  ending: RunEnding | null = null;
  /** The run's events go out one after another through this chain. */
  tail: Promise<void> = Promise.resolve();
  readonly outcome: Promise<RunOutcome>;
  private settle: (outcome: RunOutcome) => void = () => undefined;
  private readonly openTools = new Map<string, number>();

  constructor(
    readonly record: RunRecord,
    readonly agent: AgentRunner,
    readonly input: AgentInput,
    readonly tools: ReadonlyMap<string, AgentTool>,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }

  /** When the run expires if nothing changes: the earlier of its dead and timeout deadlines. */
  get dueAt(): number {
    const { lastHeartbeatAt, deadAfterMs, createdAt, timeoutMs } = this.record;
    return Math.min(lastHeartbeatAt + deadAfterMs, createdAt + timeoutMs);
  }

  /** The ending a passed deadline imposes at `now`, or null while both are ahead. Dead wins a tie. */
  expiry(now: number): RunEnding | null {
    const { lastHeartbeatAt, deadAfterMs, createdAt, timeoutMs } = this.record;
    const deadAt = lastHeartbeatAt + deadAfterMs;
    if (Math.min(deadAt, createdAt + timeoutMs) > now) return null;
    return deadAt <= createdAt + timeoutMs
      ? { state: 'dead', error: { code: AgentErrorCode.Dead, message: `No heartbeat from the agent for ${deadAfterMs} ms` } }
      : { state: 'timed_out', error: { code: AgentErrorCode.TimedOut, message: `The run exceeded its ${timeoutMs} ms timeout` } };
  }

  toolOpened(name: string): void {
    this.openTools.set(name, (this.openTools.get(name) ?? 0) + 1);
  }

  toolClosed(name: string): void {
    const open = (this.openTools.get(name) ?? 0) - 1;
    if (open > 0) this.openTools.set(name, open);
    else this.openTools.delete(name);
  }

  /** Tools started and not completed yet. */
  openToolNames(): string[] {
    return [...this.openTools.keys()];
  }

  /** Resolves the outcome promise from the record's final state. */
  resolveOutcome(state: TerminalRunState): void {
    const { runId, createdAt, endedAt, finalResponse, error, cancelReason } = this.record;
    this.settle({ runId, state, durationMs: (endedAt ?? createdAt) - createdAt, finalResponse, error, cancelReason });
  }
}
