import { EventType } from '@agentwirejs/protocols';
import { foldedTypes, isRunFinished } from './harness.test-helpers';
import { LangGraphAgentProcess, type LangGraphAgentStats } from './langgraph-agent.test-helpers';
import { type RemoteAgentUnderTest, agentBehindGateway, cancelMidAnswerAbortsTheRequest, reconnectMidAnswerIsExact } from './remote-agent-contract.test-helpers';
import { type V2Envelope, isTerminal, seqProblems, streamOf, textOf } from './v2.test-helpers';

/**
 * The LangGraph JS agent of examples/langgraph-agent (a StateGraph with a model node and a tool
 * node, driven by a chat model that needs no network, served over HTTP + SSE with
 * @ag-ui/encoder; a real Node process) as a remote agent of a real gateway, seen by real
 * agentwire.v2 clients: every message each client receives is checked against the wire contract
 * (run events against @ag-ui/core's EventSchemas).
 */

/** Chunks a second the agent's model streams (answer words, tool call pieces): slow enough to drop a tab or cancel mid-answer. */
const TOKENS_PER_SECOND = 10;
/** The answer the example documents: the user's text (whitespace collapsed) in quotes, and word_count's count. */
const answerTo = (input: string): string => {
  const words = input.split(/\s+/).filter(Boolean);
  return `"${words.join(' ')}" has ${words.length === 1 ? '1 word' : `${words.length} words`}.`;
};
const payloadsOf = (run: readonly V2Envelope[], type: string) => run.filter((message) => message.type === type).map((message) => message.payload);

describe('the LangGraph JS agent (examples/langgraph-agent) as a remote agent through the gateway', () => {
  // one envelope per delta, so the stream shows the model's pace token by token
  const { agent: running, connect } = agentBehindGateway(() => LangGraphAgentProcess.start({ AGENT_TOKENS_PER_SECOND: String(TOKENS_PER_SECOND) }), 'lg', { AGENTWIRE_STREAM_COALESCE_MS: '0' });
  const underTest = (): RemoteAgentUnderTest => ({
    agentName: 'lg',
    tokensPerSecond: TOKENS_PER_SECOND,
    answerTo,
    sawRequestAborted: (runId) => running().printedLine(`request aborted: run ${runId}`, 5_000),
    get stdout() {
      return running().stdout;
    },
  });

  it("streams the graph's steps, the model's word_count call and the tool's result, the answer token by token, and one RUN_FINISHED", async () => {
    const before = await running().stats();
    const input = 'hello there from   agentwire';
    const client = await connect('alice');
    client.send({ type: 'start_agent', agent: 'lg', input });
    const finished = await client.waitFor(isTerminal, 10_000);
    const run = streamOf(client).filter((message) => message.run_id === finished.run_id);

    expect(foldedTypes(run)).toEqual([
      EventType.RUN_STARTED,
      EventType.STEP_STARTED,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.STEP_FINISHED,
      EventType.STEP_STARTED,
      EventType.TOOL_CALL_RESULT,
      EventType.STEP_FINISHED,
      EventType.STEP_STARTED,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.STEP_FINISHED,
      EventType.RUN_FINISHED,
    ]);
    expect(run.filter(isTerminal)).toHaveLength(1);
    // One RUN_STARTED, the gateway's: the remote's own is not forwarded.
    expect(run[0]?.payload).toMatchObject({ type: EventType.RUN_STARTED, runId: finished.run_id, threadId: finished.thread_id });
    expect(finished).toMatchObject({ type: EventType.RUN_FINISHED, payload: { outcome: { type: 'success' } } });
    expect(payloadsOf(run, EventType.STEP_STARTED).map((payload) => payload['stepName'])).toEqual(['model', 'tools', 'model']);

    // The tool call keeps the remote's id from start to result; its arguments arrive in the model's three pieces.
    const [start] = payloadsOf(run, EventType.TOOL_CALL_START);
    expect(start).toMatchObject({ toolCallName: 'word_count', toolCallId: expect.stringMatching(/^call_/) });
    const toolCallId = start?.['toolCallId'];
    expect(payloadsOf(run, EventType.TOOL_CALL_ARGS).map((payload) => payload['delta'])).toEqual(['{"text":', '"hello there from agentwire"', '}']);
    expect(payloadsOf(run, EventType.TOOL_CALL_RESULT)).toEqual([expect.objectContaining({ toolCallId, content: '{"words":4}' })]);

    // The answer, one envelope per token the model streamed, adding up to the exact text.
    expect(textOf(run)).toBe(answerTo(input));
    expect(textOf(run)).toBe('"hello there from agentwire" has 4 words.');
    expect(payloadsOf(run, EventType.TEXT_MESSAGE_CONTENT).map((payload) => payload['delta'])).toEqual(['"hello ', 'there ', 'from ', 'agentwire" ', 'has ', '4 ', 'words.']);
    expect(new Set(payloadsOf(run, EventType.TEXT_MESSAGE_CONTENT).map((payload) => payload['messageId']))).toEqual(
      new Set([payloadsOf(run, EventType.TEXT_MESSAGE_START)[0]?.['messageId']]),
    );
    expect(seqProblems(run)).toEqual([]);
    await running().statsWhen((stats) => stats.runs_finished === before.runs_finished + 1);
    expect(running().stdout.split('\n')).toContain(`run finished: run ${String(finished.run_id)}`);
  });

  it('gives a tab that drops mid-answer and reconnects with ?after_seq&epoch the exact rest of the answer (the missed part compacted) and one terminal event', async () => {
    await reconnectMidAnswerIsExact(underTest(), connect, 'bob');
  });

  it('cancel_run mid-answer ends the run once as cancelled, sends nothing of it afterwards, and the agent sees its request aborted', async () => {
    const before: LangGraphAgentStats = await running().stats();
    await cancelMidAnswerAbortsTheRequest(underTest(), connect, 'carol');
    // the graph stopped and counted the run aborted, never finished
    expect(await running().statsWhen((stats) => stats.runs_aborted === before.runs_aborted + 1)).toMatchObject({
      runs_started: before.runs_started + 1,
      runs_finished: before.runs_finished,
      runs_failed: before.runs_failed,
    });
  });
});

describe("the LangGraph JS agent asking before its tool call (LangGraph's interrupt(), AG-UI's interrupt outcome) through the gateway", () => {
  const { agent: running, connect } = agentBehindGateway(() => LangGraphAgentProcess.start({ AGENT_TOKENS_PER_SECOND: '50', AGENT_REQUIRE_APPROVAL: '1' }), 'lg');

  const isQuestion = (message: V2Envelope): boolean => message.type === EventType.CUSTOM && message.payload['name'] === 'agentwire.interrupt';

  it('shows the question on every tab, takes a valid answer from any of them, resumes the graph with it and ends the run once', async () => {
    const before = await running().stats();
    const [asker, other] = [await connect('dora'), await connect('dora')];
    asker.send({ type: 'start_agent', agent: 'lg', input: 'count these words' });

    const question = await other.waitFor(isQuestion, 10_000);
    await asker.waitFor(isQuestion, 5_000);
    const value = question.payload['value'] as { id: string; reason: string; message: string; responseSchema: unknown };
    expect(value).toMatchObject({ reason: 'tool_approval', message: expect.stringContaining('word_count'), responseSchema: { required: ['approved'] } });
    // the remote's first run is over (its interrupt outcome); the agentwire run waits on the user
    await running().statsWhen((stats) => stats.runs_finished === before.runs_finished + 1);
    expect(asker.messages.filter((message) => isTerminal(message))).toEqual([]);

    // an answer the question's schema refuses leaves it open
    other.send({ type: 'answer_interrupt', run_id: question.run_id, interrupt_id: value.id, value: { approved: 'yes' } });
    expect((await other.waitFor((message) => message.type === 'error', 5_000)).payload['code']).toBe('invalid_message');
    other.send({ type: 'answer_interrupt', run_id: question.run_id, interrupt_id: value.id, value: { approved: true } });

    for (const tab of [asker, other]) {
      const finished = await tab.waitFor(isTerminal, 10_000);
      const run = streamOf(tab).filter((message) => message.run_id === question.run_id);
      expect(isRunFinished('success')(finished)).toBe(true);
      expect(run.filter(isTerminal)).toHaveLength(1);
      expect(textOf(run)).toBe('"count these words" has 3 words.');
      expect(payloadsOf(run, EventType.TOOL_CALL_RESULT)).toEqual([expect.objectContaining({ content: '{"words":3}' })]);
      expect(seqProblems(run)).toEqual([]);
    }
    // two remote runs (asked, resumed) made one agentwire run
    expect(await running().statsWhen((stats) => stats.runs_finished === before.runs_finished + 2)).toMatchObject({ runs_started: before.runs_started + 2 });
  });

  it('answers without running the tool when the user declines (the call gets its result: declined)', async () => {
    const client = await connect('eve');
    client.send({ type: 'start_agent', agent: 'lg', input: 'two words' });
    const question = await client.waitFor(isQuestion, 10_000);
    const value = question.payload['value'] as { id: string };
    client.send({ type: 'answer_interrupt', run_id: question.run_id, interrupt_id: value.id, value: { approved: false } });
    const finished = await client.waitFor(isTerminal, 10_000);
    const run = streamOf(client).filter((message) => message.run_id === question.run_id);
    expect(isRunFinished('success')(finished)).toBe(true);
    expect(textOf(run)).toBe('You declined, so I did not count the words.');
    expect(payloadsOf(run, EventType.TOOL_CALL_RESULT)).toEqual([expect.objectContaining({ content: '{"declined":true}' })]);
  });
});
