import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { WireProtocol } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { TokenService } from '@agentwirejs/server';
import { TEST_SECRET } from './harness.test-helpers';

/**
 * The gateway as an operating-system process, for the specs of how it ends on a signal (started
 * directly in lifecycle.spec.ts, through `npm start` in npm-start.spec.ts).
 */
export const ROOT = join(__dirname, '..', '..', '..', '..');

interface LogLine {
  readonly event?: string;
  readonly url?: string;
  readonly closeCode?: number;
  readonly userId?: string;
  readonly [field: string]: unknown;
}

/** A process whose output is kept, and the gateway URL it logged. */
export class LoggedProcess {
  private output = '';

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
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

/** The processes a spec file started; its afterEach calls killAll, whatever happened in the test. */
export class StartedProcesses {
  private readonly started: LoggedProcess[] = [];

  spawn(command: string, args: string[], options: { env: Record<string, string>; cwd: string; group?: boolean }): LoggedProcess {
    const started = new LoggedProcess(spawn(command, args, { cwd: options.cwd, env: options.env, detached: options.group === true, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.started.push(started);
    return started;
  }

  /** SIGKILL to each process and to every member of its process group still alive. */
  killAll(): void {
    for (const started of this.started.splice(0)) {
      const { pid } = started.child;
      if (pid === undefined) continue;
      for (const member of processGroup(pid)) process.kill(member, 'SIGKILL');
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The live (not zombie) processes whose process group is `groupId`, read from /proc. */
export function processGroup(groupId: number): number[] {
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
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function baseEnv(): Record<string, string> {
  // The parent's own AGENTWIRE_* settings would leak in (and unknown ones are errors).
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('AGENTWIRE_')));
}

/** Completes the WebSocket upgrade by hand, then never reads again: it will not see, let alone answer, a close frame. */
export async function openStuckClient(port: number, token: string): Promise<Socket> {
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

/** A ten-minute token for `user`, signed with the secret the spawned gateways are given. */
export async function tokenFor(user: string): Promise<string> {
  return (await new TokenService({ secret: TEST_SECRET }).issue(user as UserId, 600)).token;
}
