import { type ServerEnvelope, ServerMessageSchema, checkEventStreams, checkRunEventOrder, checkUserStream } from '@agentwire/protocols';
import { builtInAgents } from '../agents/catalog';
import type { Gateway } from '../gateway';
import type { TokenService } from '../auth';
import { TestClient, startTestGateway, tickerAgent } from './harness.test-helpers';

let gateway: Gateway;
let tokens: TokenService;
const clients: TestClient[] = [];

async function connect(userId: string, query?: string): Promise<TestClient> {
  const client = await TestClient.connect(gateway, tokens, userId, query === undefined ? {} : { query });
  clients.push(client);
  return client;
}

const isTerminal = (m: ServerEnvelope) => ['agent_completed', 'agent_error', 'agent_cancelled'].includes(m.type);

beforeAll(async () => {
  ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_MAX_RUNS_PER_USER: '5' }, { agents: [...builtInAgents({ maxEvents: 10_000, maxPayloadBytes: 4096 }), tickerAgent] }));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await gateway.stop();
});

describe('an agent run over a real connection', () => {
  it('streams all five events in contract order, each a valid envelope with run_id and thread_id', async () => {
    const alice = await connect('alice');
    alice.send({ type: 'user_message', text: 'what is (2+3)*4?' });
    await alice.waitFor(isTerminal);
    const run = alice.stream;
    expect(run.map((m) => m.type)).toEqual(['agent_started', 'agent_thinking', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_thinking', 'agent_completed']);
    for (const envelope of alice.messages) expect(ServerMessageSchema.safeParse(envelope).error).toBeUndefined();
    expect(checkRunEventOrder(run)).toEqual({ ok: true, problems: [] });
    expect(checkUserStream(alice.messages, 'alice')).toEqual({ ok: true, problems: [] });
    expect(new Set(run.map((m) => m.run_id)).size).toBe(1);
    expect(run[0]?.payload).toEqual({ agent_name: 'demo', input: 'what is (2+3)*4?' });
    expect(run.find((m) => m.type === 'tool_completed')?.payload).toMatchObject({ tool_name: 'calculator', results: { value: 20 }, success: true });
    const completed = run[run.length - 1];
    expect(completed?.payload).toMatchObject({ status: 'completed', final_response: '(2+3)*4 = 20.', event_count: 7 });
    expect(run.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps the thread the client names, and starts named agents with start_agent', async () => {
    const bob = await connect('bob');
    bob.send({ type: 'start_agent', agent: 'demo', input: 'count the words in "one two three"', thread_id: 'thread-bob-1' });
    const done = await bob.waitFor(isTerminal);
    expect(done.thread_id).toBe('thread-bob-1');
    expect(done.payload['final_response']).toContain('has 3 words');
    expect(bob.stream.every((m) => m.thread_id === 'thread-bob-1')).toBe(true);
  });

  it('cancel_run stops a run with exactly one agent_cancelled and nothing after it', async () => {
    const carol = await connect('carol');
    carol.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 1000, interval_ms: 5 } });
    const started = await carol.waitFor((m) => m.type === 'agent_started');
    await carol.waitFor((m) => m.type === 'agent_thinking');
    carol.send({ type: 'cancel_run', run_id: started.run_id });
    await carol.waitFor((m) => m.type === 'agent_cancelled');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const run = carol.stream.filter((m) => m.run_id === started.run_id);
    expect(run.filter(isTerminal).map((m) => m.type)).toEqual(['agent_cancelled']);
    expect(run[run.length - 1]?.type).toBe('agent_cancelled');
    expect(checkRunEventOrder(run).ok).toBe(true);
    expect(run.filter((m) => m.type === 'agent_thinking').length).toBeLessThan(1000);
  });

  it('two tabs of one user receive identical streams', async () => {
    const tab1 = await connect('dora');
    const tab2 = await connect('dora');
    tab1.send({ type: 'start_agent', agent: 'burst', input: { events: 200, payload_bytes: 100 } });
    await tab1.waitFor(isTerminal);
    await tab2.waitFor(isTerminal);
    expect(tab1.stream).toHaveLength(202);
    expect(tab2.stream).toEqual(tab1.stream);
  });

  it('reconnecting with after_seq within 3 s loses nothing and repeats nothing', async () => {
    const first = await connect('erik');
    first.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 120, interval_ms: 4 } });
    await first.waitForCount((m) => m.type === 'agent_thinking', 20);
    first.socket.terminate();
    await first.waitForClose();
    const lastSeen = Math.max(...first.stream.map((m) => m.seq as number));
    const dropAt = Date.now();
    const second = await connect('erik', `?after_seq=${lastSeen}`);
    const reconnectMs = Date.now() - dropAt;
    await second.waitFor(isTerminal);
    const combined = [...first.stream, ...second.stream];
    expect(combined.map((m) => m.seq)).toEqual(Array.from({ length: combined.length }, (_, i) => i + 1));
    expect(combined.filter((m) => m.type === 'agent_thinking')).toHaveLength(120);
    expect(checkRunEventOrder(combined)).toEqual({ ok: true, problems: [] });
    expect(second.messages[0]?.type).toBe('connection_established');
    expect(reconnectMs).toBeLessThan(3000);
  });

  it('resume replays what the connection asks for, in order', async () => {
    const fay = await connect('fay');
    fay.send({ type: 'user_message', text: 'what is 6*7?' });
    await fay.waitFor(isTerminal);
    const live = fay.stream.map((m) => m.seq as number);
    const before = fay.messages.length;
    fay.send({ type: 'resume', after_seq: 3 });
    await fay.waitForCount((m) => m.seq !== null, live.length + live.length - 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const replayed = fay.messages.slice(before);
    expect(replayed.map((m) => m.seq)).toEqual(live.filter((seq) => seq > 3));
    expect(replayed).toEqual(fay.stream.slice(3, live.length));
  });
});

describe('isolation and ordering under load (legacy mission-critical thresholds)', () => {
  it('12 concurrent users: every event reaches its own user only, with unique run and thread ids', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `iso-user-${i}`);
    const all = await Promise.all(users.map((user) => connect(user)));
    all.forEach((client, i) => client.send({ type: 'user_message', text: `count the words in "signature ${users[i]} here"` }));
    await Promise.all(all.map((client) => client.waitFor(isTerminal)));
    const runIds = new Set<string>();
    const threadIds = new Set<string>();
    all.forEach((client, i) => {
      expect(client.messages.every((m) => m.user_id === users[i])).toBe(true);
      expect(client.stream[0]?.payload['input']).toBe(`count the words in "signature ${users[i]} here"`);
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
    await Promise.all(all.map((client) => client.waitFor(isTerminal, 30_000)));
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
    await Promise.all(all.map((client) => client.waitFor(isTerminal, 30_000)));
    for (const client of all) {
      expect(client.stream).toHaveLength(102);
      expect(client.stream.map((m) => m.seq)).toEqual(Array.from({ length: 102 }, (_, i) => i + 1));
      expect(client.stream.filter((m) => m.type === 'agent_thinking').map((m) => String(m.payload['reasoning']).split(' ')[1])).toEqual(Array.from({ length: 100 }, (_, i) => `${i + 1}/100`));
    }
  }, 60_000);
});
