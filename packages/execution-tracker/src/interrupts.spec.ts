import { AgentwireCustomEvent, EventType } from '@agentwirejs/protocols';
import { InterruptNotFoundError, InvalidAnswerError, InvalidReportError, RunEndedError, RunNotFoundError } from './errors';
import { ControlledAgent, type Harness, type RecordedEvent, SINK_KINDS, T0, flush, harnessWith, rejectionOf, until } from './harness.test-helpers';
import type { AgentExecutionTracker } from './tracker';

/** The question of the demo: which time zone, as a JSON Schema the answer must satisfy. */
const TIME_ZONE_QUESTION = {
  reason: 'input_required',
  message: 'Which time zone?',
  responseSchema: {
    type: 'object',
    properties: { timeZone: { type: 'string', minLength: 1 } },
    required: ['timeZone'],
    additionalProperties: false,
  },
} as const;

/** Lets the clock pass in steps, sweeping after each, as the production timer would. */
function wait(h: Harness, ms: number, step = 1_000): { dead: number; timedOut: number; interruptsExpired: number } {
  const ended = { dead: 0, timedOut: 0, interruptsExpired: 0 };
  for (let passed = 0; passed < ms; passed += step) {
    h.clock.advance(Math.min(step, ms - passed));
    const report = h.registry.sweep();
    ended.dead += report.dead;
    ended.timedOut += report.timedOut;
    ended.interruptsExpired += report.interruptsExpired;
  }
  return ended;
}

/**
 * Ask and wait (AG-UI interrupt semantics): reporter.ask puts a question in the user's stream
 * (CUSTOM agentwire.interrupt) and waits; answerInterrupt checks the answer against the
 * question's schema and resolves the ask; the run's hang rule and timeout do not run while it
 * waits; an unanswered question ends the run with RUN_ERROR interrupt_expired.
 */
describe.each(SINK_KINDS)('an agent asks its user and waits for the answer, the sink taking events %s', (_how, newSink) => {
  const createHarness = harnessWith(newSink);
  let h: Harness;
  let agent: ControlledAgent;
  let alice: AgentExecutionTracker;

  beforeEach(() => {
    h = createHarness({ coalesceMs: 0 });
    agent = new ControlledAgent('clock-agent');
    alice = h.trackerFor('alice');
  });
  afterEach(() => h.close());

  async function asking(options: { timeoutMs?: number; hangAfterMs?: number; expiresInMs?: number } = {}) {
    const run = alice.startRun({ agent, input: 'What time is it?', timeoutMs: options.timeoutMs, hangAfterMs: options.hangAfterMs });
    await flush();
    const call = agent.call(run.runId);
    const answer = call.request.reporter.ask({ ...TIME_ZONE_QUESTION, expiresInMs: options.expiresInMs });
    const question = h.sink.ofType(run.runId, EventType.CUSTOM).at(-1)?.payload['value'] as { id: string };
    return { ...run, call, answer, interruptId: question.id };
  }

  function resolutions(runId: string): unknown[] {
    return h.sink
      .ofType(runId, EventType.CUSTOM)
      .filter((event) => event.payload['name'] === 'agentwire.interrupt_resolved')
      .map((event) => event.payload['value']);
  }

  it('puts the question in the stream as CUSTOM agentwire.interrupt, and resolves the ask with the answer', async () => {
    const { runId, call, answer, interruptId, outcome } = await asking();
    expect(h.sink.run(runId).at(-1)?.payload).toEqual({
      type: 'CUSTOM',
      name: 'agentwire.interrupt',
      value: {
        id: interruptId,
        reason: 'input_required',
        message: 'Which time zone?',
        responseSchema: TIME_ZONE_QUESTION.responseSchema,
        expiresAt: new Date(T0 + 300_000).toISOString(), // interruptExpiresMs, by default
      },
    });
    alice.answerInterrupt(runId, interruptId, { timeZone: 'Europe/Paris' });
    await expect(answer).resolves.toEqual({ timeZone: 'Europe/Paris' });
    expect(resolutions(runId)).toEqual([{ interruptId, status: 'resolved' }]);
    call.finish('It is 14:00 in Paris.');
    expect((await outcome).state).toBe('completed');
    expect(h.sink.types(runId)).toEqual(['RUN_STARTED', 'CUSTOM', 'CUSTOM', 'RUN_FINISHED']);
  });

  it('refuses an answer that does not match the response schema with InvalidAnswerError; the question stays open', async () => {
    const { runId, call, answer, interruptId, outcome } = await asking();
    for (const wrong of [{ timeZone: '' }, { zone: 'UTC' }, 'UTC', { timeZone: 'UTC', extra: 1 }]) {
      const error = (() => {
        try {
          alice.answerInterrupt(runId, interruptId, wrong);
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(InvalidAnswerError);
      expect(error).toMatchObject({ code: 'INVALID_ANSWER' });
    }
    expect(resolutions(runId)).toEqual([]);
    alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' });
    await expect(answer).resolves.toEqual({ timeZone: 'UTC' });
    call.finish('done');
    await outcome;
  });

  it('refuses an unknown or already answered question with InterruptNotFoundError', async () => {
    const { runId, call, interruptId, outcome } = await asking();
    expect(() => alice.answerInterrupt(runId, 'no-such-question', { timeZone: 'UTC' })).toThrow(InterruptNotFoundError);
    alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' });
    expect(() => alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' })).toThrow(InterruptNotFoundError);
    call.finish('done');
    await outcome;
    expect(() => alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' })).toThrow(InterruptNotFoundError);
  });

  it("treats another user's run exactly like an unknown run: RunNotFoundError, and the question stays open", async () => {
    const { runId, call, answer, interruptId, outcome } = await asking();
    const mallory = h.trackerFor('mallory');
    expect(() => mallory.answerInterrupt(runId, interruptId, { timeZone: 'UTC' })).toThrow(RunNotFoundError);
    expect(() => mallory.answerInterrupt('run_01J0000000000000000000000', interruptId, {})).toThrow(RunNotFoundError);
    expect(resolutions(runId)).toEqual([]);
    alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' });
    await answer;
    call.finish('done');
    await outcome;
  });

  it('does not let the hang rule end a run that waits; the rule starts over from the answer', async () => {
    const { runId, call, answer, interruptId, outcome } = await asking({ hangAfterMs: 5_000, timeoutMs: 3_600_000 });
    expect(wait(h, 60_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 });
    expect(alice.getRun(runId)?.state).toBe('running');
    alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' });
    await answer;
    expect(wait(h, 4_999, 500)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 });
    expect(wait(h, 1)).toEqual({ dead: 1, timedOut: 0, interruptsExpired: 0 });
    expect(await outcome).toMatchObject({ state: 'dead', durationMs: 65_000 });
    call.finish('too late');
  });

  it('pushes the run timeout back by the time it waited', async () => {
    const { runId, call, answer, interruptId, outcome } = await asking({ timeoutMs: 30_000 });
    h.clock.advance(10_000);
    expect(wait(h, 60_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 }); // past the 30 s timeout, still waiting
    alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' }); // waited 70 s: the run now times out at 100 s
    await answer;
    expect(wait(h, 29_999)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 });
    expect(wait(h, 1)).toEqual({ dead: 0, timedOut: 1, interruptsExpired: 0 });
    expect(await outcome).toMatchObject({ state: 'timed_out', durationMs: 100_000 });
    call.finish('too late');
  });

  it('ends the run once when the question expires: interrupt_resolved expired, then RUN_ERROR interrupt_expired; the ask rejects', async () => {
    const { runId, call, answer, interruptId, outcome } = await asking({ expiresInMs: 60_000 });
    expect(wait(h, 59_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 });
    expect(wait(h, 1_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 1 });
    expect(wait(h, 60_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 }); // once
    expect(await rejectionOf(answer)).toBeInstanceOf(RunEndedError);
    expect(await outcome).toMatchObject({ state: 'failed', durationMs: 60_000, error: { code: 'interrupt_expired' } });
    expect(call.request.signal.aborted).toBe(true);
    expect(h.sink.run(runId).slice(-2).map((event) => event.payload)).toEqual([
      { type: 'CUSTOM', name: 'agentwire.interrupt_resolved', value: { interruptId, status: 'expired' } },
      {
        type: 'RUN_ERROR',
        code: 'interrupt_expired',
        message: 'A question to the user expired unanswered',
        metadata: { agentwire: { duration_ms: 60_000, event_count: 4 } },
      },
    ]);
    expect(() => alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' })).toThrow(InterruptNotFoundError);
    call.finish('too late');
  });

  it('ends the run by the expiry when an answer arrives after it but before the sweep', async () => {
    const { runId, answer, interruptId, outcome } = await asking({ expiresInMs: 1_000 });
    h.clock.advance(1_000);
    expect(() => alice.answerInterrupt(runId, interruptId, { timeZone: 'UTC' })).toThrow(InterruptNotFoundError);
    expect(await rejectionOf(answer)).toBeInstanceOf(RunEndedError);
    expect(await outcome).toMatchObject({ state: 'failed', error: { code: 'interrupt_expired' } });
    expect(h.registry.sweep().interruptsExpired).toBe(0);
  });

  it('rejects the ask and marks the question cancelled when the run is cancelled while it waits', async () => {
    const { runId, call, answer, interruptId, outcome } = await asking();
    await alice.cancel(runId, 'never mind');
    expect(await rejectionOf(answer)).toBeInstanceOf(RunEndedError);
    expect(call.request.signal.aborted).toBe(true);
    expect((await outcome).state).toBe('cancelled');
    expect(h.sink.run(runId).slice(-2).map((event) => event.payload)).toEqual([
      { type: 'CUSTOM', name: 'agentwire.interrupt_resolved', value: { interruptId, status: 'cancelled' } },
      expect.objectContaining({ type: 'RUN_FINISHED', outcome: { type: 'cancelled' } }),
    ]);
  });

  it('waits until every open question is answered; each says how it ended', async () => {
    const run = alice.startRun({ agent, input: 'x', timeoutMs: 10_000 });
    await flush();
    const { reporter } = agent.call(run.runId).request;
    const zone = reporter.ask({ reason: 'input_required', message: 'Zone?', expiresInMs: 120_000 });
    const format = reporter.ask({ reason: 'input_required', message: '12 or 24 h?', expiresInMs: 60_000 });
    await flush();
    const ids = h.sink.ofType(run.runId, EventType.CUSTOM).map((event) => (event.payload['value'] as { id: string }).id);
    expect(new Set(ids).size).toBe(2);
    alice.answerInterrupt(run.runId, ids[0] as string, 'UTC');
    await expect(zone).resolves.toBe('UTC');
    expect(wait(h, 59_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 0 }); // the other still waits: no timeout
    expect(wait(h, 1_000)).toEqual({ dead: 0, timedOut: 0, interruptsExpired: 1 });
    expect(await rejectionOf(format)).toBeInstanceOf(RunEndedError);
    expect(resolutions(run.runId)).toEqual([
      { interruptId: ids[0], status: 'resolved' },
      { interruptId: ids[1], status: 'expired' },
    ]);
  });

  it('refuses a question without a reason, with a response schema that is not one, or with a bad expiry: InvalidReportError, nothing sent', async () => {
    const run = alice.startRun({ agent, input: 'x' });
    await flush();
    const { reporter } = agent.call(run.runId).request;
    const refused = await Promise.all([
      rejectionOf(reporter.ask({ reason: '' })),
      rejectionOf(reporter.ask({ reason: 'input_required', responseSchema: { type: 'no-such-type' } })),
      rejectionOf(reporter.ask({ reason: 'input_required', expiresInMs: 0 })),
      rejectionOf(reporter.ask({ reason: 'input_required', expiresInMs: Number.POSITIVE_INFINITY })),
    ]);
    for (const error of refused) expect(error).toBeInstanceOf(InvalidReportError);
    expect(h.sink.ofType(run.runId, EventType.CUSTOM)).toEqual([]);
    agent.call(run.runId).finish('no questions');
    await run.outcome;
  });

  it('compiles each question’s schema afresh: the same $id may be asked again', async () => {
    const run = alice.startRun({ agent, input: 'x' });
    await flush();
    const { reporter } = agent.call(run.runId).request;
    const schema = { $id: 'https://example.com/zone', type: 'string' };
    for (let round = 0; round < 2; round += 1) {
      const answer = reporter.ask({ reason: 'input_required', responseSchema: { ...schema } });
      const questions = (): RecordedEvent[] => h.sink.ofType(run.runId, EventType.CUSTOM).filter((event) => event.payload['name'] === AgentwireCustomEvent.Interrupt);
      await until(() => questions().length === round + 1); // this round's question is out
      const id = (questions().at(-1)?.payload['value'] as { id: string }).id;
      expect(() => alice.answerInterrupt(run.runId, id, 42)).toThrow(InvalidAnswerError);
      alice.answerInterrupt(run.runId, id, 'UTC');
      await expect(answer).resolves.toBe('UTC');
    }
    agent.call(run.runId).finish('asked twice');
    expect((await run.outcome).state).toBe('completed');
  });

  it('takes the default expiry from the interruptExpiresMs option', async () => {
    const quick = createHarness({ coalesceMs: 0, interruptExpiresMs: 2_000 });
    const quickAgent = new ControlledAgent();
    const run = quick.trackerFor('alice').startRun({ agent: quickAgent, input: 'x' });
    await flush();
    const answer = quickAgent.call(run.runId).request.reporter.ask({ reason: 'input_required' });
    quick.clock.advance(2_000);
    expect(quick.registry.sweep().interruptsExpired).toBe(1);
    expect(await rejectionOf(answer)).toBeInstanceOf(RunEndedError);
    await quick.close();
  });
});
