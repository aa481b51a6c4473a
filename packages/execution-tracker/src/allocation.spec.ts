import type { AgentEventSink, AgentRunResult, AppendFailures, SendResult } from '@agentwirejs/protocols';
import { allocatedBytesEach } from '@agentwirejs/types/testing';
import type { LiveRun } from './live-run';
import { type ReporterHost, RunReporter } from './reporter';
import { createHarness, scriptedAgent } from './harness.test-helpers';
import type { ExecutionTrackerOptions } from './options';
import { kEngine } from './registry';
import type { UserRuns } from './user-runs';

/** A sink that keeps nothing and answers at once, so what is measured is the tracker's. */
const discardingSink: AgentEventSink = {
  emitAgentEvent: async (): Promise<SendResult> => ({ seq: 0, connections: 0 }),
};

/** Bytes allocated per run, from startRun to its settled outcome, of an agent that reports once (20,000 runs after 5,000). */
async function bytesPerRunReportingOnce(options: Partial<ExecutionTrackerOptions>): Promise<number> {
  const h = createHarness({ maxRetainedRuns: 1_000, ...options });
  const agent = scriptedAgent('reporter', async ({ reporter }): Promise<AgentRunResult> => {
    await reporter.thinking('thinking it over');
    return { finalResponse: 'done' };
  });
  const tracker = h.trackerFor('user-1');
  const bytes = await allocatedBytesEach(20_000, () => tracker.startRun({ agent, input: 'go' }).outcome, { warmup: 5_000 });
  await h.registry.shutdown({ graceMs: 0 });
  return bytes;
}

describe('what starting a run allocates (the garbage young-generation collections follow)', () => {
  it('a run\'s reporter is a few fields, not a function per call', async () => {
    const run = { record: { runId: 'run_01KBNB1W5J8ZQ4X2M6T7V9C3DE' } } as unknown as LiveRun;
    const host = {} as ReporterHost;
    // measured 40-48 bytes; made of closures (one per call, plus their context) it allocated about 1,700
    expect(await allocatedBytesEach(100_000, () => new RunReporter(run, host))).toBeLessThan(150);
  });

  it('a whole run, from startRun to its settled outcome, that reports once', async () => {
    const bytes = await bytesPerRunReportingOnce({ sink: discardingSink });
    // measured about 4,640 bytes (4,910 with the agent called from an async frame); about 6,200
    // with a Map of active runs by id, a Set per user, a Map as the retention queue, queues and
    // batches pushed onto while empty and handlers per batch;
    // 6,730 when every run made and dropped its user's set of active runs, 8,520 with the reporter made of closures
    expect(bytes).toBeLessThan(5_000);
  });

  it('a whole run that reports once, its events handed to a batching sink at the end of each turn (maxBatchesInFlight, as the server sets it)', async () => {
    const batchingSink: AgentEventSink = {
      emitAgentEvent: async (): Promise<SendResult> => ({ seq: 0, connections: 0 }),
      emitAgentEvents: async (): Promise<AppendFailures> => null,
    };
    const bytes = await bytesPerRunReportingOnce({ sink: batchingSink, maxEventsInFlight: 32, maxBatchesInFlight: 32, eventHighWater: 8 });
    // measured 4,610 to 4,660 bytes (a tick object for the turn in which the agent reported; RUN_STARTED
    // goes at once); 4,740 on the same machine when RUN_STARTED waited for the end of its turn too
    // (4,830 to 4,850 on another). One end-of-turn tick shared by every run of the turn, and each run's
    // queue made with room for three entries, were tried and not kept (bench README, issue 19, 2026-12-07)
    expect(bytes).toBeLessThan(5_000);
  });

  it('keeps a user\'s list of active runs between runs, and the sweep drops the lists of users with none', async () => {
    const h = createHarness({ sink: discardingSink });
    const agent = scriptedAgent('quick', async (): Promise<AgentRunResult> => ({ finalResponse: 'done' }));
    const activeByUser = (h.registry[kEngine] as unknown as { activeByUser: Map<string, UserRuns> }).activeByUser;
    await Promise.all(Array.from({ length: 50 }, (_, user) => h.trackerFor(`user-${user}`).startRun({ agent, input: 'go' }).outcome));
    expect(activeByUser.size).toBe(50); // kept empty until the sweep
    const busy = h.trackerFor('user-0').startRun({ agent: scriptedAgent('slow', () => new Promise(() => undefined)), input: 'wait' });
    h.registry.sweep();
    expect([...activeByUser.keys()]).toEqual(['user-0']); // the user with an active run keeps its list
    expect(h.trackerFor('user-0').counts().live).toBe(1);
    await h.registry.shutdown({ graceMs: 0 });
    await busy.outcome;
  });
});

