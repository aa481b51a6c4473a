import type { RunEventEnvelope } from '@agentwirejs/protocols';
import { ClientErrorCode, RequestError } from './errors';
import { runEvents } from './fake-gateway.test-helpers';
import { AgentRun, type RunRequester } from './run';

/** Records what the run asks its client to send; `verdict` decides each request's fate. */
class RecordingRequester implements RunRequester {
  readonly sent: { readonly type: string; readonly [field: string]: unknown }[] = [];
  verdict: (message: { readonly type: string }) => Error | null = () => null;

  async request(message: { readonly type: string; readonly [field: string]: unknown }): Promise<void> {
    this.sent.push(message);
    const error = this.verdict(message);
    if (error !== null) throw error;
  }
}

const events = runEvents('run_1', 'thread_1');
let seq = 0;
/** An envelope of run_1 as the client hands it to the run (after dropping repeats). */
const envelope = (event: ReturnType<typeof events.started>): RunEventEnvelope =>
  ({ ...event, seq: (seq += 1), ts: new Date().toISOString(), user_id: 'alice' }) as unknown as RunEventEnvelope;

function startedRun(requester = new RecordingRequester()): { run: AgentRun; requester: RecordingRequester } {
  const run = new AgentRun('demo', 'thread_1', requester);
  run.bind('run_1');
  run.receive(envelope(events.started()));
  return { run, requester };
}

describe('a run handle', () => {
  it('gathers the answer from the text deltas, in order', async () => {
    const { run } = startedRun();
    const texts: string[] = [];
    run.on('text', (text) => texts.push(text));
    for (const event of [events.textStart(), events.text('The answer '), events.text('is '), events.text('42.'), events.textEnd()]) run.receive(envelope(event));
    expect(run.text).toBe('The answer is 42.');
    expect(texts).toEqual(['The answer ', 'is ', '42.']);
    expect(run.outcome).toBeNull();
  });

  it('is an async iterable of its events that ends after the terminal one, for an iterator begun late too', async () => {
    const { run } = startedRun();
    const early: string[] = [];
    const iterating = (async () => {
      for await (const event of run) early.push(event.type);
    })();
    for (const event of [events.textStart(), events.text('hi'), events.textEnd(), events.finished({ type: 'success' }, { result: { answer: 42 } })]) run.receive(envelope(event));
    await iterating;
    const late: string[] = [];
    for await (const event of run) late.push(event.type);
    const expected = ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED'];
    expect(early).toEqual(expected);
    expect(late).toEqual(expected);
    expect(await run.done).toEqual({ status: 'completed', runId: 'run_1', result: { answer: 42 } });
  });

  it('takes nothing after its terminal event', async () => {
    const { run } = startedRun();
    run.receive(envelope(events.finished()));
    run.receive(envelope(events.text('late')));
    expect(run.text).toBe('');
    expect(run.events.map((event) => event.type)).toEqual(['RUN_STARTED', 'RUN_FINISHED']);
  });

  it('states each way a run ends', async () => {
    const cancelled = startedRun().run;
    cancelled.receive(envelope(events.finished({ type: 'cancelled' }, { metadata: { agentwire: { code: 'cancelled', reason: 'cancelled by the user' } } })));
    expect(await cancelled.done).toEqual({ status: 'cancelled', runId: 'run_1', reason: 'cancelled by the user' });

    const failed = startedRun().run;
    failed.receive(envelope(events.error('timed_out', 'the run took longer than 60000 ms')));
    expect(await failed.done).toEqual({ status: 'failed', runId: 'run_1', code: 'timed_out', message: 'the run took longer than 60000 ms' });

    const refused = new AgentRun('demo', 'thread_2', new RecordingRequester());
    refused.refuse('limit_exceeded', 'too many runs');
    expect(await refused.done).toEqual({ status: 'refused', runId: null, code: 'limit_exceeded', message: 'too many runs' });
    expect(await refused.started).toBeNull();
    const none: unknown[] = [];
    for await (const event of refused) none.push(event);
    expect(none).toEqual([]);

    const detached = startedRun().run;
    detached.detach('the client was closed');
    expect(await detached.done).toEqual({ status: 'detached', runId: 'run_1', code: 'client_closed', message: 'the client was closed' });
  });

  it('lists the questions it asked and follows their status', () => {
    const { run } = startedRun();
    const seen: string[] = [];
    run.on('interrupt', (interrupt) => seen.push(`${interrupt.id}:${interrupt.status}`));
    run.receive(envelope(events.interrupt('q1')));
    expect(run.interrupts).toEqual([{ id: 'q1', reason: 'confirmation', message: 'Go ahead?', responseSchema: { type: 'boolean' }, status: 'pending' }]);
    run.receive(envelope(events.interruptResolved('q1', 'resolved')));
    expect(run.interrupts.map((interrupt) => interrupt.status)).toEqual(['resolved']);
    expect(seen).toEqual(['q1:pending', 'q1:resolved']);
  });

  it('answers a question with answer_interrupt and passes on a refusal', async () => {
    const { run, requester } = startedRun();
    await run.answer('q1', true);
    expect(requester.sent).toEqual([{ type: 'answer_interrupt', run_id: 'run_1', interrupt_id: 'q1', value: true }]);
    requester.verdict = () => new RequestError('invalid_message', 'the answer does not match the schema');
    await expect(run.answer('q1', 'yes')).rejects.toMatchObject({ code: 'invalid_message' });
  });

  it('cannot answer for a run that never started', async () => {
    const run = new AgentRun('demo', 'thread_3', new RecordingRequester());
    run.refuse('invalid_message', "unknown agent 'nope'");
    await expect(run.answer('q1', true)).rejects.toMatchObject({ code: ClientErrorCode.NotStarted });
  });

  it('cancels with cancel_run once its run id is known, and sends it again when the connection dropped first', async () => {
    const requester = new RecordingRequester();
    const run = new AgentRun('demo', 'thread_1', requester);
    const cancelling = run.cancel();
    expect(requester.sent).toEqual([]);
    let drops = 1;
    requester.verdict = () => (drops-- > 0 ? new RequestError(ClientErrorCode.ConnectionLost, 'dropped') : null);
    run.bind('run_1');
    await cancelling;
    expect(requester.sent).toEqual([
      { type: 'cancel_run', run_id: 'run_1' },
      { type: 'cancel_run', run_id: 'run_1' },
    ]);
  });

  it('does nothing when cancelled after it ended, and takes a late not_found as done when it ended meanwhile', async () => {
    const { run, requester } = startedRun();
    requester.verdict = () => {
      run.receive(envelope(events.finished()));
      return new RequestError('not_found', 'no such run');
    };
    await run.cancel();
    await run.cancel();
    expect(requester.sent).toHaveLength(1);
  });

  it('notes stream gaps while it is open', () => {
    const { run } = startedRun();
    run.noteGap({ from_seq: 3, to_seq: 9 });
    run.receive(envelope(events.finished()));
    run.noteGap({ from_seq: 20, to_seq: 21 });
    expect(run.gaps).toEqual([{ from_seq: 3, to_seq: 9 }]);
  });
});
