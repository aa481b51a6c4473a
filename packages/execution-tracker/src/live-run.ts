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

/** The endings a passed deadline imposes. */
type DeadlineEnding = { readonly state: 'dead' | 'timed_out'; readonly error: RunError };

/**
 * The endings a passed deadline imposes, built once per limit rather than once per ended run: a
 * sweep may end thousands of runs with the same one. They are frozen because the records and
 * outcomes of all those runs share them. One per kind is kept: deadAfterMs is the registry's
 * for every run, and a per-run timeout other than the last one seen is simply built again.
 */
export class DeadlineEndings {
  private dead: { readonly ms: number; readonly ending: DeadlineEnding } | null = null;
  private timedOut: { readonly ms: number; readonly ending: DeadlineEnding } | null = null;

  /** The ending a passed deadline imposes on `run` at `now`, or null while both are ahead. Dead wins a tie. */
  of(run: LiveRun, now: number): DeadlineEnding | null {
    const { lastHeartbeatAt, deadAfterMs, createdAt, timeoutMs } = run.record;
    const deadAt = lastHeartbeatAt + deadAfterMs;
    const timeoutAt = createdAt + timeoutMs;
    if (deadAt > now && timeoutAt > now) return null;
    if (deadAt <= timeoutAt) {
      if (this.dead?.ms !== deadAfterMs) {
        this.dead = { ms: deadAfterMs, ending: frozenEnding('dead', AgentErrorCode.Dead, `No heartbeat from the agent for ${deadAfterMs} ms`) };
      }
      return this.dead.ending;
    }
    if (this.timedOut?.ms !== timeoutMs) {
      this.timedOut = { ms: timeoutMs, ending: frozenEnding('timed_out', AgentErrorCode.TimedOut, `The run exceeded its ${timeoutMs} ms timeout`) };
    }
    return this.timedOut.ending;
  }
}

function frozenEnding(state: DeadlineEnding['state'], code: AgentErrorCode, message: string): DeadlineEnding {
  return Object.freeze({ state, error: Object.freeze({ code, message }) });
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
