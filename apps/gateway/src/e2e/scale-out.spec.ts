import { once } from 'node:events';
import { AgentwireCustomEvent, EventType, type ServerEnvelope, WireProtocol, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { TokenService } from '@agentwirejs/server';
import { type GatewayProcess, TEST_SECRET, startGatewayProcess, coveredSeqs, deleteRedisKeys, isRunEnd, isV1RunEnd, streamedText, summarizeTypes, wireProblems } from './harness.test-helpers';

/**
 * Three gateway processes against the real Redis on 127.0.0.1:6379, as a load balancer would
 * spread one user's tabs over them. Every test run uses its own key prefix and deletes it.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `agentwire-test:scale-${process.pid}-${Date.now()}:`;
const tokens = new TokenService({ secret: TEST_SECRET });

function startGateway(): Promise<GatewayProcess> {
  return startGatewayProcess({
    AGENTWIRE_REDIS_URL: REDIS_URL,
    AGENTWIRE_REDIS_KEY_PREFIX: prefix,
    AGENTWIRE_RUN_DEAD_AFTER_MS: '2000',
    AGENTWIRE_SHUTDOWN_GRACE_MS: '0',
    AGENTWIRE_DEMO_TOKENS_PER_SECOND: '100000',
  });
}

class Tab {
  readonly messages: ServerEnvelope[] = [];
  closed = false;
  private constructor(
    readonly socket: WebSocket,
    readonly protocol: WireProtocol,
  ) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as ServerEnvelope));
    socket.on('close', () => (this.closed = true));
  }

  static async open(gateway: GatewayProcess, user: string, afterSeq?: number, protocol: WireProtocol = WireProtocol.V2): Promise<Tab> {
    const { token } = await tokens.issue(user as UserId, 600);
    const query = afterSeq === undefined ? '' : `?after_seq=${afterSeq}`;
    const tab = new Tab(new WebSocket(`${gateway.url.replace('http', 'ws')}ws${query}`, [protocol, `bearer.${token}`]), protocol);
    await once(tab.socket, 'open');
    await tab.waitFor((m) => m.type === 'connection_established');
    return tab;
  }

  get stream(): ServerEnvelope[] {
    return this.messages.filter((m) => m.seq !== null);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  async waitFor(predicate: (m: ServerEnvelope) => boolean, timeoutMs = 20_000): Promise<ServerEnvelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.messages.length} messages: ${summarizeTypes(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** What this tab received that breaks its protocol's contract (every run event checked against EventSchemas). */
  wireProblems(): string[] {
    return wireProblems(this.messages, this.protocol);
  }

  close(): void {
    this.socket.close();
  }
}

/** A v2 replay gap: the CUSTOM event agentwire.replay_gap. */
const isReplayGap = (m: ServerEnvelope): boolean => m.type === EventType.CUSTOM && m.payload['name'] === AgentwireCustomEvent.ReplayGap;

/** Every position from 1 to the last one seen was either received (or folded into a compacted delta) or announced as part of a replay gap. */
function accountedFor(tab: Tab): { missing: number[]; last: number } {
  const seen = new Set(coveredSeqs(tab.stream));
  for (const gap of tab.messages.filter(isReplayGap)) {
    const { from_seq: from, to_seq: to } = gap.payload['value'] as { from_seq: number; to_seq: number };
    for (let seq = from; seq <= to; seq += 1) seen.add(seq);
  }
  const last = Math.max(0, ...seen);
  const missing: number[] = [];
  for (let seq = 1; seq <= last; seq += 1) if (!seen.has(seq)) missing.push(seq);
  return { missing, last };
}

let gateways: GatewayProcess[] = [];
const tabs: Tab[] = [];
let admin: Redis;

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  gateways = await Promise.all([startGateway(), startGateway(), startGateway()]);
}, 60_000);

afterEach(() => {
  for (const tab of tabs.splice(0)) tab.close();
});

afterAll(async () => {
  await Promise.all(
    gateways.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
  await deleteRedisKeys(admin, prefix);
  await admin.quit();
}, 60_000);

async function open(index: number, user: string, afterSeq?: number, protocol?: WireProtocol): Promise<Tab> {
  const tab = await Tab.open(gateways[index] as GatewayProcess, user, afterSeq, protocol);
  tabs.push(tab);
  return tab;
}

describe('three gateway processes over the Redis backplane', () => {
  it('reports the backplane in /ready', async () => {
    for (const gateway of gateways) {
      const ready = await fetch(new URL('/ready', gateway.url));
      expect(await ready.json()).toEqual({ ready: true, reason: null, backplane: 'ready' });
    }
  });

  it("gives one user's tabs on different processes identical ordered streams of a run started from a third", async () => {
    const tab1 = await open(0, 'spread-user');
    const tab2 = await open(1, 'spread-user');
    const starter = await open(2, 'spread-user');
    const bystander = await open(1, 'other-user');
    starter.send({ type: 'start_agent', agent: 'burst', input: { events: 300, payload_bytes: 64 } });
    await Promise.all([tab1, tab2, starter].map((tab) => tab.waitFor(isRunEnd)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // RUN_STARTED, 300 reasoning chunks, RUN_FINISHED
    expect(tab1.stream).toHaveLength(302);
    expect(tab1.wireProblems()).toEqual([]);
    expect(tab2.stream).toEqual(tab1.stream);
    expect(starter.stream).toEqual(tab1.stream);
    expect(checkUserStream(tab1.messages, 'spread-user')).toEqual({ ok: true, problems: [] });
    expect(checkEventStreams(tab1.stream)).toEqual({ ok: true, problems: [], runs: 1 });
    expect(bystander.messages.filter((m) => m.type !== 'connection_established')).toEqual([]);
  }, 60_000);

  it('replays across processes: a tab that reconnects elsewhere with after_seq gets exactly what it missed', async () => {
    const watcher = await open(0, 'moving-user');
    const producer = await open(2, 'moving-user');
    producer.send({ type: 'user_message', text: 'what is 2+2?' });
    await watcher.waitFor(isRunEnd);
    const seenBefore = Math.max(...watcher.stream.map((m) => m.seq as number));
    watcher.close();
    producer.send({ type: 'user_message', text: 'what is 3*3?' });
    const secondEnd = await producer.waitFor((m) => isRunEnd(m) && (m.seq as number) > seenBefore);
    const moved = await open(1, 'moving-user', seenBefore);
    await moved.waitFor((m) => m.seq === secondEnd.seq);
    // every position once; a streamed message's deltas may come folded into one envelope (first_seq..seq)
    expect(coveredSeqs(moved.stream)).toEqual(Array.from({ length: (secondEnd.seq as number) - seenBefore }, (_, i) => seenBefore + 1 + i));
    expect(moved.stream[moved.stream.length - 1]?.payload).toMatchObject({ outcome: { type: 'success' }, result: '3*3 = 9.' });
    expect(streamedText(moved.stream)).toBe('3*3 = 9.');
    expect(streamedText(moved.stream)).toBe(streamedText(producer.stream, EventType.TEXT_MESSAGE_CONTENT, secondEnd.run_id));
    expect(moved.wireProblems()).toEqual([]);
  }, 60_000);

  it('routes cancel_run to the process that runs the run', async () => {
    const runner = await open(2, 'cancel-user');
    const elsewhere = await open(0, 'cancel-user');
    const oldClient = await open(1, 'cancel-user', undefined, WireProtocol.V1);
    runner.send({ type: 'start_agent', agent: 'burst', input: { events: 500, payload_bytes: 16, interval_ms: 20 } });
    const started = await elsewhere.waitFor((m) => m.type === EventType.RUN_STARTED);
    elsewhere.send({ type: 'cancel_run', run_id: started.run_id });
    const ended = await elsewhere.waitFor(isRunEnd);
    expect(ended).toMatchObject({ type: EventType.RUN_FINISHED, payload: { outcome: { type: 'cancelled' } } });
    expect(elsewhere.messages.filter((m) => m.type === 'error')).toEqual([]);
    // a v1 tab on a third process sees the same end as agent_cancelled, at the same position
    expect(await oldClient.waitFor(isV1RunEnd)).toMatchObject({ type: 'agent_cancelled', seq: ended.seq, run_id: started.run_id });
    expect(elsewhere.wireProblems()).toEqual([]);
    expect(oldClient.wireProblems()).toEqual([]);
    const stranger = await open(1, 'not-the-owner');
    stranger.send({ type: 'cancel_run', run_id: started.run_id });
    expect((await stranger.waitFor((m) => m.type === 'error')).payload['code']).toBe('not_found');
  }, 60_000);

  it('survives Redis connections being cut mid-stream: nothing is silently lost', async () => {
    const reader = await open(0, 'cut-user');
    const producer = await open(1, 'cut-user');
    producer.send({ type: 'start_agent', agent: 'burst', input: { events: 400, payload_bytes: 32, interval_ms: 2 } });
    await reader.waitFor((m) => m.type === EventType.REASONING_MESSAGE_CHUNK && (m.seq as number) > 20);
    const clients = (await admin.client('LIST')) as string;
    const ids = clients
      .split('\n')
      .filter((line) => line.includes(gateways[0]?.processId as string) || line.includes(gateways[1]?.processId as string))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    await reader.waitFor(isRunEnd, 40_000);
    expect(reader.wireProblems()).toEqual([]);
    const { missing, last } = accountedFor(reader);
    expect(missing).toEqual([]);
    expect(last).toBeGreaterThanOrEqual(402);
    const seqs = reader.stream.map((m) => m.seq as number);
    expect(reader.messages.every((m) => m.user_id === 'cut-user')).toBe(true);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const ready = await fetch(new URL('/ready', gateways[0]?.url));
    expect(ready.status).toBe(200);
  }, 60_000);

  it('ends a run as dead, with exactly one terminal event, when its process is killed', async () => {
    const watcher = await open(0, 'orphan-user');
    const doomed = gateways[2] as GatewayProcess;
    const runner = await open(2, 'orphan-user');
    runner.send({ type: 'start_agent', agent: 'burst', input: { events: 1000, payload_bytes: 16, interval_ms: 20 } });
    const started = await watcher.waitFor((m) => m.type === EventType.RUN_STARTED);
    await watcher.waitFor((m) => m.type === EventType.REASONING_MESSAGE_CHUNK);
    doomed.child.kill('SIGKILL');
    await once(doomed.child, 'exit');
    const killedAt = Date.now();
    const ended = await watcher.waitFor(isRunEnd, 15_000);
    expect(ended).toMatchObject({ type: EventType.RUN_ERROR, run_id: started.run_id, payload: { code: 'dead' } });
    expect(Date.now() - killedAt).toBeLessThan(2000 + 3000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(watcher.stream.filter((m) => m.run_id === started.run_id && isRunEnd(m))).toHaveLength(1);
    expect(watcher.wireProblems()).toEqual([]);
  }, 60_000);
});
