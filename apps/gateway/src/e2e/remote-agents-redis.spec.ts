import { once } from 'node:events';
import { EventType, type ServerEnvelope, WireProtocol, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { type ReceivedRequest, ScriptedRemote, openSse, writeEvents } from '@agentwirejs/server/testing';
import { TokenService } from '@agentwirejs/server';
import { type GatewayProcess, TEST_SECRET, startGatewayProcess, deleteRedisKeys, isRunEnd, streamedText, summarizeTypes, wireProblems } from './harness.test-helpers';
import { sleep } from './v2.test-helpers';

/**
 * Remote AG-UI agents across gateway processes (issue 16, item 4): two real gateway processes
 * (A and B, from dist/main.js) share the real Redis on 127.0.0.1:6379 under a key prefix of their
 * own and one AGENTWIRE_REMOTE_AGENTS pointing at a real AG-UI server on 127.0.0.1 started here.
 * A remote run's HTTP stream is read by exactly one process; when that process dies, the run
 * ends as dead on the other one.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const DEAD_AFTER_MS = 2000;
const prefix = `agentwire-test:remote-scale-${process.pid}-${Date.now()}:`;
const tokens = new TokenService({ secret: TEST_SECRET });

/** How the remote answers an input: `slow` streams for about 8 s (long enough to kill a process mid-answer), anything else for about 0.3 s. */
const SLOW_INPUT = 'slow';
const deltasOf = (input: string): string[] => Array.from({ length: input === SLOW_INPUT ? 40 : 6 }, (_, i) => `${input}-${i} `);
const intervalOf = (input: string): number => (input === SLOW_INPUT ? 200 : 50);

/** A well-behaved AG-UI agent: RUN_STARTED, one text message streamed a delta at a time, RUN_FINISHED. */
async function answer({ body, response }: ReceivedRequest): Promise<void> {
  const input = String((body['forwardedProps'] as { input: unknown }).input);
  const messageId = `m-${String(body['runId'])}`;
  openSse(response);
  writeEvents(response, { type: 'RUN_STARTED', threadId: body['threadId'], runId: body['runId'] }, { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' });
  for (const delta of deltasOf(input)) {
    await sleep(intervalOf(input));
    if (response.destroyed) return;
    writeEvents(response, { type: 'TEXT_MESSAGE_CONTENT', messageId, delta });
  }
  writeEvents(response, { type: 'TEXT_MESSAGE_END', messageId }, { type: 'RUN_FINISHED', threadId: body['threadId'], runId: body['runId'] });
  response.end();
}

function startGateway(remoteUrl: string): Promise<GatewayProcess> {
  return startGatewayProcess({
    AGENTWIRE_REDIS_URL: REDIS_URL,
    AGENTWIRE_REDIS_KEY_PREFIX: prefix,
    AGENTWIRE_RUN_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
    AGENTWIRE_SHUTDOWN_GRACE_MS: '0',
    AGENTWIRE_REMOTE_AGENTS: JSON.stringify({ echo: remoteUrl }),
  });
}

/** One agentwire.v2 browser tab: a real ws client that keeps every message it receives. */
class Tab {
  readonly messages: ServerEnvelope[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as ServerEnvelope));
  }

  static async open(gateway: GatewayProcess, user: string): Promise<Tab> {
    const { token } = await tokens.issue(user as UserId, 600);
    const tab = new Tab(new WebSocket(`${gateway.url.replace('http', 'ws')}ws`, [WireProtocol.V2, `bearer.${token}`]));
    await once(tab.socket, 'open');
    await tab.waitFor((m) => m.type === 'connection_established');
    return tab;
  }

  /** The user-stream envelopes (those with a seq). */
  get stream(): ServerEnvelope[] {
    return this.messages.filter((m) => m.seq !== null);
  }

  /** This tab's stream envelopes of one run. */
  runStream(runId: string | null | undefined): ServerEnvelope[] {
    return this.stream.filter((m) => m.run_id === runId);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits until `condition` holds (for conditions over several messages). */
  async until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.messages.length} messages: ${summarizeTypes(this.messages)}`);
      await sleep(10);
    }
  }

  async waitFor(predicate: (m: ServerEnvelope) => boolean, timeoutMs = 15_000): Promise<ServerEnvelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.messages.length} messages: ${summarizeTypes(this.messages)}`);
      await sleep(10);
    }
  }
}

let remote: ScriptedRemote;
let gatewayA: GatewayProcess;
let gatewayB: GatewayProcess;
let admin: Redis;
const tabs: Tab[] = [];

async function open(gateway: GatewayProcess, user: string): Promise<Tab> {
  const tab = await Tab.open(gateway, user);
  tabs.push(tab);
  return tab;
}

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  remote = await new ScriptedRemote(answer).start();
  [gatewayA, gatewayB] = await Promise.all([startGateway(remote.url), startGateway(remote.url)]);
}, 30_000);

afterEach(() => {
  // every message every tab received fits the wire contract (run events checked against @ag-ui/core's EventSchemas)
  const problems = tabs.flatMap((tab, index) => wireProblems(tab.messages, WireProtocol.V2).map((line) => `tab ${index}: ${line}`));
  for (const tab of tabs.splice(0)) tab.socket.terminate();
  expect(problems).toEqual([]);
});

afterAll(async () => {
  await Promise.all(
    [gatewayA, gatewayB].map(async (gateway) => {
      if (gateway === undefined || gateway.child.exitCode !== null || gateway.child.signalCode !== null) return;
      const exited = once(gateway.child, 'exit');
      gateway.child.kill('SIGTERM');
      await exited;
    }),
  );
  await remote?.stop();
  await deleteRedisKeys(admin, prefix);
  await admin.quit();
}, 30_000);

describe('remote AG-UI agents over the Redis backplane (two gateway processes)', () => {
  it('reads a remote run’s HTTP stream in exactly one process, and every tab of the user gets the same stream', async () => {
    const onB = await open(gatewayB, 'remote-spread');
    const onA = await open(gatewayA, 'remote-spread');
    onA.send({ type: 'start_agent', agent: 'echo', input: 'quick' });
    const [endOnB, endOnA] = await Promise.all([onB.waitFor(isRunEnd), onA.waitFor(isRunEnd)]);
    await sleep(500); // time enough for a second process to (wrongly) send its own request
    expect(remote.requests).toHaveLength(1);
    expect(remote.requests[0]?.body['runId']).toBe(endOnA.run_id);
    expect(await remote.requests[0]?.aborted).toBe(false);
    expect(endOnB).toMatchObject({ type: EventType.RUN_FINISHED, payload: { outcome: { type: 'success' } } });
    expect(streamedText(onB.stream)).toBe(deltasOf('quick').join(''));
    expect(onB.stream).toEqual(onA.stream);
    expect(endOnB.seq).toBe(endOnA.seq);
    expect(checkUserStream(onB.messages, 'remote-spread')).toEqual({ ok: true, problems: [] });
    expect(checkEventStreams(onB.stream)).toEqual({ ok: true, problems: [], runs: 1 });
  }, 15_000);

  it('ends the run as dead on B, exactly once, when A (which reads the remote stream) is killed mid-answer; the remote sees the disconnect', async () => {
    const requestsBefore = remote.requests.length;
    const onB = await open(gatewayB, 'remote-orphan');
    const onA = await open(gatewayA, 'remote-orphan');
    onA.send({ type: 'start_agent', agent: 'echo', input: SLOW_INPUT });
    const runId = (await onB.waitFor((m) => m.type === EventType.RUN_STARTED)).run_id;
    await onB.until(() => streamedText(onB.runStream(runId)).split(' ').length > 2, 'two deltas on B');
    expect(remote.requests).toHaveLength(requestsBefore + 1);
    const request = remote.requests[requestsBefore] as ReceivedRequest;
    expect(request.body['runId']).toBe(runId);

    gatewayA.child.kill('SIGKILL');
    await once(gatewayA.child, 'exit');
    const killedAt = Date.now();
    expect(await request.aborted).toBe(true);
    const ended = await onB.waitFor(isRunEnd, DEAD_AFTER_MS + 10_000);
    const endedAfterMs = Date.now() - killedAt;
    await sleep(1500); // whatever else of the run might still come
    const run = onB.runStream(runId);
    expect({
      terminal: ended,
      terminals: run.filter(isRunEnd).length,
      afterTerminal: run.filter((m) => (m.seq as number) > (ended.seq as number)).map((m) => m.type),
      last: run[run.length - 1]?.seq,
    }).toEqual({
      terminal: expect.objectContaining({ type: EventType.RUN_ERROR, run_id: runId, payload: expect.objectContaining({ code: 'dead' }) }),
      terminals: 1,
      afterTerminal: [],
      last: ended.seq,
    });
    expect(endedAfterMs).toBeLessThan(DEAD_AFTER_MS + 3000);
    // what B got of the answer is the beginning of it, as the remote wrote it (the rest never came)
    const full = deltasOf(SLOW_INPUT).join('');
    expect(full.startsWith(streamedText(run)) && streamedText(run).length < full.length).toBe(true);
    expect(checkEventStreams(onB.stream)).toEqual({ ok: true, problems: [], runs: 1 });
    // the remote was asked once and only once for this run: B did not restart it
    expect(remote.requests).toHaveLength(requestsBefore + 1);
  }, 20_000);

  it('keeps serving on B: a new remote run through B completes', async () => {
    const requestsBefore = remote.requests.length;
    const onB = await open(gatewayB, 'remote-survivor');
    onB.send({ type: 'start_agent', agent: 'echo', input: 'again' });
    const ended = await onB.waitFor(isRunEnd);
    expect(ended).toMatchObject({ type: EventType.RUN_FINISHED, payload: { outcome: { type: 'success' } } });
    expect(streamedText(onB.runStream(ended.run_id))).toBe(deltasOf('again').join(''));
    expect(remote.requests).toHaveLength(requestsBefore + 1);
    expect(await remote.requests[requestsBefore]?.aborted).toBe(false);
  }, 15_000);
});
