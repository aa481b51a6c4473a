import type { LiveRun } from './live-run';

/**
 * One user's runs whose outcome has not settled, oldest first: a list linked through the runs
 * themselves (LiveRun.previousOfUser, nextOfUser), so starting and settling a run allocates
 * nothing. A Map or Set that empties and fills again reallocates its table each time (about 120
 * bytes for a Set, 150 for a Map, measured), and a user typically has one run at a time. A user
 * has at most maxRunsPerUser undecided runs, plus the ended ones whose terminal event is still
 * on its way out, so a search by id walks a few runs.
 */
export class UserRuns {
  private first: LiveRun | null = null;
  private last: LiveRun | null = null;
  /** Runs in the list. */
  size = 0;

  add(run: LiveRun): void {
    run.previousOfUser = this.last;
    run.nextOfUser = null;
    if (this.last === null) this.first = run;
    else this.last.nextOfUser = run;
    this.last = run;
    this.size += 1;
  }

  /** Takes `run` out of this list; a run already taken out is left alone. */
  remove(run: LiveRun): void {
    const { previousOfUser: previous, nextOfUser: next } = run;
    if (previous === null && this.first !== run) return;
    if (previous === null) this.first = next;
    else previous.nextOfUser = next;
    if (next === null) this.last = previous;
    else next.previousOfUser = previous;
    run.previousOfUser = null;
    run.nextOfUser = null;
    this.size -= 1;
  }

  /** The run with this id, if it is in the list. */
  find(runId: string): LiveRun | undefined {
    for (let run = this.first; run !== null; run = run.nextOfUser) if (run.record.runId === runId) return run;
    return undefined;
  }

  /** Runs whose ending is not decided yet (what maxRunsPerUser bounds). */
  undecided(): number {
    let count = 0;
    for (let run = this.first; run !== null; run = run.nextOfUser) if (run.ending === null) count += 1;
    return count;
  }

  /** The runs, oldest first, as a new array (a caller may end them while it goes through it). */
  toArray(): LiveRun[] {
    return this.appendTo([]);
  }

  /** Appends the runs to `runs`, oldest first; returns it. */
  appendTo(runs: LiveRun[]): LiveRun[] {
    for (let run = this.first; run !== null; run = run.nextOfUser) runs.push(run);
    return runs;
  }
}
