import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type Server, type Socket, connect, createServer } from 'node:net';
import type { RoomStreamEntry, StreamEntry } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { type Cluster, Redis } from 'ioredis';
import { type BatchLine, type RawLogEntry, batchText, entriesFromLog } from './entries';
import type { RedisBackplaneOptions } from './options';

/** The Redis every test machine runs (see README: CI makes sure it answers). */
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test (or test run) uses. */
export function testPrefix(): string {
  return `agentwire-test:${randomBytes(6).toString('hex')}:`;
}

/** Options for tests: a unique prefix and fast timers; override what a test is about. */
export function testOptions(prefix: string, overrides: Partial<RedisBackplaneOptions> = {}): RedisBackplaneOptions {
  return {
    url: TEST_REDIS_URL,
    keyPrefix: prefix,
    livenessTtlMs: 2_000,
    heartbeatIntervalMs: 200,
    positionCheckIntervalMs: 0,
    requestTimeoutMs: 2_000,
    connectTimeoutMs: 3_000,
    closeTimeoutMs: 500,
    reconnectDelay: () => 50,
    ...overrides,
  };
}

/** A plain connection for what a test does behind the components' backs. */
export function adminClient(url = TEST_REDIS_URL): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  return client;
}

/** Something a test opened and must close. */
export interface Closable {
  close(): Promise<void>;
}

/** Per-test Redis state: an admin connection, a fresh key prefix, and what the test opened. */
export interface Testbed {
  readonly admin: Redis;
  readonly prefix: string;
  /** Closes `component` after the test (newest first), before the prefix's keys are deleted. */
  track<T extends Closable>(component: T): T;
}

/** Registers beforeEach/afterEach hooks that give each test a Testbed and clean up after it. */
export function useTestbed(): Testbed {
  let admin: Redis | null = null;
  let prefix = '';
  let opened: Closable[] = [];
  beforeEach(() => {
    admin = adminClient();
    prefix = testPrefix();
    opened = [];
  });
  afterEach(async () => {
    for (const component of opened.splice(0).reverse()) await component.close();
    if (admin === null) return;
    await deleteKeys(admin, prefix);
    admin.disconnect();
    admin = null;
  });
  return {
    get admin(): Redis {
      if (admin === null) throw new Error('the testbed is used outside a test');
      return admin;
    },
    get prefix(): string {
      return prefix;
    },
    track<T extends Closable>(component: T): T {
      opened.push(component);
      return component;
    },
  };
}

/** Deletes every key under the prefix (SCAN + DEL). */
export async function deleteKeys(admin: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await admin.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** The CLIENT LIST line of each connection whose name is exactly `name`. */
export async function clientLines(admin: Redis, name: string): Promise<string[]> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `));
}

/** Cuts the connections named `agentwire-<role>-<processId>` (CLIENT KILL ID); resolves with how many. */
export async function cutConnection(admin: Redis, role: string, processId: string): Promise<number> {
  let killed = 0;
  for (const line of await clientLines(admin, `agentwire-${role}-${processId}`)) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    if (id !== undefined) killed += Number(await admin.call('CLIENT', 'KILL', 'ID', id));
  }
  return killed;
}

/** Polls until `check` holds; rejects with `what` after timeoutMs. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A listener that records what it gets (a user's entries, or a room stream's). */
export function recorder<E extends RoomStreamEntry = StreamEntry>(): { entries: E[]; listener: (entry: E) => void; seqs: () => number[] } {
  const entries: E[] = [];
  return { entries, listener: (entry) => entries.push(entry), seqs: () => entries.map((entry) => entry.seq) };
}

/** 1..n */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A user id unique to this test run. */
export function testUser(name: string): UserId {
  return `${name}-${randomBytes(4).toString('hex')}` as UserId;
}

const note = (payload: Record<string, unknown>) => ({ type: 'note', payload });
export { note };

/** A port nothing listens on (just freed by the OS). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A redis-server of the test's own, so the test may kill and restart it without disturbing the
 * shared one; started like the machine's (no persistence, so a restart loses every key).
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same port and waits until it answers. */
  async restart(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = adminClient(this.url);
    try {
      await eventually(async () => (await probe.ping().catch(() => '')) === 'PONG', 'the private redis-server');
    } finally {
      probe.disconnect();
    }
  }

  /** Stops it for good (the testbed calls this). */
  async close(): Promise<void> {
    await this.kill();
  }

  /** Kills it (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * A TCP proxy in front of the shared Redis that a test can misbehave: drop the replies (Redis
 * still executes the commands), cut every connection (the worst moment for a client), or hold
 * back what reaches a backplane's subscriber connection (its publications arrive late while the
 * commands' replies do not).
 */
export class CuttableProxy {
  /** While true, what Redis answers never reaches the client. */
  dropReplies = false;
  /** While true, nothing gets through either way (a network partition). */
  partitioned = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  /** What Redis sent to subscriber connections while held (see holdSubscribers), in order; null while not held. */
  private heldForSubscribers: (() => void)[] | null = null;

  private constructor(targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      // A backplane's subscriber connection names itself agentwire-subscriber-… (CLIENT SETNAME)
      // first; the name is looked for in what the connection sent so far, however it was split.
      let subscriber = false;
      let sent = '';
      client.on('data', (data: Buffer) => {
        if (!subscriber && sent.length < 4096) {
          sent += data.toString('latin1');
          subscriber = sent.includes('agentwire-subscriber-');
        }
        if (!this.partitioned) upstream.write(data);
      });
      upstream.on('data', (data) => {
        if (this.dropReplies || this.partitioned) return;
        if (subscriber && this.heldForSubscribers !== null) this.heldForSubscribers.push(() => client.write(data));
        else client.write(data);
      });
    });
  }

  static async start(targetPort = 6379): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    return `redis://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  }

  /** Holds back what Redis sends to subscriber connections (publications arrive late, the commands' replies do not). */
  holdSubscribers(): void {
    this.heldForSubscribers ??= [];
  }

  /** Lets what was held reach the subscriber connections, in order, and what follows go straight through. */
  releaseSubscribers(): void {
    const held = this.heldForSubscribers ?? [];
    this.heldForSubscribers = null;
    for (const write of held) write();
  }

  /** Destroys every proxied connection (both sides). */
  cut(): void {
    for (const socket of [...this.sockets]) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One user's part of an APPEND_SCRIPT call, as the backplane sends it: channel, floor, n, the newest entry's append time, the batch's lines. */
export function userBatchArgs(channel: string, floor: number, appends: readonly BatchLine[]): (string | number)[] {
  return [channel, floor, appends.length, appends.at(-1)?.appendedAt ?? 0, batchText(appends)];
}

/** The seqs a user's log holds (every entry of every stored batch), in order. */
export async function storedSeqs(admin: Redis | Cluster, log: string, userId: UserId): Promise<number[]> {
  const raw = (await admin.xrange(log, '-', '+')) as RawLogEntry[];
  return entriesFromLog(userId, raw).map((entry) => entry.seq);
}
