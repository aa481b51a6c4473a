import type { LiveRun } from './live-run';
import { UserRuns } from './user-runs';

/** The fields of a run the list reads and writes. */
function run(runId: string, ended = false): LiveRun {
  return { record: { runId }, ending: ended ? { state: 'cancelled', reason: null } : null, previousOfUser: null, nextOfUser: null } as unknown as LiveRun;
}

const ids = (runs: UserRuns): string[] => runs.toArray().map((each) => each.record.runId);

describe("a user's unsettled runs (UserRuns)", () => {
  it('keeps them oldest first whichever leaves, first, last or between, and finds them by id', () => {
    const runs = new UserRuns();
    const [a, b, c, d] = [run('a'), run('b', true), run('c'), run('d')] as [LiveRun, LiveRun, LiveRun, LiveRun];
    for (const each of [a, b, c, d]) runs.add(each);
    expect(ids(runs)).toEqual(['a', 'b', 'c', 'd']);
    expect(runs.undecided()).toBe(3);
    runs.remove(c);
    expect(ids(runs)).toEqual(['a', 'b', 'd']);
    runs.remove(a);
    runs.remove(d);
    expect(ids(runs)).toEqual(['b']);
    expect(runs.find('b')).toBe(b);
    expect(runs.find('a')).toBeUndefined();
    runs.add(a);
    expect(ids(runs)).toEqual(['b', 'a']);
    expect(runs.size).toBe(2);
  });

  it('leaves a run already taken out alone, so a second removal changes nothing', () => {
    const runs = new UserRuns();
    const [a, b] = [run('a'), run('b')] as [LiveRun, LiveRun];
    runs.add(a);
    runs.add(b);
    runs.remove(b);
    runs.remove(b);
    expect(ids(runs)).toEqual(['a']);
    expect(runs.size).toBe(1);
    runs.remove(a);
    expect({ ids: ids(runs), size: runs.size }).toEqual({ ids: [], size: 0 });
  });
});
