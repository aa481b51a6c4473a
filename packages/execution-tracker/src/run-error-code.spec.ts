import { AgentErrorCode, EventType } from '@agentwirejs/protocols';
import { type Harness, createHarness, scriptedAgent } from './harness.test-helpers';

/** An error as an agent throws it when it knows why it failed (a remote agent's remote_http_error, say). */
function coded(runErrorCode: unknown, message: string): Error {
  return Object.assign(new Error(message), { runErrorCode });
}

describe("a run whose agent throws an error with its own RUN_ERROR code (runErrorCode)", () => {
  let h: Harness;
  beforeEach(() => (h = createHarness()));
  afterEach(() => h.close());

  async function endingOf(thrown: unknown) {
    const agent = scriptedAgent('coded', () => Promise.reject(thrown));
    const { runId, outcome } = h.trackerFor('alice').startRun({ agent, input: 'x' });
    const result = await outcome;
    return { result, terminal: h.sink.run(runId).at(-1)?.payload, types: h.sink.types(runId) };
  }

  it('ends failed with that code and the error message, as the one RUN_ERROR', async () => {
    const { result, terminal, types } = await endingOf(coded('remote_http_error', 'The remote agent answered HTTP 503'));
    expect(result).toMatchObject({ state: 'failed', error: { code: 'remote_http_error', message: 'The remote agent answered HTTP 503' } });
    expect(terminal).toMatchObject({ type: EventType.RUN_ERROR, code: 'remote_http_error', message: 'The remote agent answered HTTP 503' });
    expect(types).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
  });

  it.each([
    ['a code that is not lower-case snake_case', 'Remote Error'],
    ['a code longer than 64 characters', `x${'y'.repeat(64)}`],
    ['a code that is not a string', 503],
    ["one of the tracker's own codes", AgentErrorCode.TimedOut],
  ])('ends agent_failed for %s', async (_what, runErrorCode) => {
    const { result } = await endingOf(coded(runErrorCode, 'broken'));
    expect(result).toMatchObject({ state: 'failed', error: { code: AgentErrorCode.AgentFailed, message: 'The agent failed: broken' } });
  });

  it.each([
    ['a number', 503, '503'],
    ['undefined', undefined, 'undefined'],
    ['an object without a text form', Object.create(null) as unknown, 'a value that has no text form'],
  ])('sends a RUN_ERROR whose message is text when the thrown message is %s', async (_what, message, text) => {
    const thrown = Object.assign(new Error('placeholder'), { runErrorCode: 'upstream_failed' });
    Object.defineProperty(thrown, 'message', { value: message });
    const { result, terminal, types } = await endingOf(thrown);
    expect(result).toMatchObject({ state: 'failed', error: { code: 'upstream_failed', message: text } });
    expect(terminal).toMatchObject({ type: EventType.RUN_ERROR, code: 'upstream_failed', message: text });
    expect(types).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
    expect(h.sink.invalid).toEqual([]);
  });
});
