import {
  LIVE_RUN_STATES,
  type LiveRunState,
  type RunState,
  TERMINAL_RUN_STATES,
  type TerminalRunState,
  isTerminalRunState,
} from './run-state';

/** A snapshot for /metrics: gauges of what is live now, counters since the registry started. */
export interface TrackerMetrics {
  /** Runs started (counter). */
  readonly started: number;
  /** startRun calls refused by the per-user limit (counter). */
  readonly rejected: number;
  /** Runs in a live state now (gauge). */
  readonly active: number;
  /** Live runs by state now (gauges). */
  readonly live: Readonly<Record<LiveRunState, number>>;
  /** Runs that reached each terminal state, cancelled included (counters). */
  readonly ended: Readonly<Record<TerminalRunState, number>>;
  /** Finished runs kept for reading (gauge). */
  readonly retained: number;
  /** Entries in the deadline heap: one per run whose ending is not decided yet (gauge). */
  readonly deadlines: number;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Counts kept up to date on every state change, so a snapshot costs O(states). */
export class RunCounters {
  started = 0;
  rejected = 0;
  private readonly live = zeros(LIVE_RUN_STATES);
  private readonly ended = zeros(TERMINAL_RUN_STATES);

  /** A run entered `to` (from `from`, or was created when `from` is null). */
  moved(from: RunState | null, to: RunState): void {
    if (from === null) this.started += 1;
    else if (!isTerminalRunState(from)) this.live[from] -= 1;
    if (isTerminalRunState(to)) this.ended[to] += 1;
    else this.live[to] += 1;
  }

  snapshot(retained: number, deadlines: number): TrackerMetrics {
    const live = { ...this.live };
    const active = LIVE_RUN_STATES.reduce((sum, state) => sum + live[state], 0);
    return { started: this.started, rejected: this.rejected, active, live, ended: { ...this.ended }, retained, deadlines };
  }
}
