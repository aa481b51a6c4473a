import { EventType } from '@agentwirejs/protocols';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import type { AgentProcess } from './agent-process.test-helpers';
import { TestClient, isRunFinished, startTestGateway } from './harness.test-helpers';
import { type V2Envelope, epochOf, isContent, isTerminal, lastSeqOf, seqProblems, sleep, streamOf, textOf } from './v2.test-helpers';

/**
 * What every remote AG-UI agent run through the gateway must do, whatever language or framework
 * serves it (the e2e specs of examples/python-agent and examples/langgraph-agent both run these):
 * a tab that drops mid-answer gets the exact rest, and cancel_run aborts the agent's request.
 */

/** A remote agent process behind a gateway, as the contract sees it. */
export interface RemoteAgentUnderTest {
  /** Its name in AGENTWIRE_REMOTE_AGENTS. */
  readonly agentName: string;
  /** Tokens a second it streams (how long to wait for a token it should not send). */
  readonly tokensPerSecond: number;
  /** The exact answer it gives to `input`. */
  answerTo(input: string): string;
  /** Resolves once the agent process has logged that the request of `runId` was aborted. */
  sawRequestAborted(runId: string): Promise<void>;
  /** What the agent process printed (it logs `run finished: run <id>` for each run it finished). */
  readonly stdout: string;
}

/** An input of `count` words (the answer takes about count / tokensPerSecond seconds). */
export const wordsInput = (count: number): string => Array.from({ length: count }, (_, index) => `word${index + 1}`).join(' ');

/** Connects a tab of `userId` (`query` e.g. `?after_seq=…&epoch=…`). */
export type Connect = (userId: string, query?: string) => Promise<TestClient>;

/**
 * For a describe block: starts the agent process (`start`) and a test gateway that runs it as
 * `agentName` (with `gatewayEnv` added), stops both after the block, and after each test checks
 * every message each client received against the wire contract (run events against @ag-ui/core's
 * EventSchemas) and closes the clients.
 */
export function agentBehindGateway<A extends AgentProcess & { readonly agentUrl: string }>(
  start: () => Promise<A>,
  agentName: string,
  gatewayEnv: Record<string, string> = {},
): { readonly agent: () => A; readonly connect: Connect } {
  let agent: A | undefined;
  let gateway: Gateway | undefined;
  let tokens: TokenService | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    agent = await start();
    ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_REMOTE_AGENTS: JSON.stringify({ [agentName]: agent.agentUrl }), ...gatewayEnv }));
  }, 30_000);
  afterEach(() => {
    const problems = clients.flatMap((client, index) => client.wireProblems().map((problem) => `client ${index}: ${problem}`));
    for (const client of clients.splice(0)) client.socket.terminate();
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await gateway?.stop();
    await agent?.stop();
  }, 10_000);
  return {
    agent: () => {
      if (agent === undefined) throw new Error('the agent has not started');
      return agent;
    },
    connect: async (userId, query = '') => {
      if (gateway === undefined || tokens === undefined) throw new Error('the gateway has not started');
      const client = await TestClient.connect(gateway, tokens, userId, { query });
      clients.push(client);
      return client;
    },
  };
}

/**
 * A tab drops mid-answer and reconnects with ?after_seq&epoch: it gets the exact rest of the
 * answer (the missed part compacted, from the first position it lacked) and one terminal event;
 * a tab that stayed saw the same text live.
 */
export async function reconnectMidAnswerIsExact(agent: RemoteAgentUnderTest, connect: Connect, userId: string): Promise<void> {
  const input = wordsInput(24);
  const watcher = await connect(userId);
  const tab = await connect(userId);
  tab.send({ type: 'start_agent', agent: agent.agentName, input });
  await tab.waitForCount(isContent, 3, 10_000);
  const before = streamOf(tab);
  const afterSeq = lastSeqOf(tab);
  const epoch = epochOf(tab);
  tab.socket.terminate();
  // The answer goes on without the tab: three more positions are sequenced while it is away.
  const missedUpTo = (await watcher.waitFor((message) => isContent(message) && (message.seq as number) >= afterSeq + 3, 10_000)).seq as number;

  const back = await connect(userId, `?after_seq=${afterSeq}&epoch=${encodeURIComponent(epoch)}`);
  await back.waitFor(isTerminal, 10_000);
  await sleep(200); // anything of the run after its terminal event would have arrived by now
  const after = streamOf(back);
  const compacted = after.find(isContent) as V2Envelope | undefined;

  expect(textOf(before) + textOf(after)).toBe(agent.answerTo(input));
  expect([...before, ...after].filter(isTerminal).map((message) => message.payload['outcome'])).toEqual([{ type: 'success' }]);
  expect(after.at(-1)?.type).toBe(EventType.RUN_FINISHED);
  expect(compacted?.first_seq).toBe(afterSeq + 1);
  expect(compacted?.seq as number).toBeGreaterThanOrEqual(missedUpTo);
  expect(seqProblems([...before, ...after])).toEqual([]);
  await watcher.waitFor(isTerminal, 5_000);
  expect(textOf(streamOf(watcher))).toBe(agent.answerTo(input));
}

/**
 * cancel_run mid-answer ends the run once as cancelled, nothing of it comes afterwards, and the
 * agent sees its request aborted (never finished). Resolves with the run's id.
 */
export async function cancelMidAnswerAbortsTheRequest(agent: RemoteAgentUnderTest, connect: Connect, userId: string): Promise<string> {
  const input = wordsInput(60);
  const client = await connect(userId);
  client.send({ type: 'start_agent', agent: agent.agentName, input });
  const runId = String((await client.waitFor(isContent, 10_000)).run_id);
  await client.waitForCount(isContent, 2, 10_000);
  client.send({ type: 'cancel_run', run_id: runId });
  await client.waitFor(isTerminal, 5_000);

  await agent.sawRequestAborted(runId);
  // Three token intervals more: a token the agent still sent would have reached the client by now.
  await sleep((3 * 1000) / agent.tokensPerSecond);
  const run = streamOf(client).filter((message) => message.run_id === runId);
  const terminals = run.filter(isTerminal);
  expect(terminals).toHaveLength(1);
  expect(isRunFinished('cancelled')(terminals[0] as V2Envelope)).toBe(true);
  expect(run.at(-1)).toBe(terminals[0]);
  expect(textOf(run).length).toBeLessThan(agent.answerTo(input).length);
  expect(agent.answerTo(input).startsWith(textOf(run))).toBe(true);
  expect(agent.stdout).not.toContain(`run finished: run ${runId}`);
  return runId;
}
