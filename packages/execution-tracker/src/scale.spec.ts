import { type AgentRunReporter, EventType } from '@agentwirejs/protocols';
import { ControlledAgent, createHarness, flush } from './harness.test-helpers';

const USERS = 20_000;
const RUNS_PER_USER = 5; // the default per-user limit
const SILENT_EVERY = 100; // 1 run in 100 stops heartbeating: 1,000 of 100,000

describe('at scale', () => {
  it('keeps 100,000 live runs heartbeating, and expiring 1,000 of them pops only those 1,000 heap entries', async () => {
    const h = createHarness({ timeoutMs: 3_600_000, hangAfterMs: 10_000, maxRetainedRuns: 100_000 });
    const agent = new ControlledAgent();
    for (let user = 0; user < USERS; user += 1) {
      const tracker = h.trackerFor(`user-${user}`);
      for (let run = 0; run < RUNS_PER_USER; run += 1) tracker.startRun({ agent, input: 'work' });
    }
    await flush();
    expect(agent.calls).toHaveLength(100_000);
    expect(h.registry.metrics()).toMatchObject({ active: 100_000, deadlines: 100_000, live: { running: 100_000 } });

    const reporters = agent.calls.map((call) => call.request.reporter);
    const beating: AgentRunReporter[] = reporters.filter((_, index) => index % SILENT_EVERY !== 0);
    const silent = agent.calls.filter((_, index) => index % SILENT_EVERY === 0).map((call) => call.request.runId);
    expect(silent).toHaveLength(1_000);

    // Two rounds of heartbeats, 4 s apart: nothing is due, so a sweep pops nothing.
    for (let round = 0; round < 2; round += 1) {
      h.clock.advance(4_000);
      for (const reporter of beating) reporter.heartbeat();
      expect(h.registry.sweep().popped).toBe(0);
    }
    // At 10 s the silent runs are due: the sweep pops exactly their entries.
    h.clock.advance(2_000);
    expect(h.registry.sweep()).toEqual({ popped: 1_000, timedOut: 0, dead: 1_000, interruptsExpired: 0, evicted: 0 });
    await flush();
    expect(h.registry.metrics()).toMatchObject({ active: 99_000, deadlines: 99_000, ended: { dead: 1_000 } });
    for (const runId of silent) expect(h.sink.types(runId)).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);

    // Endless heartbeats neither grow the heap nor make sweeps do work.
    for (let round = 0; round < 10; round += 1) {
      h.clock.advance(4_000);
      for (const reporter of beating) reporter.heartbeat();
      expect(h.registry.sweep().popped).toBe(0);
      expect(h.registry.metrics().deadlines).toBe(99_000);
    }
    expect(h.registry.metrics()).toMatchObject({ active: 99_000, live: { running: 99_000 } });

    await h.close(); // every run ends (shutdown) with exactly one terminal event, in order
    expect(h.registry.metrics().ended).toMatchObject({ dead: 1_000, failed: 99_000 });
  }, 120_000);
});
