import { AgentwireCustomEvent, EventType, type ServerEnvelope, WireProtocol } from '@agentwirejs/protocols';
import type { AgentRunRequest, AgentRunResult } from '@agentwirejs/protocols';
import type { CatalogEntry } from '@agentwirejs/server';
import { builtInAgents } from '../agents/built-in';
import { TIME_ZONE_QUESTION } from '../agents/demo-agent';
import { currentTimeTool } from '../agents/tools';
import type { TestClient } from './harness.test-helpers';
import type { Gateway } from '../gateway';
import { ClientPool, RedisGateways, isContent, isTerminal, sleep, streamOf, textOf } from './v2.test-helpers';

/**
 * Ask and wait (AG-UI interrupt semantics) through two gateway processes sharing the real Redis:
 * the demo agent asked "what time is it?" without a place asks which time zone with CUSTOM
 * agentwire.interrupt; every tab of the user sees the question; any tab on any process answers
 * with answer_interrupt; the owner checks the answer against the question's schema; a question
 * nobody answers ends the run once with RUN_ERROR interrupt_expired.
 */

const AT = new Date('2030-06-01T12:00:00Z');
const clock = () => AT;

/** A test agent that asks once, with `expires_in_ms` (default 300 ms), and reports what it was told. */
const askerAgent: CatalogEntry = {
  runner: {
    name: 'asker',
    async run({ input, reporter }: AgentRunRequest): Promise<AgentRunResult> {
      const expiresInMs = typeof input === 'object' && typeof input['expires_in_ms'] === 'number' ? input['expires_in_ms'] : 300;
      const answer = await reporter.ask({ reason: 'confirmation', message: 'Go ahead?', responseSchema: { type: 'boolean' }, expiresInMs });
      return { finalResponse: `told ${JSON.stringify(answer)}` };
    },
  },
  tools: new Map(),
};

const agents = [...builtInAgents({ maxEvents: 1000, maxPayloadBytes: 4096, demoTokensPerSecond: 1000 }, clock), askerAgent];

const isQuestion = (m: ServerEnvelope) => m.type === EventType.CUSTOM && m.payload['name'] === AgentwireCustomEvent.Interrupt;
const isResolution = (m: ServerEnvelope) => m.type === EventType.CUSTOM && m.payload['name'] === AgentwireCustomEvent.InterruptResolved;
const questionOf = (m: ServerEnvelope) => m.payload['value'] as { id: string; reason: string; message?: string; responseSchema?: unknown; expiresAt?: string };

const redis = new RedisGateways('interrupts');
const pool = new ClientPool();
let processA: Gateway;
let processB: Gateway;

beforeAll(async () => {
  // A short run timeout: a run waiting for its user must not be timed out by it.
  const env = { AGENTWIRE_RUN_TIMEOUT_MS: '1500' };
  processA = await redis.start(env, { agents });
  processB = await redis.start(env, { agents });
});
afterAll(async () => {
  await redis.stopAll();
}, 30_000);
// Every message every client received fits the wire contract (run events: @ag-ui/core's EventSchemas).
afterEach(() => expect(pool.finish()).toEqual([]));

/** The time the demo's current_time tool tells for `timeZone` at the test's fixed clock. */
async function timeIn(timeZone: string): Promise<string> {
  const result = (await currentTimeTool(clock).execute({ time_zone: timeZone }, new AbortController().signal)) as { local_time: string };
  return result.local_time;
}

/**
 * `user` has a v2 tab on process A (which asks the time, so the run runs there), a v2 tab on
 * process B and a v1 tab on process A; resolves once every tab has the question.
 */
async function askTheTime(user: string): Promise<{ owner: TestClient; elsewhere: TestClient; v1: TestClient; question: ServerEnvelope; runId: string }> {
  const owner = await pool.connect(processA, redis.tokens, user);
  const elsewhere = await pool.connect(processB, redis.tokens, user);
  const v1 = await pool.connect(processA, redis.tokens, user, { protocol: WireProtocol.V1 });
  owner.send({ type: 'user_message', text: 'what time is it?' });
  const [question] = await Promise.all([owner.waitFor(isQuestion), elsewhere.waitFor(isQuestion), v1.waitFor(isQuestion)]);
  return { owner, elsewhere, v1, question, runId: String(question.run_id) };
}

describe('an agent that asks its user and waits', () => {
  it('shows the question to every tab of the user, on both processes, at the same seq', async () => {
    const { owner, elsewhere, v1, question } = await askTheTime('ask-everywhere');
    const { id, reason, message, responseSchema, expiresAt } = questionOf(question);
    expect({ reason, message, responseSchema }).toEqual({ reason: TIME_ZONE_QUESTION.reason, message: TIME_ZONE_QUESTION.message, responseSchema: TIME_ZONE_QUESTION.responseSchema });
    expect(id).toEqual(expect.any(String));
    expect(Date.parse(String(expiresAt))).toBeGreaterThan(Date.now());
    expect(elsewhere.messages.find(isQuestion)).toEqual(question);
    // the v1 tab gets it passed through unchanged (v1 clients ignore types they do not know)
    expect(v1.messages.find(isQuestion)).toEqual(question);
    // nothing else of the run happens while it waits
    await sleep(200);
    expect(streamOf(owner).at(-1)).toEqual(question);
    // a tab that opens later, on either process, finds the open question in its replay
    const late = await pool.connect(processB, redis.tokens, 'ask-everywhere', { query: '?after_seq=0' });
    expect(await late.waitFor(isQuestion)).toEqual(question);
    owner.send({ type: 'answer_interrupt', run_id: question.run_id, interrupt_id: id, value: { time_zone: 'UTC' } });
    await Promise.all([owner, elsewhere].map((tab) => tab.waitFor(isTerminal)));
  });

  it('resumes the run when a tab on ANOTHER process answers, and finishes with the time in that zone', async () => {
    const { owner, elsewhere, v1, question, runId } = await askTheTime('answer-elsewhere');
    const interruptId = questionOf(question).id;
    elsewhere.send({ type: 'answer_interrupt', run_id: runId, interrupt_id: interruptId, value: { time_zone: 'Asia/Tokyo' } });
    const finished = await owner.waitFor(isTerminal);
    const answer = `It is ${await timeIn('Asia/Tokyo')} in Asia/Tokyo.`;
    expect(finished).toMatchObject({ type: EventType.RUN_FINISHED, run_id: runId, payload: { outcome: { type: 'success' }, result: answer } });
    const afterQuestion = streamOf(owner).filter((m) => (m.seq as number) > (question.seq as number));
    expect(afterQuestion[0]?.payload).toEqual({ type: EventType.CUSTOM, name: AgentwireCustomEvent.InterruptResolved, value: { interruptId, status: 'resolved' } });
    expect(afterQuestion.find((m) => m.type === EventType.TOOL_CALL_START)?.payload).toMatchObject({ toolCallName: 'current_time' });
    expect(textOf(afterQuestion)).toBe(answer);
    expect(afterQuestion.filter(isContent).length).toBeGreaterThan(0);
    // Both v2 tabs saw the same run, envelope for envelope; nobody got an error.
    await elsewhere.waitFor(isTerminal);
    expect(streamOf(elsewhere)).toEqual(streamOf(owner));
    expect([owner, elsewhere, v1].flatMap((tab) => tab.ofType('error'))).toEqual([]);
    // The v1 tab of the same user still works: the translation ends the run with agent_completed.
    const completed = await v1.waitFor((m) => m.type === 'agent_completed');
    expect(completed.payload).toMatchObject({ status: 'completed', final_response: answer });
    expect(v1.stream.find((m) => m.type === 'tool_executing')?.payload).toEqual({ tool_name: 'current_time', parameters: { time_zone: 'Asia/Tokyo' } });
    expect(completed.seq).toBe(finished.seq);
  });

  it('refuses an answer that does not fit the schema with invalid_message, on the owning process and routed from another, and the question stays open', async () => {
    const { owner, elsewhere, question, runId } = await askTheTime('answer-wrong');
    const interruptId = questionOf(question).id;
    owner.send({ type: 'answer_interrupt', run_id: runId, interrupt_id: interruptId, value: { time_zone: 'not a zone!' } });
    const refused = await owner.waitFor((m) => m.type === 'error');
    expect(refused).toMatchObject({ seq: null, payload: { code: 'invalid_message' } });
    owner.send({ type: 'answer_interrupt', run_id: runId, interrupt_id: 'no-such-question', value: { time_zone: 'UTC' } });
    expect((await owner.waitForCount((m) => m.type === 'error', 2))[1]?.payload['code']).toBe('not_found');
    // An answer that does not fit, routed from the other process, is refused there too, and the process running the
    // run tells the sending connection (through its own process) with the same error.
    elsewhere.send({ type: 'answer_interrupt', run_id: runId, interrupt_id: interruptId, value: { time_zone: 42 } });
    const routedRefusal = await elsewhere.waitFor((m) => m.type === 'error');
    expect(routedRefusal).toMatchObject({ seq: null, payload: { code: 'invalid_message', message: expect.stringMatching(/response schema/) } });
    expect(owner.messages.filter((m) => m.type === 'error')).toHaveLength(2); // nothing of it reached the other tab
    await sleep(100);
    // Still waiting: no resolution, nothing after the question.
    expect([owner, elsewhere].flatMap((tab) => tab.messages.filter(isResolution))).toEqual([]);
    expect(streamOf(owner).at(-1)).toEqual(question);
    // …and a good answer from the other process still resumes it.
    elsewhere.send({ type: 'answer_interrupt', run_id: runId, interrupt_id: interruptId, value: { time_zone: 'Europe/Paris' } });
    expect((await owner.waitFor(isTerminal)).payload['result']).toBe(`It is ${await timeIn('Europe/Paris')} in Europe/Paris.`);
  });

  it('answers a routed answer with a request_id once, naming it: an error when the owning process refused it, an ack when it took it', async () => {
    const { elsewhere, question, runId } = await askTheTime('answer-request-ids');
    const interruptId = questionOf(question).id;
    elsewhere.send({ type: 'answer_interrupt', request_id: 'wrong-1', run_id: runId, interrupt_id: interruptId, value: { time_zone: 42 } });
    elsewhere.send({ type: 'answer_interrupt', request_id: 'right-2', run_id: runId, interrupt_id: interruptId, value: { time_zone: 'Asia/Tokyo' } });
    const answers = await elsewhere.waitForCount((m) => m.type === 'error' || m.type === 'ack', 2);
    expect(answers.map((m) => [m.type, m.payload['request_id']])).toEqual([
      ['error', 'wrong-1'],
      ['ack', 'right-2'],
    ]);
    expect(answers[0]?.payload['code']).toBe('invalid_message');
    expect((await elsewhere.waitFor(isTerminal)).payload['result']).toBe(`It is ${await timeIn('Asia/Tokyo')} in Asia/Tokyo.`);
  });

  it('ends a run whose question expires once: interrupt_resolved expired, then RUN_ERROR interrupt_expired, then nothing', async () => {
    const tab = await pool.connect(processA, redis.tokens, 'nobody-answers');
    const other = await pool.connect(processB, redis.tokens, 'nobody-answers');
    tab.send({ type: 'start_agent', agent: 'asker', input: { expires_in_ms: 300 } });
    const question = await other.waitFor(isQuestion);
    const { id: interruptId, expiresAt } = questionOf(question);
    expect(Date.parse(String(expiresAt)) - Date.parse(question.ts)).toBeLessThanOrEqual(300 + 50);
    const ended = await other.waitFor(isTerminal);
    expect(ended).toMatchObject({ type: EventType.RUN_ERROR, run_id: question.run_id, payload: { code: 'interrupt_expired' } });
    // A late answer finds no open question.
    tab.send({ type: 'answer_interrupt', run_id: question.run_id, interrupt_id: interruptId, value: true });
    expect((await tab.waitFor((m) => m.type === 'error')).payload['code']).toBe('not_found');
    await sleep(300);
    for (const client of [tab, other]) {
      const run = streamOf(client).filter((m) => m.run_id === question.run_id);
      expect(run.map((m) => m.type)).toEqual([EventType.RUN_STARTED, EventType.CUSTOM, EventType.CUSTOM, EventType.RUN_ERROR]);
      expect(run[2]?.payload).toEqual({ type: EventType.CUSTOM, name: AgentwireCustomEvent.InterruptResolved, value: { interruptId, status: 'expired' } });
    }
  });

  it('does not time out a run while it waits for its user (the run timeout is 1.5 s here)', async () => {
    const tab = await pool.connect(processA, redis.tokens, 'patient-user');
    const other = await pool.connect(processB, redis.tokens, 'patient-user');
    tab.send({ type: 'start_agent', agent: 'asker', input: { expires_in_ms: 10_000 } });
    const question = await other.waitFor(isQuestion);
    await sleep(2000);
    expect(streamOf(tab).filter(isTerminal)).toEqual([]);
    other.send({ type: 'answer_interrupt', run_id: question.run_id, interrupt_id: questionOf(question).id, value: true });
    expect((await tab.waitFor(isTerminal)).payload).toMatchObject({ outcome: { type: 'success' }, result: 'told true' });
  });
});
