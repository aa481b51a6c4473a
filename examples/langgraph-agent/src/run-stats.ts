/** What GET /stats answers: how many runs this process started, and how each ended. */
export interface RunStatsSnapshot {
  readonly runs_started: number;
  /** Ended with RUN_FINISHED. */
  readonly runs_finished: number;
  /** Ended with RUN_ERROR (the graph failed). */
  readonly runs_failed: number;
  /** Stopped because the client went away (agentwire's cancel_run, a dropped connection) before the run ended. */
  readonly runs_aborted: number;
}

/** The run counters of one server (created in main, passed to the server). */
export class RunStats {
  private started = 0;
  private finished = 0;
  private failed = 0;
  private aborted = 0;

  runStarted(): void {
    this.started += 1;
  }

  runEnded(outcome: 'finished' | 'failed' | 'aborted'): void {
    if (outcome === 'finished') this.finished += 1;
    else if (outcome === 'failed') this.failed += 1;
    else this.aborted += 1;
  }

  snapshot(): RunStatsSnapshot {
    return { runs_started: this.started, runs_finished: this.finished, runs_failed: this.failed, runs_aborted: this.aborted };
  }
}
