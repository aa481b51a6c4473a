import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { EXECUTION_TRACKER_REGISTRY } from '@agentwirejs/execution-tracker';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import { EventType, WireProtocol } from '@agentwirejs/protocols';
import WebSocket from 'ws';
import { builtInAgents } from '../agents/built-in';
import { TokenService } from '@agentwirejs/server';
import { GatewayTokens } from '@agentwirejs/server/testing';
import { TEST_SECRET, TestClient, isRunEnd, isRunFinished, startTestGateway, tickerAgent, tryUpgrade, wireProblems, wsUrl } from './harness.test-helpers';

describe('health, readiness and metrics', () => {
  it('answers /health, /ready and /metrics in Prometheus text', async () => {
    const { gateway, tokens } = await startTestGateway({ AGENTWIRE_DEMO_TOKENS_PER_SECOND: '100000' });
    try {
      const client = await TestClient.connect(gateway, tokens, 'watcher');
      client.send({ type: 'user_message', text: 'what is 2+2?' });
      await client.waitFor(isRunFinished('success'));
      const health = (await (await fetch(new URL('/health', gateway.url))).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', connections: 1 });
      expect(typeof health['uptime']).toBe('number');
      const ready = await fetch(new URL('/ready', gateway.url));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, reason: null, backplane: 'ready' });
      const metrics = await fetch(new URL('/metrics', gateway.url));
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      for (const name of [
        'agentwire_connections 1',
        'agentwire_users 1',
        'agentwire_messages_in_total{type="user_message"} 1',
        '# TYPE agentwire_messages_out_total counter',
        'agentwire_send_queue_depth 0',
        '# TYPE agentwire_dropped_events_total counter',
        'agentwire_dropped_events_total 0',
        '# TYPE agentwire_limit_hits_total counter',
        '# TYPE agentwire_isolation_violations_total counter',
        'agentwire_process_cpu_user_seconds_total',
        'agentwire_nodejs_heap_size_used_bytes',
        'agentwire_runs{state="completed"} 1',
        'agentwire_run_duration_seconds_count{outcome="completed"} 1',
        'agentwire_rate_limit_hits_total 0',
        'agentwire_auth_failures_total',
      ]) {
        expect(text).toContain(name);
      }
      expect(text).not.toMatch(/agentwire_process_process_|agentwire_process_nodejs_/);
      expect(Number(/^agentwire_messages_out_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(5);
      expect((await fetch(new URL('/nothing', gateway.url))).status).toBe(404);
      const page = await fetch(gateway.url);
      expect(await page.text()).toContain('<title>agentwire</title>');
      await client.close();
    } finally {
      await gateway.stop();
    }
  });
});

describe('draining (in process)', () => {
  it('marks not ready, refuses new connections, ends running runs with RUN_ERROR shutdown and closes sockets with 1001', async () => {
    const { gateway, tokens } = await startTestGateway({ AGENTWIRE_SHUTDOWN_GRACE_MS: '300' }, { agents: [...builtInAgents({ maxEvents: 10, maxPayloadBytes: 10 }), tickerAgent] });
    const client = await TestClient.connect(gateway, tokens, 'drainee');
    client.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 100_000, interval_ms: 10 } });
    await client.waitFor((m) => m.type === EventType.REASONING_MESSAGE_CHUNK);
    const url = gateway.url;
    const stopping = gateway.stop();
    const ready = await fetch(new URL('/ready', url));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, reason: 'draining' });
    const { token } = await tokens.issue('latecomer' as never, 60);
    expect(await tryUpgrade(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`])).toEqual({ status: 503 });
    const error = await client.waitFor((m) => m.type === EventType.RUN_ERROR);
    expect(error.payload['code']).toBe('shutdown');
    expect(await client.waitForClose()).toBe(1001);
    await stopping;
    await expect(fetch(new URL('/ready', url))).rejects.toThrow();
    const run = client.stream;
    expect(run.filter(isRunEnd)).toHaveLength(1);
    expect(run[run.length - 1]?.type).toBe(EventType.RUN_ERROR);
    expect(client.wireProblems()).toEqual([]);
  });
});

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

function startProcess(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = output().match(pattern);
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the gateway process', () => {
  it('refuses to start on a bad setting, naming the variable', async () => {
    const { child, output } = startProcess({ AGENTWIRE_PORT: 'eighty', AGENTWIRE_ENV: 'staging' });
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(output()).toContain('AGENTWIRE_PORT: expected a whole number from 0 to 65535, got "eighty"');
    expect(output()).toContain('AGENTWIRE_ENV: expected one of development, test, production');
  });

  it('logs the port it got for AGENTWIRE_PORT=0, and on SIGTERM ends runs with RUN_ERROR shutdown, closes sockets with 1001 and exits 0', async () => {
    const { child, output } = startProcess({ AGENTWIRE_PORT: '0', AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_SHUTDOWN_GRACE_MS: '0' });
    try {
      const [, url] = await waitForOutput(output, /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/);
      expect(url).not.toBe('http://127.0.0.1:0/');
      const { token } = await new TokenService({ secret: TEST_SECRET }).issue('sigterm-user' as never, 600);
      const socket = new WebSocket(`${String(url).replace('http', 'ws')}ws`, [WireProtocol.V2, `bearer.${token}`]);
      const messages: { type: string; payload: Record<string, unknown> }[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
      const closed = once(socket, 'close');
      await once(socket, 'open');
      socket.send(JSON.stringify({ type: 'start_agent', agent: 'burst', input: { events: 200_000, payload_bytes: 64 } }));
      const deadline = Date.now() + 10_000;
      while (!messages.some((m) => m.type === EventType.REASONING_MESSAGE_CHUNK) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      child.kill('SIGTERM');
      const [exitCode] = (await once(child, 'exit')) as [number];
      const [closeCode] = (await closed) as [number];
      expect(exitCode).toBe(0);
      expect(closeCode).toBe(1001);
      const terminal = messages.filter(isRunEnd);
      expect(terminal).toHaveLength(1);
      expect(terminal[0]).toMatchObject({ type: EventType.RUN_ERROR, payload: { code: 'shutdown' } });
      expect(wireProblems(messages)).toEqual([]);
      expect(output()).toContain('"event":"gateway_stopped"');
      expect(output()).not.toContain(token);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('wiring', () => {
  it('registers every part in one container per gateway, so two gateways share nothing', async () => {
    const first = await startTestGateway();
    const second = await startTestGateway();
    try {
      for (const token of [...Object.values(GatewayTokens), WebSocketManagerFactory, EXECUTION_TRACKER_REGISTRY]) {
        expect(first.gateway.server.container.isRegistered(token as never)).toBe(true);
        // the clock is Date.now itself (stateless) and there are no Redis parts without a Redis URL;
        // everything else is an instance of its own
        if (token === GatewayTokens.Clock) continue;
        if (token === GatewayTokens.Redis) {
          expect(first.gateway.server.container.resolve(GatewayTokens.Redis)).toBeNull();
          continue;
        }
        expect(first.gateway.server.container.resolve(token as never)).not.toBe(second.gateway.server.container.resolve(token as never));
      }
      expect(first.gateway.server.container.resolve(GatewayTokens.Config)).toBe(first.config);
    } finally {
      await Promise.all([first.gateway.stop(), second.gateway.stop()]);
    }
  });
});
