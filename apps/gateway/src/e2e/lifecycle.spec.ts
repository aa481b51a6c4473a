import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireProtocol } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import WebSocket from 'ws';
import { TokenService } from '@agentwirejs/server';
import { TEST_SECRET } from './harness.test-helpers';

/**
 * The gateway as a process: how it ends on a signal (started directly and through `npm start`,
 * as a user or a container runtime would), what it logs on the way, and what a development
 * restart keeps. Every process a test starts is killed in afterEach, whatever happened.
 */
const ROOT = join(__dirname, '..', '..', '..', '..');
const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
const tokens = new TokenService({ secret: TEST_SECRET });

interface LogLine {
  readonly event?: string;
  readonly url?: string;
  readonly closeCode?: number;
  readonly userId?: string;
  readonly [field: string]: unknown;
}

/** A process whose output is kept, and the gateway URL it logged. */
class GatewayProcess {
  private output = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static spawn(command: string, args: string[], options: { env: Record<string, string>; cwd: string; group?: boolean }): GatewayProcess {
    const gateway = new GatewayProcess(spawn(command, args, { cwd: options.cwd, env: options.env, detached: options.group === true, stdio: ['ignore', 'pipe', 'pipe'] }));
    running.push(gateway);
    return gateway;
  }

  get text(): string {
    return this.output;
  }

  /** The JSON log lines (other output, such as npm's banner, is skipped). */
  get logs(): LogLine[] {
    return this.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  events(name: string): LogLine[] {
    return this.logs.filter((line) => line.event === name);
  }

  async started(timeoutMs = 20_000): Promise<{ url: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const url = this.events('gateway_started')[0]?.url;
      if (url !== undefined) return { url, port: Number(new URL(url).port) };
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) throw new Error(`the gateway did not start:\n${this.output}`);
      await delay(20);
    }
  }

  async waitForEvents(name: string, count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events(name).length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} ${name} lines:\n${this.output}`);
      await delay(10);
    }
  }

  /** Resolves with the exit code (or signal) and how long after `since` it came, or rejects after timeoutMs. */
  async exit(since: number, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }> {
    const { child } = this;
    if (child.exitCode === null && child.signalCode === null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        once(child, 'exit'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${this.output}`)), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    }
    return { code: child.exitCode, signal: child.signalCode, afterMs: Date.now() - since };
  }
}

const running: GatewayProcess[] = [];

afterEach(() => {
  for (const gateway of running.splice(0)) {
    const { pid } = gateway.child;
    if (pid === undefined) continue;
    for (const member of processGroup(pid)) process.kill(member, 'SIGKILL');
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
  }
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The live (not zombie) processes whose process group is `groupId`, read from /proc. */
function processGroup(groupId: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so split after the last ')'
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === groupId && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Resolves true if something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function baseEnv(): Record<string, string> {
  // The parent's own AGENTWIRE_* settings would leak in (and unknown ones are errors).
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('AGENTWIRE_')));
}

function startMain(env: Record<string, string>, cwd = ROOT): GatewayProcess {
  return GatewayProcess.spawn(process.execPath, [MAIN], {
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

/** Completes the WebSocket upgrade by hand, then never reads again: it will not see, let alone answer, a close frame. */
async function openStuckClient(port: number, token: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${WireProtocol.V2}, bearer.${token}\r\n\r\n`,
  );
  let head = '';
  while (!head.includes('\r\n\r\n')) head += ((await once(socket, 'data')) as [Buffer])[0].toString('latin1');
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  socket.pause();
  socket.on('error', () => undefined); // the gateway resets it in the end
  return socket;
}

async function tokenFor(user: string): Promise<string> {
  return (await tokens.issue(user as UserId, 600)).token;
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

describe('npm start', () => {
  const stuckClients: Socket[] = [];
  afterEach(() => {
    for (const socket of stuckClients.splice(0)) socket.destroy();
  });

  /**
   * Starts the gateway as a user would, with one client that never answers the close frame, so
   * the drain lasts long enough (the close timeout) for every duplicate signal to arrive during it.
   */
  async function npmStart(): Promise<{ npm: GatewayProcess; port: number }> {
    const npm = GatewayProcess.spawn('npm', ['start'], {
      cwd: ROOT,
      // its own process group, as a terminal gives a foreground job; a configured secret, so no file is written into the repository
      group: true,
      env: { ...baseEnv(), AGENTWIRE_PORT: '0', AGENTWIRE_JWT_SECRET: TEST_SECRET, AGENTWIRE_LOG_LEVEL: 'info', AGENTWIRE_SHUTDOWN_GRACE_MS: '1000' },
    });
    // npm, then the nx build (a cache hit, but nx reads the whole workspace), then the gateway: slow on a loaded 2-core machine
    const { port } = await npm.started(45_000);
    stuckClients.push(await openStuckClient(port, await tokenFor('lifecycle-npm')));
    await npm.waitForEvents('connection_opened', 1);
    return { npm, port };
  }

  /** Drained once, exited, nothing of the group left, nothing listening. */
  async function expectStoppedCleanly(npm: GatewayProcess, port: number, since: number): Promise<void> {
    const exit = await npm.exit(since, 10_000);
    expect(npm.events('gateway_draining')).toHaveLength(1);
    expect(npm.events('gateway_stopped')).toHaveLength(1);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(processGroup(npm.child.pid as number)).toEqual([]);
    expect(await accepts(port)).toBe(false);
  }

  it('drains the gateway and leaves nothing behind on SIGTERM to the npm process (what a container runtime or systemd sends)', async () => {
    const { npm, port } = await npmStart();
    const since = Date.now();
    npm.child.kill('SIGTERM');
    await expectStoppedCleanly(npm, port, since);
  }, 70_000);

  it('drains once on SIGINT to the whole process group (Ctrl-C in a terminal reaches npm and the gateway, and npm forwards it)', async () => {
    const { npm, port } = await npmStart();
    const since = Date.now();
    process.kill(-(npm.child.pid as number), 'SIGINT');
    await expectStoppedCleanly(npm, port, since);
  }, 70_000);

  it('drains once when signals come twice in a row', async () => {
    const { npm, port } = await npmStart();
    const since = Date.now();
    npm.child.kill('SIGTERM');
    await npm.waitForEvents('gateway_draining', 1);
    // a second one while draining, the way an impatient operator or a supervisor would send it
    npm.child.kill('SIGTERM');
    await npm.waitForEvents('signal_ignored', 1);
    process.kill(-(npm.child.pid as number), 'SIGINT');
    await expectStoppedCleanly(npm, port, since);
  }, 70_000);
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
