import { EventType } from '@agentwirejs/protocols';
import { foldedTypes } from './harness.test-helpers';
import { PythonAgentProcess } from './python-agent.test-helpers';
import { type RemoteAgentUnderTest, agentBehindGateway, cancelMidAnswerAbortsTheRequest, reconnectMidAnswerIsExact } from './remote-agent-contract.test-helpers';
import { isTerminal, seqProblems, streamOf, textOf } from './v2.test-helpers';

/**
 * The Python AG-UI agent of examples/python-agent (FastAPI + uvicorn, a real process) as a remote
 * agent of a real gateway, seen by real agentwire.v2 clients: every message each client receives
 * is checked against the wire contract (run events against @ag-ui/core's EventSchemas).
 */

/** Words a second the agent sends: slow enough to drop a tab or cancel mid-answer. */
const TOKENS_PER_SECOND = 10;
/** The answer agent.py documents: "You said: " and the input, whitespace collapsed. */
const answerTo = (input: string): string => `You said: ${input.split(/\s+/).join(' ')}`;

describe('the Python AG-UI agent (examples/python-agent) as a remote agent through the gateway', () => {
  const { agent: running, connect } = agentBehindGateway(() => PythonAgentProcess.start({ AGENT_TOKENS_PER_SECOND: String(TOKENS_PER_SECOND) }), 'py');
  const underTest = (): RemoteAgentUnderTest => ({
    agentName: 'py',
    tokensPerSecond: TOKENS_PER_SECOND,
    answerTo,
    sawRequestAborted: (runId) => running().printedLine(`request aborted: run ${runId}`, 5_000),
    get stdout() {
      return running().stdout;
    },
  });

  it("streams the gateway's RUN_STARTED, the agent's reasoning and its answer word by word, and one RUN_FINISHED", async () => {
    const input = 'hello there from agentwire';
    const client = await connect('alice');
    client.send({ type: 'start_agent', agent: 'py', input });
    const finished = await client.waitFor(isTerminal, 10_000);
    const run = streamOf(client).filter((message) => message.run_id === finished.run_id);

    expect(foldedTypes(run)).toEqual([
      EventType.RUN_STARTED,
      EventType.REASONING_START,
      EventType.REASONING_MESSAGE_START,
      EventType.REASONING_MESSAGE_CONTENT,
      EventType.REASONING_MESSAGE_END,
      EventType.REASONING_END,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    expect(run.filter(isTerminal)).toHaveLength(1);
    // One RUN_STARTED, the gateway's: the remote's own is not forwarded.
    expect(run[0]?.payload).toMatchObject({ type: EventType.RUN_STARTED, runId: finished.run_id, threadId: finished.thread_id });
    expect(finished).toMatchObject({ type: EventType.RUN_FINISHED, payload: { outcome: { type: 'success' } } });
    expect(textOf(run)).toBe(answerTo(input));
    expect(textOf(run)).toBe('You said: hello there from agentwire');
    expect(run.filter((message) => message.type === EventType.REASONING_MESSAGE_CONTENT).map((message) => message.payload['delta'])).toEqual([
      'I echo the last user message, word by word.',
    ]);
    // The remote's message ids are kept: its text message is "msg-<uuid>", its reasoning "reasoning-<uuid>".
    expect(run.find((message) => message.type === EventType.TEXT_MESSAGE_START)?.payload['messageId']).toMatch(/^msg-/);
    expect(run.find((message) => message.type === EventType.REASONING_MESSAGE_START)?.payload['messageId']).toMatch(/^reasoning-/);
    expect(seqProblems(run)).toEqual([]);
    await running().printedLine(`run finished: run ${String(finished.run_id)}`);
  });

  it('gives a tab that drops mid-answer and reconnects with ?after_seq&epoch the exact rest of the answer (the missed part compacted) and one terminal event', async () => {
    await reconnectMidAnswerIsExact(underTest(), connect, 'bob');
  });

  it('cancel_run mid-answer ends the run once as cancelled, sends nothing of it afterwards, and the Python agent sees the request aborted', async () => {
    await cancelMidAnswerAbortsTheRequest(underTest(), connect, 'carol');
  });
});
