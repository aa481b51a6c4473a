import { type AgentEventSink, type AgentEventSinkOptions, type AgentRunRequest, EventType, checkUserStream } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { RunNotFoundError } from './errors';
import { ControlledAgent, type Harness, RecordingSink, createHarness, flush, scriptedAgent } from './harness.test-helpers';
import type { RunRecord } from './run-record';
import { InMemoryRunStore } from './run-store';

/** An agent that thinks, calls a tool and answers, yielding to other runs between steps. */
const busyAgent = scriptedAgent('busy', async ({ reporter, userId, runId }: AgentRunRequest) => {
  const step = () => new Promise((resolve) => setImmediate(resolve));
  reporter.thinking(`working for ${userId}`);
  await step();
  const tool = reporter.toolStarted('lookup', { runId });
  await step();
  tool.complete({ owner: userId }, true);
  await step();
  return { finalResponse: `done for ${userId}` };
});

async function caught(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** A sink that hands out user-bound sinks (as the manager does) and records which bound sink each event went through. */
class BoundSinks extends RecordingSink {
  readonly through: { readonly boundTo: string; readonly userId: string; readonly runId: string }[] = [];
  readonly asked: (AgentEventSinkOptions | undefined)[] = [];
  forUser(boundTo: UserId, options?: AgentEventSinkOptions): AgentEventSink {
    this.asked.push(options);
    return {
      emitAgentEvent: (userId, event) => {
        this.through.push({ boundTo, userId, runId: event.run_id });
        return this.emitAgentEvent(userId, event);
      },
    };
  }
}

describe('user isolation', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('leaves nothing behind when the sink refuses to bind to the user (no run, no record, no count)', () => {
    const sink = new BoundSinks();
    sink.forUser = (userId: UserId): AgentEventSink => {
      throw new Error(`no sink for ${userId}`);
    };
    h = createHarness({ sink });
    expect(() => h.trackerFor('mallory').startRun({ agent: busyAgent, input: 'x' })).toThrow('no sink for mallory');
    expect(h.trackerFor('mallory').getUserExecutions()).toEqual([]);
    expect({ active: h.registry.metrics().active, pending: h.registry.metrics().live.pending }).toEqual({ active: 0, pending: 0 });
  });

  it("emits every run's events through the sink bound to the run's user, when the sink offers bound sinks", async () => {
    const sink = new BoundSinks();
    h = createHarness({ sink });
    const runs = ['ann', 'bob', 'cy'].map((user) => ({ user, run: h.trackerFor(user).startRun({ agent: busyAgent, input: user }) }));
    await Promise.all(runs.map(({ run }) => run.outcome));
    expect(sink.through.length).toBe(sink.events.length);
    expect(sink.through.length).toBeGreaterThanOrEqual(runs.length * 5);
    // the tracker checks its events itself (the manager then does not check them again); this
    // sink still checks every one (RecordingSink), so a tracker-built event that is not valid fails here
    expect(sink.asked).toEqual(runs.map(() => ({ eventsChecked: true })));
    expect(sink.invalid).toEqual([]);
    for (const { user, run } of runs) {
      const mine = sink.through.filter((entry) => entry.runId === run.runId);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((entry) => entry.boundTo === user && entry.userId === user)).toBe(true);
    }
  });

  it('runs many users at once; each sees only its own runs, and each user stream holds only its own events', async () => {
    h = createHarness();
    const users = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const started = users.flatMap((user) =>
      Array.from({ length: 3 }, () => ({ user, run: h.trackerFor(user).startRun({ agent: busyAgent, input: `hello from ${user}` }) })),
    );
    const outcomes = await Promise.all(started.map(({ run }) => run.outcome));
    expect(outcomes.every((outcome) => outcome.state === 'completed')).toBe(true);

    for (const user of users) {
      const tracker = h.trackerFor(user);
      const mine = started.filter((entry) => entry.user === user).map((entry) => entry.run.runId);
      expect(tracker.getUserExecutions().map((run) => run.runId)).toEqual(mine);
      expect(tracker.counts()).toMatchObject({ live: 0, total: 3, byState: { completed: 3 } });
      const stream = h.sink.eventsOf(user);
      expect(checkUserStream(stream, user, { afterSeq: 0 }).problems).toEqual([]);
      expect(new Set(stream.map((event) => event.run_id))).toEqual(new Set(mine));
      expect(stream.filter((event) => event.type === EventType.TOOL_CALL_RESULT).map((event) => JSON.parse(String(event.payload['content'])))).toEqual([
        { owner: user },
        { owner: user },
        { owner: user },
      ]);
    }
    // RUN_STARTED, a thought (one REASONING_MESSAGE_CHUNK), a tool call (START, ARGS, END) with its result, RUN_FINISHED
    expect(h.sink.events).toHaveLength(60 * 3 * 7);
  });

  it("treats another user's run id exactly like an unknown id, for reading, heartbeats and cancelling", async () => {
    h = createHarness();
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const mallory = h.trackerFor('mallory');
    const live = alice.startRun({ agent, input: 'secret plans' });
    const finished = alice.startRun({ agent, input: 'old plans' });
    await alice.cancel(finished.runId);
    await flush();
    const unknown = 'run_01J0000000000000000000000';
    const eventsBefore = h.sink.events.length;

    const probes: ((runId: string) => unknown)[] = [(id) => mallory.heartbeat(id), (id) => mallory.cancel(id, 'probe')];
    const shape = (error: unknown, id: string) => {
      const { code, message, name } = error as RunNotFoundError;
      return { code, name, message: message.replace(id, '<id>') };
    };
    for (const foreign of [live.runId, finished.runId]) {
      expect(mallory.getRun(foreign)).toBeNull();
      for (const probe of probes) {
        const foreignError = await caught(() => probe(foreign));
        const unknownError = await caught(() => probe(unknown));
        expect(foreignError).toBeInstanceOf(RunNotFoundError);
        expect(shape(foreignError, foreign)).toEqual(shape(unknownError, unknown));
        expect(shape(foreignError, foreign)).toEqual({ code: 'RUN_NOT_FOUND', name: 'RunNotFoundError', message: 'Run "<id>" not found' });
      }
    }
    expect(mallory.getRun(unknown)).toBeNull();
    expect(mallory.getRun(42 as unknown as string)).toBeNull();
    expect(() => mallory.heartbeat(42 as unknown as string)).toThrow(RunNotFoundError);
    expect(mallory.getUserExecutions()).toEqual([]);
    expect(mallory.counts()).toMatchObject({ live: 0, total: 0 });
    await expect(mallory.cleanupUserData()).resolves.toBe(0);

    // alice's runs are untouched, and nothing was emitted by the probes
    expect(alice.getRun(live.runId)).toMatchObject({ state: 'running', heartbeatCount: 0, cancelReason: null });
    expect(alice.getRun(finished.runId)?.state).toBe('cancelled');
    expect(h.sink.events).toHaveLength(eventsBefore);
  });

  it("cleanupUserData cancels the user's live runs and deletes only that user's records", async () => {
    h = createHarness();
    const agent = new ControlledAgent();
    const alice = h.trackerFor('alice');
    const bob = h.trackerFor('bob');
    const aliceLive = alice.startRun({ agent, input: 'a' });
    const aliceDone = alice.startRun({ agent, input: 'b' });
    await alice.cancel(aliceDone.runId);
    const bobLive = bob.startRun({ agent, input: 'c' });
    await expect(alice.cleanupUserData()).resolves.toBe(2);
    expect(await aliceLive.outcome).toMatchObject({ state: 'cancelled', cancelReason: 'user data cleanup' });
    expect(alice.getUserExecutions()).toEqual([]);
    expect(alice.counts().total).toBe(0);
    expect(bob.getRun(bobLive.runId)?.state).toBe('running');
    expect(h.registry.metrics().retained).toBe(0);
  });

  it("reads one user's runs through the per-user index, never through other users' records", async () => {
    const store = new InMemoryRunStore();
    const listed: UserId[] = [];
    const list = store.listByUser.bind(store);
    store.listByUser = (userId: UserId): RunRecord[] => {
      listed.push(userId);
      return list(userId);
    };
    h = createHarness({ store });
    const agent = new ControlledAgent();
    for (let i = 0; i < 1_000; i += 1) h.trackerFor(`crowd-${i}`).startRun({ agent, input: 'x' });
    const alice = h.trackerFor('alice');
    alice.startRun({ agent, input: 'mine' });
    expect(alice.getUserExecutions()).toHaveLength(1);
    expect(alice.counts().total).toBe(1);
    expect(listed).toEqual(['alice', 'alice']);
    expect(store.users).toBe(1_001);
  });
});
