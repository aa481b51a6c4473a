import { EventType, type ServerEnvelope, WireProtocol, checkEventStreams, checkRunEventOrder, checkUserStream } from '@agentwirejs/protocols';
import { builtInAgents } from '../agents/built-in';
import type { Gateway } from '../gateway';
import type { TokenService } from '@agentwirejs/server';
import { TestClient, coveredSeqs, foldedTypes, isRunEnd, isRunFinished, isV1RunEnd, reasoningOf, startTestGateway, streamedText, tickerAgent } from './harness.test-helpers';

let gateway: Gateway;
let tokens: TokenService;
const clients: TestClient[] = [];

async function connect(userId: string, options: { query?: string; protocol?: WireProtocol } = {}): Promise<TestClient> {
  const client = await TestClient.connect(gateway, tokens, userId, options);
  clients.push(client);
  return client;
}

/** What the demo agent streams for one tool call, with each streamed message's deltas folded into one (their number depends on coalescing). */
const DEMO_ONE_TOOL_RUN = [
  EventType.RUN_STARTED,
  EventType.REASONING_START,
  EventType.REASONING_MESSAGE_START,
  EventType.REASONING_MESSAGE_CONTENT,
  EventType.REASONING_MESSAGE_END,
  EventType.REASONING_END,
  EventType.REASONING_MESSAGE_CHUNK,
  EventType.TOOL_CALL_START,
  EventType.TOOL_CALL_ARGS,
  EventType.TOOL_CALL_END,
  EventType.TOOL_CALL_RESULT,
  EventType.REASONING_MESSAGE_CHUNK,
  EventType.TEXT_MESSAGE_START,
  EventType.TEXT_MESSAGE_CONTENT,
  EventType.TEXT_MESSAGE_END,
  EventType.RUN_FINISHED,
];

beforeAll(async () => {
  ({ gateway, tokens } = await startTestGateway(
    { AGENTWIRE_MAX_RUNS_PER_USER: '5', AGENTWIRE_DEMO_TOKENS_PER_SECOND: '100000' },
    { agents: [...builtInAgents({ maxEvents: 10_000, maxPayloadBytes: 4096 }), tickerAgent] },
  ));
});

afterEach(async () => {
  for (const client of clients) expect(client.wireProblems()).toEqual([]);
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await gateway.stop();
});

describe('an agent run over a real connection', () => {
  it('streams the run as AG-UI events in contract order, each valid against EventSchemas, with run_id and thread_id', async () => {
    const alice = await connect('alice');
    alice.send({ type: 'user_message', text: 'what is (2+3)*4?' });
    await alice.waitFor(isRunEnd);
    const run = alice.stream;
    expect(foldedTypes(run)).toEqual(DEMO_ONE_TOOL_RUN);
    expect(alice.wireProblems()).toEqual([]);
    expect(checkRunEventOrder(run)).toEqual({ ok: true, problems: [] });
    expect(checkUserStream(alice.messages, 'alice')).toEqual({ ok: true, problems: [] });
    expect(new Set(run.map((m) => m.run_id)).size).toBe(1);
    const started = run[0] as ServerEnvelope;
    expect(started.payload).toMatchObject({
      threadId: started.thread_id,
      runId: started.run_id,
      input: { messages: [{ role: 'user', content: 'what is (2+3)*4?' }], forwardedProps: { agent: 'demo', input: 'what is (2+3)*4?' } },
    });
    expect(run.find((m) => m.type === EventType.TOOL_CALL_START)?.payload).toMatchObject({ toolCallName: 'calculator' });
    expect(JSON.parse(streamedText(run, EventType.TOOL_CALL_ARGS))).toEqual({ expression: '(2+3)*4' });
    const result = run.find((m) => m.type === EventType.TOOL_CALL_RESULT) as ServerEnvelope;
    expect(JSON.parse(String(result.payload['content']))).toEqual({ expression: '(2+3)*4', value: 20 });
    expect(result.payload).toMatchObject({ role: 'tool', metadata: { agentwire: { tool_name: 'calculator', success: true } } });
    expect(streamedText(run)).toBe('(2+3)*4 = 20.');
    const finished = run[run.length - 1];
    expect(finished?.payload).toMatchObject({ outcome: { type: 'success' }, result: '(2+3)*4 = 20.', metadata: { agentwire: { event_count: run.length } } });
    expect(run.map((m) => m.seq)).toEqual(run.map((_m, index) => index + 1));
  });

  it('keeps the thread the client names, and starts named agents with start_agent', async () => {
    const bob = await connect('bob');
    bob.send({ type: 'start_agent', agent: 'demo', input: 'count the words in "one two three"', thread_id: 'thread-bob-1' });
    const done = await bob.waitFor(isRunEnd);
    expect(done.thread_id).toBe('thread-bob-1');
    expect(done.payload).toMatchObject({ threadId: 'thread-bob-1', outcome: { type: 'success' } });
    expect(done.payload['result']).toContain('has 3 words');
    expect(streamedText(bob.stream)).toBe(done.payload['result']);
    expect(bob.stream.every((m) => m.thread_id === 'thread-bob-1')).toBe(true);
  });

  it('answers each request that carries a request_id once, naming it: an ack with the run a start_agent started, an error for a refused one', async () => {
    const dana = await connect('dana');
    dana.send({ type: 'start_agent', request_id: 'start-1', agent: 'ticker', input: { ticks: 2, interval_ms: 5 } });
    dana.send({ type: 'start_agent', request_id: 'start-2', agent: 'no-such-agent', input: 'x' });
    dana.send({ type: 'cancel_run', request_id: 'cancel-3', run_id: 'run_01JABCDEF0123456789ABCDEFG' });
    dana.send({ type: 'ping', request_id: 'bad id' });
    const answers = await dana.waitForCount((m) => m.type === 'ack' || m.type === 'error', 4);
    // a handler that awaits answers later than one that does not: match by request_id, not by order
    const byRequest = answers.map((m) => [m.payload['request_id'] ?? null, m.type, m.payload['code'] ?? null]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byRequest).toEqual([
      ['cancel-3', 'error', 'not_found'],
      [null, 'error', 'invalid_message'], // a request_id that is not one is not echoed
      ['start-1', 'ack', null],
      ['start-2', 'error', 'invalid_message'],
    ]);
    const done = await dana.waitFor(isRunEnd);
    expect(answers.find((m) => m.type === 'ack')?.payload).toEqual({ request_id: 'start-1', run_id: done.run_id, thread_id: done.thread_id });
    // a message without request_id gets no ack
    dana.send({ type: 'ping' });
    await dana.waitFor((m) => m.type === 'pong');
    expect(dana.messages.filter((m) => m.type === 'ack')).toHaveLength(1);
  });

  it('cancel_run stops a run with exactly one RUN_FINISHED (outcome cancelled) and nothing after it', async () => {
    const carol = await connect('carol');
    carol.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 1000, interval_ms: 5 } });
    const started = await carol.waitFor((m) => m.type === EventType.RUN_STARTED);
    await carol.waitFor((m) => m.type === EventType.REASONING_MESSAGE_CHUNK);
    carol.send({ type: 'cancel_run', run_id: started.run_id });
    const cancelled = await carol.waitFor(isRunFinished('cancelled'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const run = carol.stream.filter((m) => m.run_id === started.run_id);
    expect(run.filter(isRunEnd)).toEqual([cancelled]);
    expect(run[run.length - 1]).toBe(cancelled);
    expect(cancelled.payload).toMatchObject({ metadata: { agentwire: { code: 'cancelled', event_count: run.length } } });
    expect(checkRunEventOrder(run)).toEqual({ ok: true, problems: [] });
    expect(run.filter((m) => m.type === EventType.REASONING_MESSAGE_CHUNK).length).toBeLessThan(1000);
  });

  it('two tabs of one user receive identical streams', async () => {
    const tab1 = await connect('dora');
    const tab2 = await connect('dora');
    tab1.send({ type: 'start_agent', agent: 'burst', input: { events: 200, payload_bytes: 100 } });
    await tab1.waitFor(isRunEnd);
    await tab2.waitFor(isRunEnd);
    // RUN_STARTED, 200 reasoning chunks, RUN_FINISHED
    expect(tab1.stream).toHaveLength(202);
    expect(tab2.stream).toEqual(tab1.stream);
  });

  it('reconnecting with after_seq within 3 s loses nothing and repeats nothing', async () => {
    const first = await connect('erik');
    first.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 120, interval_ms: 4 } });
    await first.waitForCount((m) => m.type === EventType.REASONING_MESSAGE_CHUNK, 20);
    first.socket.terminate();
    await first.waitForClose();
    const lastSeen = Math.max(...first.stream.map((m) => m.seq as number));
    const dropAt = Date.now();
    const second = await connect('erik', { query: `?after_seq=${lastSeen}` });
    const reconnectMs = Date.now() - dropAt;
    await second.waitFor(isRunEnd);
    const combined = [...first.stream, ...second.stream];
    expect(combined.map((m) => m.seq)).toEqual(Array.from({ length: combined.length }, (_, i) => i + 1));
    expect(combined.filter((m) => m.type === EventType.REASONING_MESSAGE_CHUNK).map(reasoningOf)).toEqual(Array.from({ length: 120 }, (_, i) => `tick ${i + 1}`));
    expect(checkRunEventOrder(combined)).toEqual({ ok: true, problems: [] });
    expect(second.messages[0]?.type).toBe('connection_established');
    expect(reconnectMs).toBeLessThan(3000);
  });

  it('resume replays what the connection asks for, in order: every position once, the missed deltas of a streamed message as one', async () => {
    const fay = await connect('fay');
    fay.send({ type: 'user_message', text: 'what is 6*7?' });
    await fay.waitFor(isRunEnd);
    const live = fay.stream;
    const lastSeq = live.length;
    const before = fay.messages.length;
    fay.send({ type: 'resume', after_seq: 3 });
    await fay.waitFor((m) => m.seq === lastSeq, 10_000, before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const replayed = fay.messages.slice(before);
    expect(coveredSeqs(replayed)).toEqual(live.map((m) => m.seq as number).filter((seq) => seq > 3));
    for (const envelope of replayed) {
      const first = (envelope as { first_seq?: number }).first_seq;
      if (first === undefined) {
        expect(envelope).toEqual(live[(envelope.seq as number) - 1]);
        continue;
      }
      // a compacted delta: the first delta's payload, with the deltas first_seq..seq concatenated
      const folded = live.slice(first - 1, envelope.seq as number);
      expect(new Set(folded.map((m) => m.type))).toEqual(new Set([envelope.type]));
      expect(envelope.payload).toEqual({ ...folded[0]?.payload, delta: folded.map((m) => m.payload['delta']).join('') });
    }
    expect(streamedText(replayed)).toBe(streamedText(live));
    expect(streamedText(replayed, EventType.REASONING_MESSAGE_CONTENT)).toBe(streamedText(live.slice(3), EventType.REASONING_MESSAGE_CONTENT));
  });
});

describe('agentwire.v1 clients get the run translated at the edge', () => {
  it('streams agent_started … tool_executing, tool_completed … agent_completed with the final_response, each valid by v1', async () => {
    const old = await connect('v1-alice', { protocol: WireProtocol.V1 });
    expect(old.messages[0]?.payload['protocol']).toBe(WireProtocol.V1);
    old.send({ type: 'user_message', text: 'what is (2+3)*4?' });
    const completed = await old.waitFor(isV1RunEnd);
    const stream = old.stream;
    // v1 types for what v1 knows; the rest (message and reasoning boundaries, text deltas, tool call start and arguments) forwarded as AG-UI, valid against EventSchemas
    expect(old.wireProblems()).toEqual([]);
    expect(stream.map((m) => m.seq)).toEqual(stream.map((_m, index) => index + 1));
    const v1Types = stream.map((m) => m.type).filter((type) => !/^[A-Z_]+$/.test(type));
    expect(v1Types.filter((type, index) => type !== 'agent_thinking' || v1Types[index - 1] !== 'agent_thinking')).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'agent_thinking',
      'agent_completed',
    ]);
    expect(stream[0]?.payload).toEqual({ agent_name: 'demo', input: 'what is (2+3)*4?' });
    expect(stream.find((m) => m.type === 'tool_executing')?.payload).toEqual({ tool_name: 'calculator', parameters: { expression: '(2+3)*4' } });
    expect(stream.find((m) => m.type === 'tool_completed')?.payload).toMatchObject({ tool_name: 'calculator', results: { expression: '(2+3)*4', value: 20 }, success: true });
    expect(completed).toMatchObject({ type: 'agent_completed', seq: stream.length, payload: { status: 'completed', final_response: '(2+3)*4 = 20.', event_count: stream.length } });
    expect(checkRunEventOrder(stream.filter((m) => !/^[A-Z_]+$/.test(m.type)))).toEqual({ ok: true, problems: [] });
  });

  it('ends a cancelled run with one agent_cancelled and nothing after it', async () => {
    const old = await connect('v1-carol', { protocol: WireProtocol.V1 });
    old.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 1000, interval_ms: 5 } });
    const started = await old.waitFor((m) => m.type === 'agent_started');
    await old.waitFor((m) => m.type === 'agent_thinking');
    old.send({ type: 'cancel_run', run_id: started.run_id });
    await old.waitFor((m) => m.type === 'agent_cancelled');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const run = old.stream.filter((m) => m.run_id === started.run_id);
    expect(old.wireProblems()).toEqual([]);
    expect(run.filter(isV1RunEnd).map((m) => m.type)).toEqual(['agent_cancelled']);
    expect(run[run.length - 1]).toMatchObject({ type: 'agent_cancelled', payload: { reason: expect.any(String) } });
    expect(run.filter((m) => m.type !== 'agent_started' && m.type !== 'agent_cancelled').every((m) => m.type === 'agent_thinking')).toBe(true);
    expect(checkRunEventOrder(run)).toEqual({ ok: true, problems: [] });
  });

  it('sees the same positions as a v2 tab of the same user', async () => {
    const v1 = await connect('v1-both', { protocol: WireProtocol.V1 });
    const v2 = await connect('v1-both');
    v2.send({ type: 'user_message', text: 'what is 6*7?' });
    await v1.waitFor(isV1RunEnd);
    await v2.waitFor(isRunEnd);
    expect(v1.stream.map((m) => m.seq)).toEqual(v2.stream.map((m) => m.seq));
    expect(v1.stream.at(-1)?.payload['final_response']).toBe(v2.stream.at(-1)?.payload['result']);
  });
});

describe('a reconnect from a position the replay buffer no longer holds', () => {
  let small: Gateway;
  let smallTokens: TokenService;
  const KEPT = 20;
  beforeAll(async () => {
    ({ gateway: small, tokens: smallTokens } = await startTestGateway({ AGENTWIRE_REPLAY_MAX_EVENTS: String(KEPT) }));
  });
  afterAll(() => small.stop());

  /** A finished burst of 50 events (52 positions), of which the buffer keeps the last KEPT. */
  async function streamOf52(userId: string): Promise<void> {
    const owner = await TestClient.connect(small, smallTokens, userId);
    clients.push(owner);
    owner.send({ type: 'start_agent', agent: 'burst', input: { events: 50, payload_bytes: 16 } });
    await owner.waitFor(isRunEnd);
    expect(owner.stream).toHaveLength(52);
  }

  it('tells a v2 client what it cannot have with the CUSTOM agentwire.replay_gap, then replays the rest', async () => {
    await streamOf52('gap-v2');
    const back = await TestClient.connect(small, smallTokens, 'gap-v2', { query: '?after_seq=0' });
    clients.push(back);
    await back.waitFor((m) => m.seq === 52);
    const gap = back.messages.find((m) => m.type === EventType.CUSTOM);
    expect(gap?.payload).toEqual({ type: EventType.CUSTOM, name: 'agentwire.replay_gap', value: { from_seq: 1, to_seq: 52 - KEPT } });
    expect(back.stream.map((m) => m.seq)).toEqual(Array.from({ length: KEPT }, (_, i) => 52 - KEPT + 1 + i));
    expect(back.wireProblems()).toEqual([]);
  });

  it('tells a v1 client with replay_gap, then replays the rest translated', async () => {
    await streamOf52('gap-v1');
    const back = await TestClient.connect(small, smallTokens, 'gap-v1', { query: '?after_seq=0', protocol: WireProtocol.V1 });
    clients.push(back);
    await back.waitFor((m) => m.seq === 52);
    const gaps = back.ofType('replay_gap');
    expect(gaps.map((m) => m.payload)).toEqual([{ from_seq: 1, to_seq: 52 - KEPT }]);
    expect(back.ofType(EventType.CUSTOM)).toEqual([]);
    expect(back.stream.filter((m) => m.type !== 'replay_gap').map((m) => m.seq)).toEqual(Array.from({ length: KEPT }, (_, i) => 52 - KEPT + 1 + i));
    expect(back.stream.at(-1)).toMatchObject({ type: 'agent_completed', payload: { status: 'completed', event_count: 52 } });
    expect(back.wireProblems()).toEqual([]);
  });
});

describe('isolation and ordering under load (legacy mission-critical thresholds)', () => {
  it('12 concurrent users: every event reaches its own user only, with unique run and thread ids', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `iso-user-${i}`);
    const all = await Promise.all(users.map((user) => connect(user)));
    all.forEach((client, i) => client.send({ type: 'user_message', text: `count the words in "signature ${users[i]} here"` }));
    await Promise.all(all.map((client) => client.waitFor(isRunEnd)));
    const runIds = new Set<string>();
    const threadIds = new Set<string>();
    all.forEach((client, i) => {
      expect(client.messages.every((m) => m.user_id === users[i])).toBe(true);
      expect(client.stream[0]?.payload['input']).toMatchObject({ forwardedProps: { input: `count the words in "signature ${users[i]} here"` } });
      expect(client.stream.at(-1)?.payload).toMatchObject({ outcome: { type: 'success' } });
      expect(checkEventStreams(client.stream)).toEqual({ ok: true, problems: [], runs: 1 });
      runIds.add(client.stream[0]?.run_id as string);
      threadIds.add(client.stream[0]?.thread_id as string);
    });
    expect(runIds.size).toBe(12);
    expect(threadIds.size).toBe(12);
  });

  it('150 users × 30 events: zero cross-user deliveries and zero reorders', async () => {
    const users = Array.from({ length: 150 }, (_, i) => `load-user-${i}`);
    const all = await Promise.all(users.map((user) => connect(user)));
    all.forEach((client) => client.send({ type: 'start_agent', agent: 'burst', input: { events: 30, payload_bytes: 64 } }));
    await Promise.all(all.map((client) => client.waitFor(isRunEnd, 30_000)));
    const ownRuns = new Set<string>();
    all.forEach((client, i) => {
      const foreign = client.messages.filter((m) => m.user_id !== users[i]);
      expect(foreign).toEqual([]);
      expect(client.stream).toHaveLength(32);
      expect(checkUserStream(client.messages, users[i] as string)).toEqual({ ok: true, problems: [] });
      expect(checkEventStreams(client.stream)).toEqual({ ok: true, problems: [], runs: 1 });
      ownRuns.add(client.stream[0]?.run_id as string);
    });
    expect(ownRuns.size).toBe(150);
  }, 60_000);

  it('50 connections × 100 events: zero per-connection ordering violations', async () => {
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(`order-user-${i}`)));
    all.forEach((client) => client.send({ type: 'start_agent', agent: 'burst', input: { events: 100, payload_bytes: 128 } }));
    await Promise.all(all.map((client) => client.waitFor(isRunEnd, 30_000)));
    for (const client of all) {
      expect(client.stream).toHaveLength(102);
      expect(client.stream.map((m) => m.seq)).toEqual(Array.from({ length: 102 }, (_, i) => i + 1));
      expect(client.stream.filter((m) => m.type === EventType.REASONING_MESSAGE_CHUNK).map((m) => reasoningOf(m).split(' ')[1])).toEqual(Array.from({ length: 100 }, (_, i) => `${i + 1}/100`));
    }
  }, 60_000);
});
