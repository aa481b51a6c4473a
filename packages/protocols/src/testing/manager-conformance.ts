import assert from 'node:assert/strict';
import { type ConnectionId, type RunId, type ThreadId, type UserId, WebSocketManagerMode } from '@agentwirejs/types';
import type { WebSocketManagerProtocol } from '../manager-protocol';
import { WebSocketManagerProtocolValidator } from '../validator';
import { PROTOCOL_VERSION, WireProtocol } from '../wire/codes';
import type { ServerEnvelope } from '../wire/server-messages';
import { type AgentEvent, EventType } from '../wire/run-events';
import { settle, waitForCount } from './assertions';

/** One client connection the harness opened and registered with the manager under test. */
export interface ConformanceClient {
  readonly userId: UserId;
  readonly connectionId: ConnectionId;
  /** Every envelope this client received, parsed, in arrival order (connection_established first). */
  received(): ServerEnvelope[];
  /** The close code the client saw, or null while open. */
  closeCode(): number | null;
}

export interface ManagerHarnessOptions {
  /** Replay buffer size per user for the manager under test. */
  readonly replayMaxEvents: number;
}

/** What a manager implementation provides to run the suite: a unified-mode manager and a way to connect clients. */
export interface ManagerHarness {
  readonly manager: WebSocketManagerProtocol;
  /** Opens a client for `userId` and registers it with the manager (with `afterSeq` when given). */
  connect(userId: UserId, options?: { afterSeq?: number; protocol?: WireProtocol; onManagerClose?: (code: number, reason: string) => void }): Promise<ConformanceClient>;
  dispose(): Promise<void>;
}

export type ManagerHarnessFactory = (options: ManagerHarnessOptions) => Promise<ManagerHarness>;

export interface ManagerConformanceCase {
  readonly name: string;
  run(createHarness: ManagerHarnessFactory): Promise<void>;
}

const uid = (name: string) => name as UserId;
const note = (payload: Record<string, unknown>) => ({ type: 'note', payload });
const streamOf = (client: ConformanceClient) => () => client.received().filter((m) => m.seq !== null);
/** What a client received after its connection_established greeting. */
const afterGreeting = (client: ConformanceClient) => () => client.received().filter((m) => m.type !== 'connection_established');

async function withHarness(create: ManagerHarnessFactory, run: (h: ManagerHarness) => Promise<void>, replayMaxEvents = 100): Promise<void> {
  const harness = await create({ replayMaxEvents });
  try {
    await run(harness);
  } finally {
    await harness.dispose();
  }
}

/** A run that streams one text message of `deltas`: RUN_STARTED, START, CONTENT × n, END, RUN_FINISHED (no result). */
function streamedRun(runId: string, deltas: readonly string[]): AgentEvent[] {
  const ids = { run_id: runId as RunId, thread_id: `thread-${runId}` as ThreadId };
  const event = (payload: AgentEvent['payload']): AgentEvent => ({ type: payload.type, ...ids, payload });
  const input = { threadId: ids.thread_id, runId: ids.run_id, messages: [], tools: [], context: [], state: {}, forwardedProps: { agent: 'demo', input: 'go' } };
  return [
    event({ type: EventType.RUN_STARTED, threadId: ids.thread_id, runId: ids.run_id, input }),
    event({ type: EventType.TEXT_MESSAGE_START, messageId: 'm1', role: 'assistant' }),
    ...deltas.map((delta) => event({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm1', delta })),
    event({ type: EventType.TEXT_MESSAGE_END, messageId: 'm1' }),
    event({ type: EventType.RUN_FINISHED, threadId: ids.thread_id, runId: ids.run_id }),
  ];
}

/**
 * The behaviour every WebSocketManagerProtocol implementation must show. Framework-agnostic:
 * each case throws (node:assert) on failure; see defineManagerConformance for jest/mocha.
 */
export const managerConformanceCases: readonly ManagerConformanceCase[] = [
  {
    name: 'implements the contract (runtime validator) in unified mode',
    run: (create) =>
      withHarness(create, async ({ manager }) => {
        assert.deepEqual(WebSocketManagerProtocolValidator.validate(manager), []);
        assert.equal(manager.mode, WebSocketManagerMode.Unified);
      }),
  },
  {
    name: 'sends connection_established first, with the connection id, the protocol, the user\'s last seq and the stream epoch',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        await manager.sendToUser(uid('pia'), note({ before: true }));
        await manager.sendToUser(uid('pia'), note({ before: true }));
        const tab = await connect(uid('pia'));
        const [greeting] = await waitForCount(() => tab.received(), 1);
        assert.equal(greeting?.type, 'connection_established');
        assert.equal(greeting?.seq, null);
        assert.equal(greeting?.user_id, 'pia');
        const epoch = greeting?.payload['epoch'];
        assert.ok(typeof epoch === 'string' && epoch.length > 0, 'the greeting names the stream epoch');
        assert.deepEqual(greeting?.payload, { connection_id: tab.connectionId, protocol: PROTOCOL_VERSION, last_seq: 2, epoch });
        const second = await connect(uid('pia'));
        assert.equal((await waitForCount(() => second.received(), 1))[0]?.payload['epoch'], epoch, 'one stream, one epoch, on every tab');
        const fresh = await connect(uid('quinn'));
        assert.deepEqual((await waitForCount(() => fresh.received(), 1))[0]?.payload['last_seq'], 0);
        await settle();
        assert.equal(tab.received().length, 1, 'no history without afterSeq');
      }),
  },
  {
    name: 'replays after afterSeq at connect, in order and before live messages, while messages keep arriving',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const rosa = uid('rosa');
        for (let i = 1; i <= 10; i += 1) await manager.sendToUser(rosa, note({ i }));
        let producing = true;
        const producer = (async () => {
          for (let i = 11; producing && i <= 200; i += 1) {
            await manager.sendToUser(rosa, note({ i }));
            if (i % 5 === 0) await settle(1);
          }
        })();
        const tab = await connect(rosa, { afterSeq: 4 });
        await settle(20);
        producing = false;
        await producer;
        const last = (await manager.sendToUser(rosa, note({ final: true }))).seq;
        const got = await waitForCount(streamOf(tab), last - 4);
        assert.equal(tab.received()[0]?.type, 'connection_established');
        assert.deepEqual(got.map((m) => m.seq), Array.from({ length: last - 4 }, (_, i) => i + 5), 'seq 5..last, each once, in order');
      }),
  },
  {
    name: "delivers a user's stream to every connection of that user, in order, with seq 1..n",
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const tab1 = await connect(uid('alice'));
        const tab2 = await connect(uid('alice'));
        const results = [];
        for (let i = 1; i <= 20; i += 1) results.push(await manager.sendToUser(uid('alice'), note({ i })));
        assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1));
        assert.ok(results.every((r) => r.connections === 2), 'each send reached both connections');
        const [one, two] = await Promise.all([waitForCount(streamOf(tab1), 20), waitForCount(streamOf(tab2), 20)]);
        assert.deepEqual(one.map((m) => m.seq), results.map((r) => r.seq));
        assert.deepEqual(one.map((m) => m.payload['i']), results.map((_, i) => i + 1));
        assert.ok(one.every((m) => m.user_id === 'alice' && m.type === 'note'));
        assert.deepEqual(two, one, 'both tabs receive identical envelopes');
      }),
  },
  {
    name: "never delivers one user's messages to another user",
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const users = ['u1', 'u2', 'u3', 'u4'].map(uid);
        const clients = (await Promise.all(users.flatMap((u) => [connect(u), connect(u)]))) as ConformanceClient[];
        for (let i = 0; i < 10; i += 1) {
          await Promise.all(users.map((u) => manager.sendToUser(u, note({ owner: u, i }))));
        }
        for (const client of clients) {
          const stream = await waitForCount(streamOf(client), 10);
          await settle();
          assert.equal(afterGreeting(client)().length, 10, `${client.userId} got exactly its 10 messages`);
          assert.ok(stream.every((m) => m.user_id === client.userId && m.payload['owner'] === client.userId), `${client.userId} got only its own`);
        }
      }),
  },
  {
    name: 'keeps messages for a user without connections and replays them on resume, before anything new',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const bob = uid('bob');
        for (let i = 1; i <= 3; i += 1) {
          const result = await manager.sendToUser(bob, note({ i }));
          assert.deepEqual(result, { seq: i, connections: 0 });
        }
        const tab = await connect(bob);
        assert.deepEqual(await manager.resume(tab.connectionId, 0), { replayed: 3, gap: null });
        await manager.sendToUser(bob, note({ i: 4 }));
        const got = await waitForCount(streamOf(tab), 4);
        assert.deepEqual(got.map((m) => m.seq), [1, 2, 3, 4]);
        const late = await connect(bob);
        assert.deepEqual(await manager.resume(late.connectionId, 2), { replayed: 2, gap: null });
        assert.deepEqual((await waitForCount(streamOf(late), 2)).map((m) => m.seq), [3, 4]);
        assert.deepEqual(await manager.resume(late.connectionId, 4), { replayed: 0, gap: null });
      }),
  },
  {
    name: 'announces evicted history with replay_gap before the kept messages',
    run: (create) =>
      withHarness(
        create,
        async ({ manager, connect }) => {
          const carol = uid('carol');
          for (let i = 1; i <= 8; i += 1) await manager.sendToUser(carol, note({ i }));
          const tab = await connect(carol);
          assert.deepEqual(await manager.resume(tab.connectionId, 0), { replayed: 5, gap: { fromSeq: 1, toSeq: 3 } });
          const got = await waitForCount(afterGreeting(tab), 6);
          assert.equal(got[0]?.type, 'replay_gap');
          assert.deepEqual(got[0]?.payload, { from_seq: 1, to_seq: 3 });
          assert.deepEqual(got.slice(1).map((m) => m.seq), [4, 5, 6, 7, 8]);
        },
        5,
      ),
  },
  {
    name: 'sendToConnection reaches only that connection, with seq null, without advancing the stream',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const dave = uid('dave');
        const first = await connect(dave);
        const second = await connect(dave);
        assert.equal(await manager.sendToConnection(first.connectionId, { type: 'pong', payload: {} }), true);
        assert.equal(await manager.sendToConnection('conn-unknown' as ConnectionId, { type: 'pong', payload: {} }), false);
        assert.equal((await manager.sendToUser(dave, note({ after: 'pong' }))).seq, 1);
        const got = await waitForCount(afterGreeting(first), 2);
        assert.deepEqual(got.map((m) => [m.type, m.seq]), [['pong', null], ['note', 1]]);
        assert.equal(got[0]?.user_id, 'dave');
        await waitForCount(afterGreeting(second), 1);
        await settle();
        assert.deepEqual(afterGreeting(second)().map((m) => [m.type, m.seq]), [['note', 1]]);
      }),
  },
  {
    name: "rooms: every member's user receives room messages; leaving and closing end membership",
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const erin = await connect(uid('erin'));
        const frank = await connect(uid('frank'));
        const grace = await connect(uid('grace'));
        await manager.joinRoom(erin.connectionId, 'team');
        await manager.joinRoom(frank.connectionId, 'team');
        assert.equal(await manager.broadcastToRoom('team', note({ n: 1 })), 2);
        await manager.leaveRoom(frank.connectionId, 'team');
        assert.equal(await manager.broadcastToRoom('team', note({ n: 2 })), 1);
        await manager.removeConnection(erin.connectionId);
        assert.equal(await manager.broadcastToRoom('team', note({ n: 3 })), 0);
        assert.equal(await manager.broadcastToRoom('nobody-here', note({ n: 4 })), 0);
        await waitForCount(streamOf(erin), 2);
        await waitForCount(streamOf(frank), 1);
        await settle();
        assert.deepEqual(streamOf(erin)().map((m) => m.payload['n']), [1, 2]);
        assert.deepEqual(streamOf(frank)().map((m) => [m.payload['n'], m.seq, m.user_id]), [[1, 1, 'frank']]);
        assert.equal(afterGreeting(grace)().length, 0);
      }),
  },
  {
    name: 'broadcast reaches every connected user once, in their own stream',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const clients = await Promise.all(['h1', 'h2', 'h3'].map((u) => connect(uid(u))));
        await manager.sendToUser(uid('h2'), note({ first: true }));
        assert.equal(await manager.broadcast(note({ all: true })), 3);
        for (const client of clients) {
          const expected = client.userId === 'h2' ? 2 : 1;
          const got = await waitForCount(streamOf(client), expected);
          assert.equal(got[expected - 1]?.payload['all'], true);
          assert.equal(got[expected - 1]?.seq, expected);
          assert.equal(got[expected - 1]?.user_id, client.userId);
        }
      }),
  },
  {
    name: 'reports counts, lookups, stats and a plain JSON view',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const ivan1 = await connect(uid('ivan'));
        const ivan2 = await connect(uid('ivan'));
        await connect(uid('judy'));
        assert.equal(manager.getConnectionCount(), 3);
        assert.equal(manager.isUserConnected(uid('ivan')), true);
        assert.equal(manager.isUserConnected(uid('nobody')), false);
        assert.deepEqual(manager.getUserConnections(uid('ivan')).map((c) => c.connectionId).sort(), [ivan1.connectionId, ivan2.connectionId].sort());
        assert.deepEqual(manager.getUserConnections(uid('nobody')), []);
        assert.equal(manager.getConnection(ivan1.connectionId)?.userId, 'ivan');
        assert.equal(manager.getConnection('conn-unknown' as ConnectionId), null);
        const json = manager.getConnectionInfo(ivan1.connectionId);
        assert.equal(json?.connection_id, ivan1.connectionId);
        assert.equal(json?.user_id, 'ivan');
        assert.equal(json?.is_active, true);
        assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'the view is plain JSON');
        assert.equal(manager.getConnectionInfo('conn-unknown' as ConnectionId), null);
        const stats = manager.getStats();
        assert.equal(stats.connections, 3);
        assert.equal(stats.users, 2);
        assert.equal(stats.mode, WebSocketManagerMode.Unified);
      }),
  },
  {
    name: 'removeConnection closes and forgets a connection; unknown ids give false',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const kim = await connect(uid('kim'));
        assert.equal(await manager.removeConnection(kim.connectionId), true);
        assert.equal(await manager.removeConnection(kim.connectionId), false);
        assert.equal(manager.getConnectionCount(), 0);
        assert.equal(manager.isUserConnected(uid('kim')), false);
        assert.equal(manager.getConnection(kim.connectionId), null);
        await waitForCount(() => (kim.closeCode() === null ? [] : [kim.closeCode()]), 1, 5000, 'close');
        assert.deepEqual(await manager.sendToUser(uid('kim'), note({ kept: true })), { seq: 1, connections: 0 });
      }),
  },
  {
    name: 'onManagerClose is told the code the manager closed a connection with, once',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const closes: number[] = [];
        const lou = await connect(uid('lou'), { onManagerClose: (code) => closes.push(code) });
        assert.equal(await manager.removeConnection(lou.connectionId, 4001), true);
        await waitForCount(() => (lou.closeCode() === null ? [] : [lou.closeCode()]), 1, 5000, 'close');
        assert.equal(await manager.removeConnection(lou.connectionId, 4002), false);
        assert.deepEqual(closes, [4001]);
      }),
  },
  {
    name: 'waitForConnection resolves true when the user connects and false after the timeout',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const waiting = manager.waitForConnection(uid('lena'), 5000);
        await settle(10);
        await connect(uid('lena'));
        assert.equal(await waiting, true);
        assert.equal(await manager.waitForConnection(uid('lena'), 10), true);
        assert.equal(await manager.waitForConnection(uid('nobody'), 20), false);
      }),
  },
  {
    name: 'emitAgentEvent sequences valid AG-UI events, rejects malformed ones, and a v1 connection gets them translated',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const mia = await connect(uid('mia'));
        const run = { run_id: 'run-1' as RunId, thread_id: 'thread-1' as ThreadId };
        const input = { threadId: run.thread_id, runId: run.run_id, messages: [], tools: [], context: [], forwardedProps: { agent: 'demo', input: 'hi' } };
        const started = { type: EventType.RUN_STARTED as const, threadId: run.thread_id, runId: run.run_id, input };
        const result = await manager.emitAgentEvent(uid('mia'), { type: EventType.RUN_STARTED, ...run, payload: started });
        assert.equal(result.seq, 1);
        const broken = { type: EventType.RUN_STARTED, ...run, payload: { type: EventType.RUN_STARTED, runId: run.run_id } } as unknown as AgentEvent;
        await assert.rejects(manager.emitAgentEvent(uid('mia'), broken));
        const got = await waitForCount(streamOf(mia), 1);
        await settle();
        assert.equal(afterGreeting(mia)().length, 1);
        assert.equal(got[0]?.type, 'agent_started');
        assert.equal(got[0]?.run_id, 'run-1');
        assert.equal(got[0]?.thread_id, 'thread-1');
        assert.deepEqual(got[0]?.payload, { agent_name: 'demo', input: 'hi' });
        assert.equal(typeof got[0]?.ts, 'string');
      }),
  },
  {
    name: 'a v2 connection is greeted with agentwire.v2 and gets the stored AG-UI events unchanged; a v1 tab gets them translated, with the same seq',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const v2 = await connect(uid('ola'), { protocol: WireProtocol.V2 });
        const v1 = await connect(uid('ola'));
        const events = streamedRun('run-v2', ['Hi', ' there']);
        for (const event of events) await manager.emitAgentEvent(uid('ola'), event);
        const [got2, got1] = await Promise.all([waitForCount(streamOf(v2), events.length), waitForCount(streamOf(v1), events.length)]);
        assert.equal(v2.received()[0]?.payload['protocol'], WireProtocol.V2);
        assert.equal(v1.received()[0]?.payload['protocol'], WireProtocol.V1);
        assert.deepEqual(got2.map((m) => [m.type, m.seq]), events.map((event, i) => [event.type, i + 1]));
        assert.deepEqual(got2.map((m) => m.payload), events.map((event) => event.payload));
        assert.deepEqual(got1.map((m) => [m.type, m.seq]), [
          ['agent_started', 1],
          ['TEXT_MESSAGE_START', 2],
          ['TEXT_MESSAGE_CONTENT', 3],
          ['TEXT_MESSAGE_CONTENT', 4],
          ['TEXT_MESSAGE_END', 5],
          ['agent_completed', 6],
        ]);
        assert.equal(got1[5]?.payload['final_response'], 'Hi there');
      }),
  },
  {
    name: 'emitAgentEvents sends a batch in order with consecutive seqs, refuses a malformed event alone in its slot, and a v1 tab gets the batch translated',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const v2 = await connect(uid('quin'), { protocol: WireProtocol.V2 });
        const v1 = await connect(uid('quin'));
        const [started, ...rest] = streamedRun('run-batch', ['Hi', ' there']);
        const broken = { ...started, payload: { type: EventType.RUN_STARTED, runId: 'run-batch' } } as unknown as AgentEvent;
        const failures = await manager.emitAgentEvents(uid('quin'), [started as AgentEvent, broken, ...rest]);
        assert.equal(failures?.length, rest.length + 2);
        assert.ok(failures?.[1] instanceof Error, 'the malformed event is refused');
        assert.deepEqual(failures?.filter((failure) => failure !== undefined).length, 1);
        const events = [started as AgentEvent, ...rest];
        const [got2, got1] = await Promise.all([waitForCount(streamOf(v2), events.length), waitForCount(streamOf(v1), events.length)]);
        await settle();
        assert.equal(streamOf(v2)().length, events.length);
        assert.deepEqual(got2.map((m) => [m.type, m.seq]), events.map((event, i) => [event.type, i + 1]));
        assert.deepEqual(got1.map((m) => m.type), ['agent_started', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'agent_completed']);
        assert.equal(await manager.emitAgentEvents(uid('quin'), []), null);
      }),
  },
  {
    name: 'a replay compacts a streamed message (START, one CONTENT with first_seq..seq, END); a resume in the middle gives the exact text',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const tokens = Array.from({ length: 40 }, (_, i) => `w${i} `);
        const events = streamedRun('run-tokens', tokens);
        for (const event of events) await manager.emitAgentEvent(uid('pat'), event);
        const full = await connect(uid('pat'), { afterSeq: 0, protocol: WireProtocol.V2 });
        const got = await waitForCount(streamOf(full), 5);
        await settle();
        assert.deepEqual(streamOf(full)().map((m) => [m.type, m.seq, (m as { first_seq?: number }).first_seq ?? null]), [
          ['RUN_STARTED', 1, null],
          ['TEXT_MESSAGE_START', 2, null],
          ['TEXT_MESSAGE_CONTENT', 42, 3],
          ['TEXT_MESSAGE_END', 43, null],
          ['RUN_FINISHED', 44, null],
        ]);
        assert.equal(got[2]?.payload['delta'], tokens.join(''));
        const late = await connect(uid('pat'), { afterSeq: 12, protocol: WireProtocol.V2 });
        const rest = await waitForCount(streamOf(late), 3);
        assert.deepEqual(rest.map((m) => [m.seq, (m as { first_seq?: number }).first_seq ?? null]), [[42, 13], [43, null], [44, null]]);
        assert.equal(rest[0]?.payload['delta'], tokens.slice(10).join(''));
        // v1 promises a stream without jumps in seq and knows no first_seq: its replay is not compacted.
        const old = await connect(uid('pat'), { afterSeq: 0, protocol: WireProtocol.V1 });
        const all = await waitForCount(streamOf(old), 44);
        assert.deepEqual(all.map((m) => m.seq), Array.from({ length: 44 }, (_, i) => i + 1));
        assert.equal(all.some((m) => (m as { first_seq?: number }).first_seq !== undefined), false);
        assert.equal(all[43]?.type, 'agent_completed');
        assert.equal(all[43]?.payload['final_response'], tokens.join(''));
      }),
  },
  {
    name: 'a v2 connection learns of evicted history as CUSTOM agentwire.replay_gap (seq null)',
    run: (create) =>
      withHarness(
        create,
        async ({ manager, connect }) => {
          for (let i = 1; i <= 5; i += 1) await manager.sendToUser(uid('quin'), note({ i }));
          const tab = await connect(uid('quin'), { afterSeq: 0, protocol: WireProtocol.V2 });
          const got = await waitForCount(afterGreeting(tab), 3);
          assert.deepEqual(got.map((m) => [m.type, m.seq]), [['CUSTOM', null], ['note', 4], ['note', 5]]);
          assert.deepEqual(got[0]?.payload, { type: EventType.CUSTOM, name: 'agentwire.replay_gap', value: { from_seq: 1, to_seq: 3 } });
        },
        2,
      ),
  },
  {
    name: 'shutdown closes every connection with 1001 and refuses later calls',
    run: (create) =>
      withHarness(create, async ({ manager, connect }) => {
        const nina = await connect(uid('nina'));
        const omar = await connect(uid('omar'));
        await manager.shutdown();
        await waitForCount(() => [nina.closeCode(), omar.closeCode()].filter((c) => c !== null), 2, 5000, 'closes');
        assert.equal(nina.closeCode(), 1001);
        assert.equal(omar.closeCode(), 1001);
        assert.equal(manager.getConnectionCount(), 0);
        await assert.rejects(manager.sendToUser(uid('nina'), note({ late: true })));
        await assert.rejects(manager.broadcast(note({ late: true })));
      }),
  },
];

type Describe = (name: string, body: () => void) => void;
type It = (name: string, body: () => Promise<void>, timeoutMs?: number) => void;

/** Registers the suite with a test framework's describe/it (jest, mocha, node:test). */
export function defineManagerConformance(describe: Describe, it: It, name: string, createHarness: ManagerHarnessFactory): void {
  describe(`${name} conforms to WebSocketManagerProtocol`, () => {
    for (const conformanceCase of managerConformanceCases) it(conformanceCase.name, () => conformanceCase.run(createHarness), 20_000);
  });
}
