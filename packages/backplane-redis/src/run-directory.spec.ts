import { type RunId, type ThreadId, generateRunId, generateThreadId } from '@agentwirejs/types';
import { RunOwnedElsewhereError } from './errors';
import type { RedisBackplaneOptions } from './options';
import { cutConnection, eventually, range, testOptions, testUser, useTestbed } from './redis.test-helpers';
import { RedisRunDirectory, type RunOwnerRecord } from './run-directory';

describe('RedisRunDirectory', () => {
  const bed = useTestbed();
  const user = testUser('wes');
  const threadId: ThreadId = generateThreadId();
  const claim = { userId: user, threadId, state: 'running', agentName: 'demo' };

  /** A process's run directory; short liveness so deaths are noticed quickly. */
  async function directory(overrides: Partial<RedisBackplaneOptions> = {}): Promise<RedisRunDirectory> {
    const runs = bed.track(new RedisRunDirectory(testOptions(bed.prefix, { livenessTtlMs: 300, heartbeatIntervalMs: 50, ...overrides })));
    await runs.connect();
    return runs;
  }

  it('records who owns a run; only the owner may change or release it', async () => {
    const [mine, other] = [await directory(), await directory()];
    const runId = generateRunId();

    await mine.claim(runId, claim);
    await mine.claim(runId, { ...claim, state: 'running again' }); // claiming again is fine for the owner

    expect(await other.owner(runId)).toMatchObject({ runId, userId: user, threadId, agentName: 'demo', processId: mine.processId, state: 'running again', previousOwner: null });
    await expect(other.claim(runId, claim)).rejects.toBeInstanceOf(RunOwnedElsewhereError);
    expect(await other.update(runId, 'hijacked')).toBe(false);
    expect(await other.release(runId)).toBe(false);
    expect(await mine.update(runId, 'tool_executing')).toBe(true);
    expect((await other.owner(runId))?.state).toBe('tool_executing');
    expect(await mine.release(runId)).toBe(true);
    expect(await other.owner(runId)).toBeNull();
  });

  it("keeps a live owner's runs: they are never orphans", async () => {
    const [owner, survivor] = [await directory(), await directory()];
    const runId = generateRunId();
    await owner.claim(runId, claim);

    await new Promise((resolve) => setTimeout(resolve, 700)); // more than twice the liveness TTL

    expect(await survivor.findOrphans()).toEqual([]);
    expect(await survivor.takeOver(runId, 'dead')).toBeNull();
  });

  it("hands each run of a dead owner to exactly one of two survivors racing for it", async () => {
    const [doomed, left, right] = [await directory(), await directory(), await directory()];
    const runIds = range(1, 20).map(() => generateRunId());
    for (const runId of runIds) await doomed.claim(runId, claim);
    await doomed.close(); // stops refreshing: its liveness expires

    await eventually(async () => (await left.findOrphans()).length === 20, '20 orphans', 3_000);
    const outcomes = await Promise.all(runIds.flatMap((runId) => [left.takeOver(runId, 'dead'), right.takeOver(runId, 'dead')]));

    const won = outcomes.filter((record): record is RunOwnerRecord => record !== null);
    expect(won.map((record) => record.runId).sort()).toEqual([...runIds].sort()); // each run once, none twice
    expect(won.every((record) => record.previousOwner === doomed.processId && record.state === 'dead')).toBe(true);
    expect(await left.findOrphans()).toEqual([]);
    for (const record of won) expect((await left.owner(record.runId))?.processId).toBe(record.processId);
  });

  it('watchOrphans ends each orphaned run once across survivors, then releases it', async () => {
    const [doomed, left, right] = [await directory(), await directory(), await directory()];
    const ended: [string, RunId][] = [];
    left.watchOrphans((record) => void ended.push([left.processId, record.runId]), 20);
    let failOnce = true;
    right.watchOrphans((record) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('could not end it this time');
      }
      ended.push([right.processId, record.runId]);
    }, 20);
    const runIds = range(1, 10).map(() => generateRunId());
    for (const runId of runIds) await doomed.claim(runId, claim);
    await doomed.close();

    await eventually(() => ended.length >= 10, 'all 10 ended', 3_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended.map(([, runId]) => runId).sort()).toEqual([...runIds].sort());
    await eventually(async () => (await Promise.all(runIds.map((runId) => left.owner(runId)))).every((record) => record === null), 'all released');
  });

  it('tells the owner when it lost a run to a takeover while it could not refresh', async () => {
    const owner = await directory({ reconnectDelay: () => 900 });
    const survivor = await directory();
    const lost: RunId[] = [];
    owner.onLost((runId) => lost.push(runId));
    const runId = generateRunId();
    await owner.claim(runId, claim);

    await cutConnection(bed.admin, 'runs', owner.processId);
    await eventually(async () => (await survivor.takeOver(runId, 'dead')) !== null, 'the takeover', 3_000);
    await eventually(() => lost.length === 1, 'the owner noticing', 3_000);

    expect(lost).toEqual([runId]);
    expect(await owner.update(runId, 'still running?')).toBe(false);
  });
});
