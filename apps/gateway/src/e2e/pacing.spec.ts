import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventType, type ServerEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import Redis from 'ioredis';
import { TokenService } from '@agentwirejs/server';
import { readBurstInChildProcess } from './burst-reader.test-helpers';
import { TEST_SECRET, deleteRedisKeys } from './harness.test-helpers';

/**
 * Issue 13, item 4: an agent that emits faster than its events are sequenced is paced by the
 * backplane, so a run's memory is bounded on both backplanes. The built gateway (dist/main.js)
 * runs as a child process, once per backplane, and streams the issue's burst; its peak RSS
 * (VmHWM) over Redis, where each event costs a round trip, must stay within twice the
 * in-memory one. Before the fix the Redis run queued every event in memory (710 vs 110 MB).
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
const prefix = `agentwire-test:pacing-${process.pid}-${Date.now()}:`;
const BURST = { events: 200_000, payload_bytes: 1024 };
const tokens = new TokenService({ secret: TEST_SECRET });

interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

const children: ChildProcess[] = [];

async function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      AGENTWIRE_ENV: 'test',
      AGENTWIRE_HOST: '127.0.0.1',
      AGENTWIRE_PORT: '0',
      AGENTWIRE_JWT_SECRET: TEST_SECRET,
      AGENTWIRE_SHUTDOWN_GRACE_MS: '0',
      AGENTWIRE_LOG_LEVEL: 'info',
      // Paced, the run lasts as long as its events take to be sequenced (about a minute over
      // Redis on a 2-core machine): this test is about memory, not the 30 s default timeout.
      AGENTWIRE_RUN_TIMEOUT_MS: '110000',
      // The reader is a process of its own (burst-reader.test-helpers.ts), which still shares the
      // machine with the rest of the suite. The in-memory run streams about 55 MB/s (200,000 frames
      // in 4 s, batched per turn), so a pause of the reader of a few tens of ms can fill the default
      // queue (1,000 frames of 1 KB behind a 1 MiB socket): once, in a full gateway suite, the
      // gateway closed it with 1013 (slow consumer). 8,000 frames of slack in both runs keep this
      // test about pacing; the slow-consumer policy has tests of its own (the manager's
      // backpressure.spec, the gateway's manager-closes.spec).
      AGENTWIRE_SEND_QUEUE_MAX: '8000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const started = /"event":"gateway_started".*?"url":"([^"]+)"/.exec(output);
    if (started !== null) return { child, url: started[1] as string };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the gateway did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** The process's peak resident set size so far, in MB. */
function peakRssMb(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) / 1024;
}

/** Starts the burst on a connection of `user`, read in a process of its own, and resolves with the run's terminal event. */
async function burst(gateway: GatewayProcess, user: string, timeoutMs: number): Promise<ServerEnvelope> {
  const { token } = await tokens.issue(user as UserId, 600);
  return readBurstInChildProcess({ url: `${gateway.url.replace('http', 'ws')}ws`, token, agent: 'burst', input: BURST, timeoutMs });
}

let admin: Redis;

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(children.map(stop));
  await deleteRedisKeys(admin, prefix);
  await admin.quit();
}, 30_000);

describe('producers paced by the backplane', () => {
  it('streams a burst of 200,000 × 1 KB events through Redis within twice the in-memory peak RSS', async () => {
    const startedAt = Date.now();
    const memory = await startGateway({});
    const inMemory = await burst(memory, 'pacing-memory', 30_000);
    const memoryPeak = peakRssMb(memory.child.pid as number);
    await stop(memory.child);
    const memorySeconds = (Date.now() - startedAt) / 1000;

    const redis = await startGateway({ AGENTWIRE_REDIS_URL: REDIS_URL, AGENTWIRE_REDIS_KEY_PREFIX: prefix });
    const throughRedis = await burst(redis, 'pacing-redis', 110_000 - (Date.now() - startedAt));
    const redisPeak = peakRssMb(redis.child.pid as number);
    await stop(redis.child);

    const redisSeconds = (Date.now() - startedAt) / 1000 - memorySeconds;
    const figures = `peak RSS in memory ${memoryPeak.toFixed(0)} MB (${memorySeconds.toFixed(1)} s), through Redis ${redisPeak.toFixed(0)} MB (${redisSeconds.toFixed(1)} s)`;
    // RUN_FINISHED (success) counting RUN_STARTED, 200,000 reasoning chunks and itself
    const outcome = (end: ServerEnvelope) => [end.type, (end.payload['outcome'] as { type?: string } | undefined)?.type, (end.payload['metadata'] as { agentwire?: { event_count?: number } } | undefined)?.agentwire?.event_count];
    expect({ figures, inMemory: outcome(inMemory), throughRedis: outcome(throughRedis) }).toEqual({
      figures,
      inMemory: [EventType.RUN_FINISHED, 'success', 200_002],
      throughRedis: [EventType.RUN_FINISHED, 'success', 200_002],
    });
    expect({ figures, withinTwiceInMemory: redisPeak <= 2 * memoryPeak }).toEqual({ figures, withinTwiceInMemory: true });
  }, 120_000);
});
