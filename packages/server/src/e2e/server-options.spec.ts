import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { loadConfig } from '@agentwirejs/config';
import { WireProtocol } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { contractOptions, mountInNodeHttp, tokenOf } from './server-contract.test-helpers';

const serve = mountInNodeHttp;

async function upgradeStatus(origin: string, protocols: string[]): Promise<number> {
  const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws`, protocols);
  socket.on('error', () => undefined);
  const opened = once(socket, 'open').then(() => 101);
  const refused = once(socket, 'unexpected-response').then(([, response]) => (response as IncomingMessage).statusCode ?? 0);
  const status = await Promise.race([opened, refused]);
  socket.terminate();
  return status;
}

describe('createAgentwireServer options', () => {
  it('never serves /dev/token unless the app asks for it (devTokenEndpoint), even with JWTs in development mode', async () => {
    const development = loadConfig({ AGENTWIRE_ENV: 'development', AGENTWIRE_JWT_SECRET: 'options-spec-secret-of-32-characters!!', AGENTWIRE_LOG_LEVEL: 'silent' });
    for (const options of [{ config: development }, { config: development, devTokenEndpoint: false }]) {
      const mounted = await serve(options);
      try {
        expect((await fetch(`${mounted.origin}/dev/token`, { method: 'POST', body: '{"user":"victim"}' })).status).toBe(404);
      } finally {
        await mounted.stop();
      }
    }
    const asked = await serve({ config: development, devTokenEndpoint: true });
    try {
      const response = await fetch(`${asked.origin}/dev/token`, { method: 'POST', body: '{"user":"alice"}' });
      expect({ status: response.status, user: ((await response.json()) as { user_id?: string }).user_id }).toEqual({ status: 200, user: 'alice' });
    } finally {
      await asked.stop();
    }
    // with the app's own authenticate there are no agentwire tokens to hand out
    const own = await serve({ ...contractOptions({ AGENTWIRE_ENV: 'development' }), devTokenEndpoint: true });
    try {
      expect((await fetch(`${own.origin}/dev/token`, { method: 'POST', body: '{"user":"victim"}' })).status).toBe(404);
    } finally {
      await own.stop();
    }
  });

  it("refuses (401) an identity the app's authenticate returns already expired, and one outside the user-id rule", async () => {
    const mounted = await serve(
      contractOptions({}, {
        authenticate: async (request) => {
          const token = request.headers['sec-websocket-protocol']?.split(',').map((part) => part.trim()).find((part) => part.startsWith('bearer.'));
          if (token === 'bearer.expired') return { userId: 'alice' as UserId, validUntil: Date.now() - 1 };
          if (token === 'bearer.bad-id') return { userId: 'a\u0000b' as UserId, validUntil: Number.POSITIVE_INFINITY };
          return { userId: 'alice' as UserId, validUntil: Date.now() + 60_000 };
        },
      }),
    );
    try {
      expect(await upgradeStatus(mounted.origin, [WireProtocol.V2, 'bearer.expired'])).toBe(401);
      expect(await upgradeStatus(mounted.origin, [WireProtocol.V2, 'bearer.bad-id'])).toBe(401);
      expect(await upgradeStatus(mounted.origin, [WireProtocol.V2, 'bearer.fine'])).toBe(101);
    } finally {
      await mounted.stop();
    }
  });

  it("joins the app's prom-client registry and leaves it when closed: a new server registers again, the app's own metrics stay", async () => {
    const registry = new Registry();
    registry.registerMetric(new (await import('prom-client')).Counter({ name: 'app_requests_total', help: 'the app' }));
    for (let round = 0; round < 2; round += 1) {
      const mounted = await serve(contractOptions({}, { metricsRegistry: registry }));
      try {
        expect(await registry.metrics()).toContain('agentwire_connections ');
        // the app collects the process's default metrics itself: the server adds none to its registry
        expect(await registry.metrics()).not.toContain('agentwire_process_cpu');
      } finally {
        await mounted.stop();
      }
      expect(registry.getMetricsAsArray().map((metric) => metric.name)).toEqual(['app_requests_total']);
    }
  });

  it('answers a request target that is no URL path (GET //[) without taking the process down, with the server API on', async () => {
    const mounted = await serve(contractOptions({ AGENTWIRE_API_KEYS: 'options-spec-api-key-of-32-characters!!' }));
    try {
      const statusLine = await new Promise<string>((resolve, reject) => {
        const socket = connect((mounted.http.address() as AddressInfo).port, '127.0.0.1', () => socket.write('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
        socket.on('error', reject);
      });
      expect(statusLine).toBe('HTTP/1.1 404 Not Found');
      expect((await fetch(`${mounted.origin}/health`)).status).toBe(200);
    } finally {
      await mounted.stop();
    }
  });

  it("leaves a connection's TCP socket with ws's error listener only, once ws took it over (a second one costs every idle connection an array)", async () => {
    const mounted = await serve(contractOptions());
    try {
      const upgraded: Duplex[] = [];
      mounted.http.prependListener('upgrade', (_request: IncomingMessage, socket: Duplex) => upgraded.push(socket));
      const client = new WebSocket(`${mounted.origin.replace(/^http/, 'ws')}/ws`, [WireProtocol.V2, `bearer.${tokenOf('alice')}`]);
      const [greeting] = await once(client, 'message');
      expect(JSON.parse(String(greeting))).toMatchObject({ type: 'connection_established' });
      expect(upgraded).toHaveLength(1);
      expect(upgraded[0]?.listenerCount('error')).toBe(1);
      client.close();
      await once(client, 'close');
    } finally {
      await mounted.stop();
    }
  });

  it('gives an admission back when ws refuses the handshake itself (a bad Sec-WebSocket-Version), so refused upgrades never fill the process', async () => {
    const mounted = await serve(contractOptions({ AGENTWIRE_MAX_CONNECTIONS: '2' }));
    try {
      const port = (mounted.http.address() as AddressInfo).port;
      const badVersion = (): Promise<string> =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () =>
            socket.write(
              'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 12\r\n' +
                `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ${WireProtocol.V2}, bearer.${tokenOf('alice')}\r\n\r\n`,
            ),
          );
          let received = '';
          socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
          socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
          socket.on('error', reject);
        });
      for (let attempt = 0; attempt < 3; attempt += 1) expect(await badVersion()).toBe('HTTP/1.1 400 Bad Request');
      expect(await upgradeStatus(mounted.origin, [WireProtocol.V2, `bearer.${tokenOf('bob')}`])).toBe(101);
    } finally {
      await mounted.stop();
    }
  });

  it('stops taking the upgrades of the HTTP server it was attached to once closed', async () => {
    const mounted = await serve(contractOptions());
    expect(mounted.http.listenerCount('upgrade')).toBe(1);
    expect(await upgradeStatus(mounted.origin, [WireProtocol.V2, `bearer.${tokenOf('alice')}`])).toBe(101);
    await mounted.server.close();
    expect(mounted.http.listenerCount('upgrade')).toBe(0);
    mounted.http.closeAllConnections();
    await new Promise((resolve) => mounted.http.close(resolve));
  });
});
