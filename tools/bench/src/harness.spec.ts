import { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { type BenchConnection, type Dialect, openConnections } from './client/connection';
import { runBroadcast, runPaced, runRequests, runUnicast } from './client/runs';
import { runTokenStream } from './client/token-stream';
import { type WsEndpoint, openWsEndpoint } from './server/endpoint';
import { ManagerServer } from './server/manager';
import { RawWsServer } from './server/raw-ws';
import { SocketIoServer } from './server/socketio';
import { BENCH_ROOM, burstText } from './server/workloads';
import { type BenchUser, signUsers } from './tokens';

const SECRET = 'harness-test-secret-of-at-least-32-characters';
const HOST = '127.0.0.1';

interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

async function connect(server: Running, dialect: Dialect, users: readonly BenchUser[], protocol?: 'agentwire.v1' | 'agentwire.v2'): Promise<BenchConnection[]> {
  return openConnections(server.url, dialect, users, 10, protocol);
}

async function closeAll(connections: readonly BenchConnection[]): Promise<void> {
  await Promise.all(connections.map((connection) => connection.close()));
}

async function start(server: RawWsServer | ManagerServer | SocketIoServer): Promise<Running> {
  const port = await server.start();
  return { url: `ws://${HOST}:${port}`, stop: () => server.stop() };
}

/**
 * A hand-written ws server that answers start_agent with the envelopes `script` returns for the
 * sender (already serialized), to show what the harness does with a server that misbehaves.
 */
async function scripted(script: (userId: string) => string[]): Promise<Running> {
  const endpoint: WsEndpoint = await openWsEndpoint({
    host: HOST,
    secret: SECRET,
    onSocket: (socket: WebSocket, userId: string) => {
      socket.send(JSON.stringify({ type: 'connection_established', seq: null, ts: 't', user_id: userId, payload: { connection_id: 'c1', protocol: 'agentwire.v1', last_seq: 0 } }));
      socket.on('message', () => {
        for (const frame of script(userId)) socket.send(frame);
      });
    },
  });
  return { url: `ws://${HOST}:${endpoint.port}`, stop: () => endpoint.close() };
}

/** The envelopes of a correct burst run of `events` for `userId`. */
function burst(userId: string, events: number): { type: string; seq: number; ts: string; user_id: string; thread_id: string; run_id: string; payload: object }[] {
  const base = { ts: 't', user_id: userId, thread_id: `thread_${userId}`, run_id: `run_${userId}` };
  return [
    { type: 'agent_started', seq: 1, ...base, payload: { agent_name: 'burst', input: {} } },
    ...Array.from({ length: events }, (_, i) => ({ type: 'agent_thinking', seq: i + 2, ...base, payload: { reasoning: burstText(i + 1, events, 10) } })),
    { type: 'agent_completed', seq: events + 2, ...base, payload: { status: 'completed', final_response: 'ok', duration_ms: 0, event_count: events + 2 } },
  ];
}

describe('the harness, with real sockets in one process', () => {
  let users: BenchUser[];
  beforeAll(async () => {
    users = await signUsers(SECRET, 3);
  });

  it.each([
    ['raw ws', false],
    ['raw ws corked per turn', true],
  ])('streams one burst run to each %s client and verifies every stream, twice on the same connections', async (_label, cork) => {
    const server = await start(new RawWsServer({ host: HOST, secret: SECRET, room: false, cork }));
    const connections = await connect(server, 'agentwire', users);
    // Writes the server's sockets hand to the kernel (a socket a net.Server accepted has `server`).
    const writev = jest.spyOn(Socket.prototype as unknown as { _writev: (...args: unknown[]) => unknown }, '_writev');
    const write = jest.spyOn(Socket.prototype as unknown as { _write: (...args: unknown[]) => unknown }, '_write');
    const serverWrites = (): number => [...writev.mock.contexts, ...write.mock.contexts].filter((socket) => (socket as { server?: unknown }).server != null).length;
    try {
      for (const round of [1, 2]) {
        const before = serverWrites();
        const report = await runUnicast(connections, { events: 70, payloadBytes: 50, timeoutMs: 10_000 });
        expect({ round, ok: report.verdict.ok, problems: report.verdict.problems, delivered: report.delivered }).toEqual({ round, ok: true, problems: [], delivered: 3 * 72 });
        // Corked, a connection's frames of one turn leave in one write; otherwise each frame is one.
        const writes = serverWrites() - before;
        if (cork) expect(writes).toBeLessThan((3 * 72) / 4);
        else expect(writes).toBeGreaterThanOrEqual(3 * 72);
      }
      expect(connections.map((connection) => connection.lastSeq)).toEqual([144, 144, 144]);
    } finally {
      writev.mockRestore();
      write.mockRestore();
      await closeAll(connections);
      await server.stop();
    }
  });

  it("fails the run when a client receives another user's event", async () => {
    const [first, second] = [users[0] as BenchUser, users[1] as BenchUser];
    const server = await scripted((userId) => {
      const own = burst(userId, 3);
      if (userId === second.userId) own.splice(2, 0, burst(first.userId, 3)[2] as (typeof own)[number]);
      return own.map((envelope) => JSON.stringify(envelope));
    });
    const connections = await connect(server, 'agentwire', [first, second]);
    try {
      const report = await runUnicast(connections, { events: 3, payloadBytes: 10, timeoutMs: 5000 });
      expect(report.verdict.ok).toBe(false);
      expect(report.verdict.failedClients).toBe(1);
      expect(report.verdict.problems.join('\n')).toContain(`${second.userId}: message 3 (agent_thinking) is addressed to ${first.userId}`);
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it('fails the run when events arrive out of order', async () => {
    const server = await scripted((userId) => {
      const own = burst(userId, 4);
      [own[2], own[3]] = [own[3] as (typeof own)[number], own[2] as (typeof own)[number]];
      return own.map((envelope) => JSON.stringify(envelope));
    });
    const connections = await connect(server, 'agentwire', users.slice(0, 1));
    try {
      const report = await runUnicast(connections, { events: 4, payloadBytes: 10, timeoutMs: 5000 });
      expect(report.verdict.ok).toBe(false);
      expect(report.verdict.problems.join('\n')).toMatch(/has seq 4, expected 3/);
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it('runs unicast, a room broadcast and paced probes through the manager, each verified', async () => {
    const server = await start(new ManagerServer({ host: HOST, secret: SECRET, room: true, roomStream: false }));
    const connections = await connect(server, 'agentwire', users);
    try {
      const unicast = await runUnicast(connections, { events: 10, payloadBytes: 50, via: 'emit', timeoutMs: 10_000 });
      expect(unicast.verdict).toMatchObject({ ok: true, failedClients: 0 });
      const broadcast = await runBroadcast(connections, { count: 5, payloadBytes: 20, framing: 'user', timeoutMs: 10_000 });
      expect(broadcast).toMatchObject({ delivered: 15, verdict: { ok: true } });
      const paced = await runPaced(connections, { rate: 600, durationMs: 100, warmupMs: 0, payloadBytes: 60, timeoutMs: 10_000 });
      expect(paced.verdict.ok).toBe(true);
      expect(paced.samples).toBe(60);
      expect(paced.p50Us).toBeGreaterThan(0);
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it("runs a room broadcast through the room's own stream: one frame per message for every member, verified by room_seq", async () => {
    const server = await start(new ManagerServer({ host: HOST, secret: SECRET, room: true, roomStream: true }));
    const connections = await connect(server, 'agentwire', users);
    try {
      const params = { count: 5, payloadBytes: 20, framing: 'room', room: BENCH_ROOM, timeoutMs: 10_000 } as const;
      expect(await runBroadcast(connections, params)).toMatchObject({ delivered: 15, verdict: { ok: true } });
      const again = await runBroadcast(connections, params);
      expect(again.verdict.ok).toBe(true);
      // the same frames fail a check that expects each member's own stream
      expect((await runBroadcast(connections, { ...params, framing: 'user' })).verdict.ok).toBe(false);
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it('times requested runs from the raw ws responder, every run verified', async () => {
    const server = await start(new RawWsServer({ host: HOST, secret: SECRET, room: false }));
    const connections = await connect(server, 'agentwire', users);
    try {
      const report = await runRequests(connections, { runsPerSecond: 100, durationMs: 120, warmupMs: 0, events: 1, payloadBytes: 20, timeoutMs: 10_000 });
      expect(report).toMatchObject({ runs: 12, samples: 36, verdict: { ok: true } });
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it('times requested runs in AG-UI vocabulary over agentwire.v2 (RUN_STARTED starts the clock, RUN_FINISHED ends the run)', async () => {
    const server = await start(new RawWsServer({ host: HOST, secret: SECRET, room: false }));
    const connections = await connect(server, 'agentwire', users, 'agentwire.v2');
    try {
      const report = await runRequests(connections, { runsPerSecond: 100, durationMs: 120, warmupMs: 0, events: 1, payloadBytes: 20, timeoutMs: 10_000, vocabulary: 'ag-ui' });
      expect(report).toMatchObject({ runs: 12, samples: 36, timedOut: false, verdict: { ok: true } });
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it("speaks socket.io's protocol to the socket.io baseline (auth in the connect packet, events in 42 packets)", async () => {
    const server = await start(new SocketIoServer({ host: HOST, secret: SECRET, room: true }));
    const connections = await connect(server, 'socketio', users);
    try {
      expect((await runUnicast(connections, { events: 5, payloadBytes: 20, timeoutMs: 10_000 })).verdict.ok).toBe(true);
      expect((await runBroadcast(connections, { count: 4, payloadBytes: 20, framing: 'shared', timeoutMs: 10_000 })).delivered).toBe(12);
    } finally {
      await closeAll(connections);
      await server.stop();
    }
    await expect(openConnections(server.url, 'socketio', [{ userId: 'x', token: 'not-a-token' }])).rejects.toThrow();
  });

  it('streams a token answer to each raw ws (agentwire.v2) and socket.io client, every text checked and every token timed', async () => {
    for (const [server, dialect] of [
      [await start(new RawWsServer({ host: HOST, secret: SECRET, room: false })), 'agentwire'],
      [await start(new SocketIoServer({ host: HOST, secret: SECRET, room: false })), 'socketio'],
    ] as const) {
      const connections = await connect(server, dialect, users, 'agentwire.v2');
      try {
        const report = await runTokenStream(connections, { tokens: 20, tokensPerSecond: 200, startSpreadMs: 20, timeoutMs: 10_000 });
        expect({ dialect, ok: report.verdict.ok, problems: report.verdict.problems }).toEqual({ dialect, ok: true, problems: [] });
        // per client: RUN_STARTED, TEXT_MESSAGE_START, 20 tokens as 20 frames, TEXT_MESSAGE_END, RUN_FINISHED
        expect(report).toMatchObject({ clients: 3, tokens: 60, envelopes: 3 * 24, contentEnvelopes: 60, timedOut: false });
        expect(report.p99Us).toBeLessThan(1_000_000);
        expect(report.maxUs).toBeGreaterThanOrEqual(report.p99Us);
      } finally {
        await closeAll(connections);
        await server.stop();
      }
    }
  });

  it('fails a token answer whose text is not the burst text', async () => {
    const server = await scripted((userId) => {
      const ids = { ts: new Date().toISOString(), user_id: userId, thread_id: 'thread_1', run_id: 'run_1' };
      const event = (type: string, seq: number, payload: object): string => JSON.stringify({ type, seq, ...ids, payload: { type, ...payload } });
      return [
        event('RUN_STARTED', 1, {}),
        event('TEXT_MESSAGE_START', 2, { messageId: 'm1', role: 'assistant' }),
        event('TEXT_MESSAGE_CONTENT', 3, { messageId: 'm1', delta: 'w0 w2 ' }),
        event('TEXT_MESSAGE_END', 4, { messageId: 'm1' }),
        event('RUN_FINISHED', 5, { outcome: { type: 'success' } }),
      ];
    });
    const connections = await connect(server, 'agentwire', users.slice(0, 1));
    try {
      const report = await runTokenStream(connections, { tokens: 2, tokensPerSecond: 50, startSpreadMs: 0, timeoutMs: 5000 });
      expect(report.verdict.ok).toBe(false);
      expect(report.verdict.problems.join('\n')).toContain('text differs from the burst text');
    } finally {
      await closeAll(connections);
      await server.stop();
    }
  });

  it('refuses a connection without a valid token at the upgrade', async () => {
    const server = await start(new RawWsServer({ host: HOST, secret: SECRET, room: false }));
    try {
      await expect(openConnections(server.url, 'agentwire', [{ userId: 'x', token: 'not-a-token' }])).rejects.toThrow(/HTTP 401/);
    } finally {
      await server.stop();
    }
  });
});
