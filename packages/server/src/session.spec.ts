import type { AddressInfo } from 'node:net';
import { loadConfig } from '@agentwirejs/config';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import type { MessageRouter } from '@agentwirejs/router';
import type { UserId } from '@agentwirejs/types';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { AbuseCooldown } from './abuse-cooldown';
import { GatewayTokens, buildGatewayContainer } from './container';
import type { GatewayRouteContext } from './handlers';
import { OpenSockets, type SessionDeps, openSession } from './session';

type LogLine = Record<string, unknown> & { level: number };

/**
 * openSession over a real ws server on loopback, with the gateway's own parts from its
 * container, and failures injected where a session depends on something.
 */
describe('openSession contains failures', () => {
  let wss: WebSocketServer;
  let url: string;
  let lines: LogLine[];
  let deps: SessionDeps;
  let factory: WebSocketManagerFactory;
  const sessions: Promise<void>[] = [];

  beforeEach(async () => {
    lines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    const config = loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: 'test-secret-of-at-least-32-characters!', AGENTWIRE_LOG_LEVEL: 'silent' });
    const container = buildGatewayContainer({ config, logger });
    factory = container.resolve(WebSocketManagerFactory);
    const router = container.resolve(GatewayTokens.Router);
    deps = {
      container,
      factory,
      router: router.router,
      forgetRateLimit: (connectionId) => router.forget(connectionId),
      metrics: container.resolve(GatewayTokens.Metrics),
      logger,
      now: Date.now,
      abuse: new AbuseCooldown(Date.now),
      sockets: new OpenSockets(),
    };
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await factory.shutdown();
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    sessions.length = 0;
  });

  /** Opens a client (recording what it receives); the server side runs openSession for `userId` with `sessionDeps`. */
  async function open(userId: string, sessionDeps: SessionDeps = deps): Promise<{ client: WebSocket; messages: string[] }> {
    wss.once('connection', (socket) => sessions.push(openSession(socket, { userId: userId as UserId, validUntil: Date.now() + 60_000 }, undefined, sessionDeps)));
    const client = new WebSocket(url);
    const messages: string[] = [];
    client.on('message', (data: Buffer) => messages.push(data.toString()));
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    return { client, messages };
  }

  async function received(messages: string[], type: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!messages.some((message) => message.includes(`"type":"${type}"`))) {
      if (Date.now() > deadline) throw new Error(`no ${type} message`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  function closeOf(client: WebSocket): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) => client.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  it('closes with 1011 and a logged ref when the session cannot even be set up (an identity the context refuses), and resolves', async () => {
    const { client } = await open('bad\u0000id');
    const { code, reason } = await closeOf(client);
    await expect(sessions[0]).resolves.toBeUndefined();
    expect(code).toBe(1011);
    const ref = /internal error \(ref (\S+)\)/.exec(reason)?.[1];
    expect(lines.find((line) => line.ref === ref)).toMatchObject({ level: 50, event: 'connection_failed', stage: 'setup' });
  });

  it("gives a registered socket two 'close' listeners (the session's, the manager's) and takes every socket out of the open ones when it closes, a failed set-up too", async () => {
    const own = new WebSocketServer({ host: '127.0.0.1', port: 0, clientTracking: false });
    await new Promise<void>((resolve) => own.once('listening', resolve));
    const sockets = new OpenSockets();
    const serverSide: WebSocket[] = [];
    own.on('connection', (socket, request) => {
      sockets.add(socket);
      serverSide.push(socket);
      const userId = request.url === '/bad' ? 'bad\u0000id' : 'carol';
      sessions.push(openSession(socket, { userId: userId as UserId, validUntil: Date.now() + 60_000 }, undefined, { ...deps, sockets }));
    });
    try {
      const base = `ws://127.0.0.1:${(own.address() as AddressInfo).port}`;
      const client = new WebSocket(`${base}/ok`);
      const messages: string[] = [];
      client.on('message', (data: Buffer) => messages.push(data.toString()));
      await received(messages, 'connection_established');
      expect(serverSide[0]?.listenerCount('close')).toBe(2);
      const broken = new WebSocket(`${base}/bad`);
      broken.on('error', () => undefined);
      expect((await closeOf(broken)).code).toBe(1011);
      expect(sockets.size).toBeGreaterThan(0);
      const closed = closeOf(client);
      client.close();
      await closed;
      await sockets.allClosed();
      expect(sockets.size).toBe(0);
    } finally {
      for (const socket of serverSide) socket.terminate();
      await new Promise<void>((resolve) => own.close(() => resolve()));
    }
  });

  it('closes with 1011 and a logged ref when routing fails, and keeps serving other connections', async () => {
    const brokenRouter = { route: () => Promise.reject(new Error('injected: routing failed')) } as unknown as MessageRouter<GatewayRouteContext>;
    const { client: victim, messages: seen } = await open('alice', { ...deps, router: brokenRouter });
    await received(seen, 'connection_established');
    const closing = closeOf(victim);
    victim.send('{"type":"ping"}');
    const { code, reason } = await closing;
    expect(code).toBe(1011);
    const ref = /internal error \(ref (\S+)\)/.exec(reason)?.[1];
    expect(lines.find((line) => line.ref === ref)).toMatchObject({ level: 50, event: 'connection_failed', stage: 'routing', userId: 'alice' });
    const deadline = Date.now() + 5000;
    while (!lines.some((line) => line.event === 'connection_closed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lines.find((line) => line.event === 'connection_closed' && line.userId === 'alice')).toMatchObject({ closeCode: 1011 });

    const { client: other, messages } = await open('bob');
    await received(messages, 'connection_established');
    other.send('{"type":"ping"}');
    await received(messages, 'pong');
    other.close();
  });
});

describe('OpenSockets', () => {
  it('resolves allClosed when the last socket has left, and again each time it empties', async () => {
    const sockets = new OpenSockets();
    const [a, b] = [{}, {}] as unknown as [WebSocket, WebSocket];
    await expect(sockets.allClosed()).resolves.toBeUndefined();
    sockets.add(a);
    sockets.add(b);
    let first = false;
    const closed = sockets.allClosed().then(() => (first = true));
    sockets.delete(a);
    await new Promise((resolve) => setImmediate(resolve));
    expect(first).toBe(false);
    sockets.delete(b);
    await closed;
    sockets.add(a);
    let second = false;
    const closedAgain = sockets.allClosed().then(() => (second = true));
    sockets.delete(b); // not open: nothing happens
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false);
    sockets.delete(a);
    await closedAgain;
    expect([first, second, sockets.size]).toEqual([true, true, 0]);
  });
});
