import { type AgentwireClient, type ClientOptions, type StreamEnvelope, createClient } from '@agentwirejs/client';
import { EventType, type ServerEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { burstText } from '../agents/burst-agent';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TcpProxy } from './client.test-helpers';
import { TestClient, coveredSeqs, isRunEnd, startTestGateway, streamedText, wsUrl } from './harness.test-helpers';

/**
 * @agentwirejs/client against a real gateway: an answer cut off mid-stream by a dropped network
 * arrives exact and without a repeat; 5 s tokens refreshed over the socket keep one connection
 * open for a minute; a run handle answers a question and cancels; runs started at once each get
 * their own events.
 */

let gateway: Gateway;
let tokens: TokenService;
const clients: AgentwireClient[] = [];
const testClients: TestClient[] = [];
const proxies: TcpProxy[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(testClients.splice(0).map((client) => client.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  await gateway.stop();
});

/** A client of `user` (Node 20: ws injected), with fresh tokens of `ttlSeconds` and quick reconnects. */
function clientOf(user: string, url: string, options: Partial<ClientOptions> & { ttlSeconds?: number } = {}): { client: AgentwireClient; refreshes: () => number } {
  let refreshes = 0;
  const { ttlSeconds = 600, ...rest } = options;
  const client = createClient({
    url,
    getToken: async ({ reason }) => {
      if (reason === 'refresh') refreshes += 1;
      return (await tokens.issue(user as UserId, ttlSeconds)).token;
    },
    WebSocket,
    reconnectBaseDelayMs: 50,
    reconnectMaxDelayMs: 200,
    ...rest,
  });
  clients.push(client);
  return { client, refreshes: () => refreshes };
}

const words = (text: string) => text.split(' ').length - 1;

describe('the client against a real gateway', () => {
  it('gets an answer exact and without a repeated event through a network cut twice mid-answer', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const proxy = await TcpProxy.start(Number(new URL(gateway.url).port));
    proxies.push(proxy);
    const direct = await TestClient.connect(gateway, tokens, 'cut-user');
    testClients.push(direct);
    const { client } = clientOf('cut-user', `ws://127.0.0.1:${proxy.port}/ws`);
    const seen: StreamEnvelope[] = [];
    client.on('event', (envelope) => seen.push(envelope));

    const tokensToStream = 150;
    const run = client.startRun({ agent: 'burst', input: { text_tokens: tokensToStream, tokens_per_second: 100 } });
    await eventually(() => (words(run.text) >= 20 ? true : undefined), 'the first 20 words');
    expect(proxy.cut()).toBeGreaterThan(0);
    await eventually(() => (words(run.text) >= 70 && client.state === 'open' ? true : undefined), '70 words after the first cut', 10_000);
    expect(proxy.cut()).toBeGreaterThan(0);
    const outcome = await run.done;

    expect(outcome).toMatchObject({ status: 'completed', runId: run.runId });
    expect(proxy.connections).toBeGreaterThanOrEqual(3);
    expect(run.text).toBe(burstText(tokensToStream));
    // the same answer a client that never dropped saw
    const runId = String(run.runId);
    await direct.waitFor((message) => isRunEnd(message) && message.run_id === runId);
    expect(run.text).toBe(streamedText(direct.messages, EventType.TEXT_MESSAGE_CONTENT, runId));
    // every position once: strictly increasing seqs, covering exactly what the direct client received
    const seqs = seen.map((envelope) => envelope.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(coveredSeqs(seen as unknown as ServerEnvelope[])).toEqual(coveredSeqs(direct.stream));
    expect(run.events.map((envelope) => envelope.type).filter((type) => type === EventType.RUN_STARTED || type === EventType.RUN_FINISHED)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
  });

  it(
    'keeps one connection open for a minute with tokens of a 5 s lifetime, refreshed over the socket',
    async () => {
      // No clock skew allowance: the connection closes exactly at its token's exp unless refreshed.
      ({ gateway, tokens } = await startTestGateway({}, { tokenClockToleranceSeconds: 0 }));
      const { client, refreshes } = clientOf('marathon-user', wsUrl(gateway), { ttlSeconds: 5 });
      const disconnects: unknown[] = [];
      let refreshed = 0;
      client.on('disconnected', (event) => disconnects.push(event));
      client.on('tokenRefreshed', () => (refreshed += 1));
      await eventually(() => client.connectionId ?? undefined, 'the greeting');
      const connectionIds = new Set<string | null>();
      const started = Date.now();
      // Bounded: at most 700 looks, 100 ms apart, until a minute has passed.
      for (let look = 0; look < 700 && Date.now() - started < 60_000; look += 1) {
        connectionIds.add(client.connectionId);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(60_000);
      expect({ state: client.state, connectionIds: [...connectionIds], disconnects }).toEqual({ state: 'open', connectionIds: [client.connectionId], disconnects: [] });
      // A minute on 5 s tokens needs at least 11 refreshes taken by the gateway.
      expect(refreshed).toBeGreaterThanOrEqual(11);
      expect(refreshes()).toBeGreaterThanOrEqual(refreshed);
      // and the connection still serves
      const run = client.startRun({ agent: 'burst', input: { text_tokens: 3 } });
      expect(await run.done).toMatchObject({ status: 'completed' });
      expect(run.text).toBe(burstText(3));
    },
    90_000,
  );

  it('answers the question a run asks, through the run handle; a wrong answer is refused and the question stays open', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const { client } = clientOf('asking-user', wsUrl(gateway));
    const run = client.startRun({ agent: 'demo', input: 'what time is it?' });
    const question = await eventually(() => run.interrupts[0], 'the time zone question', 10_000);
    expect(question).toMatchObject({ status: 'pending', reason: 'input_required' });
    await expect(run.answer(question.id, { time_zone: 'not a zone!' })).rejects.toMatchObject({ code: 'invalid_message' });
    expect(run.interrupts[0]?.status).toBe('pending');
    await run.answer(question.id, { time_zone: 'Asia/Tokyo' });
    const outcome = await run.done;
    expect(outcome).toMatchObject({ status: 'completed' });
    expect(run.interrupts.map((interrupt) => interrupt.status)).toEqual(['resolved']);
    expect(run.text).toContain('Asia/Tokyo');
  });

  it('cancels a run through its handle', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const { client } = clientOf('cancelling-user', wsUrl(gateway));
    const run = client.startRun({ agent: 'burst', input: { text_tokens: 10_000, tokens_per_second: 50 } });
    await eventually(() => (words(run.text) >= 3 ? true : undefined), 'the first words');
    await run.cancel();
    expect(await run.done).toMatchObject({ status: 'cancelled', runId: run.runId });
    expect(words(run.text)).toBeLessThan(10_000);
    expect(burstText(10_000).startsWith(run.text)).toBe(true);
  });

  it('gives two runs started at once each their own events', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const { client } = clientOf('two-runs-user', wsUrl(gateway));
    const first = client.startRun({ agent: 'burst', input: { text_tokens: 40, tokens_per_second: 400 } });
    const second = client.startRun({ agent: 'burst', input: { text_tokens: 25, tokens_per_second: 400 } });
    const [firstOutcome, secondOutcome] = await Promise.all([first.done, second.done]);
    expect([firstOutcome.status, secondOutcome.status]).toEqual(['completed', 'completed']);
    expect(first.runId).not.toBe(second.runId);
    expect([first.text, second.text]).toEqual([burstText(40), burstText(25)]);
    expect(first.events.every((envelope) => envelope.run_id === first.runId)).toBe(true);
    expect(second.events.every((envelope) => envelope.run_id === second.runId)).toBe(true);
    expect(first.threadId).not.toBe(second.threadId);
  });
});
