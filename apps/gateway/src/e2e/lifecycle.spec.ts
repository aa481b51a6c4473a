import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireProtocol } from '@agentwirejs/protocols';
import WebSocket from 'ws';
import { TEST_SECRET } from './harness.test-helpers';
import { type LoggedProcess, ROOT, StartedProcesses, accepts, openStuckClient, tokenFor } from './gateway-process.test-helpers';

/**
 * The gateway as a process started directly (`node dist/main.js`): how it ends on a signal, what
 * it logs on the way, and what a development restart keeps. Every process a test starts is killed
 * in afterEach, whatever happened. The same through `npm start`: npm-start.spec.ts.
 */
const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
const started = new StartedProcesses();
afterEach(() => started.killAll());

function startMain(env: Record<string, string>, cwd = ROOT): LoggedProcess {
  return started.spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', AGENTWIRE_PORT: '0', AGENTWIRE_LOG_LEVEL: 'info', ...env },
  });
}

async function openClient(url: string, token: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, [WireProtocol.V2, `bearer.${token}`]);
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve()); // connection_established
    socket.once('error', reject);
  });
  return socket;
}

describe('the gateway process on SIGTERM', () => {
  it('logs every connection the shutdown closes, before it logs that it stopped', async () => {
    const gateway = startMain({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_SHUTDOWN_GRACE_MS: '0' });
    const { url } = await gateway.started();
    const client = await openClient(url, await tokenFor('lifecycle-ann'));
    const clientClosed = once(client, 'close');
    await gateway.waitForEvents('connection_opened', 1);
    const since = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exit(since, 10_000)).toMatchObject({ code: 0 });
    expect((await clientClosed)[0]).toBe(1001);
    const events = gateway.logs.map((line) => line.event).filter((event) => event === 'connection_closed' || event === 'gateway_stopped');
    expect(events).toEqual(['connection_closed', 'gateway_stopped']);
    expect(gateway.events('connection_closed')[0]).toMatchObject({ userId: 'lifecycle-ann', closeCode: 1001 });
  }, 20_000);

  it('exits 0 within its grace plus a few seconds though one client never reads and never answers the close frame', async () => {
    const graceMs = 1000;
    const gateway = startMain({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_SHUTDOWN_GRACE_MS: String(graceMs) });
    const { url, port } = await gateway.started();
    const stuck = await openStuckClient(port, await tokenFor('lifecycle-stuck'));
    const polite = await openClient(url, await tokenFor('lifecycle-polite'));
    await gateway.waitForEvents('connection_opened', 2);
    const since = Date.now();
    gateway.child.kill('SIGTERM');
    try {
      const exit = await gateway.exit(since, graceMs + 10_000);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.afterMs).toBeLessThan(graceMs + 4000);
      // both closes are logged with the 1001 the gateway sent: the polite one answered it, the stuck one was terminated
      const closes = gateway.events('connection_closed').map((line) => [line.userId, line.closeCode]);
      expect(closes).toEqual(expect.arrayContaining([['lifecycle-polite', 1001], ['lifecycle-stuck', 1001]]));
      expect(await accepts(port)).toBe(false);
    } finally {
      stuck.destroy();
      polite.terminate();
    }
  }, 25_000);
});

describe('a development gateway restarted', () => {
  let workDir: string;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'agentwire-dev-'));
  });

  afterEach(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('keeps its JWT secret without AGENTWIRE_JWT_SECRET: a token from before the restart still connects', async () => {
    const first = startMain({}, workDir);
    const { url } = await first.started();
    const grant = (await (await fetch(`${url}dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"lifecycle-dev"}' })).json()) as { token: string };
    first.child.kill('SIGTERM');
    expect(await first.exit(Date.now(), 10_000)).toMatchObject({ code: 0 });

    const second = startMain({}, workDir);
    const restarted = await second.started();
    const client = await openClient(restarted.url, grant.token);
    client.close();
    await second.waitForEvents('connection_opened', 1);
    expect(statSync(join(workDir, '.agentwire', 'dev-jwt-secret')).mode & 0o777).toBe(0o600);
    expect(second.events('development_secret')[0]).toMatchObject({ file: join(workDir, '.agentwire', 'dev-jwt-secret') });
  }, 25_000);
});

describe('the agentwire-gateway command (package.json bin)', () => {
  it('runs as a program of its own through the link npm makes to it, and stops on SIGTERM', async () => {
    const { bin } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const target = join(__dirname, '..', '..', bin['agentwire-gateway'] ?? 'no bin named agentwire-gateway');
    // npm links a bin as a symlink in node_modules/.bin and runs it directly (the build makes it executable, as
    // npm does when it links one): the kernel reads its first line to know what runs it.
    const binDir = mkdtempSync(join(tmpdir(), 'agentwire-bin-'));
    try {
      const link = join(binDir, 'agentwire-gateway');
      symlinkSync(target, link);
      const gateway = started.spawn(link, [], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', AGENTWIRE_PORT: '0', AGENTWIRE_LOG_LEVEL: 'info', AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: TEST_SECRET },
      });
      const { port } = await gateway.started();
      expect(await accepts(port)).toBe(true);
      const since = Date.now();
      gateway.child.kill('SIGTERM');
      expect(await gateway.exit(since, 10_000)).toMatchObject({ code: 0 });
    } finally {
      rmSync(binDir, { recursive: true, force: true });
    }
  }, 20_000);
});
