import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { ContractClient, type MountedServer, contractOptions, contractProblems, deleteKeys, isTerminal, mountInNodeHttp, startRun, streamedWords, textOf } from './server-contract.test-helpers';

/** A free port on 127.0.0.1 (the sentinel needs one named in its config). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** A real Redis Sentinel (Debian's redis-server in sentinel mode) on 127.0.0.1 watching the test Redis as `master`. */
async function startSentinel(master: string): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentwire-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it lives in a folder of its own.
  writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${master} 127.0.0.1 6379 1`, `sentinel down-after-milliseconds ${master} 60000`, ''].join('\n'));
  const child: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        if (probe.status !== 'ready') await probe.connect();
        const address = (await probe.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', master)) as string[] | null;
        if (address !== null && address[1] === '6379') break;
      } catch (error) {
        if (attempt >= 50) throw error;
        probe.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    probe.disconnect();
  }
  return {
    port,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('@agentwirejs/server over Redis Sentinel (the app passes an ioredis client configured with sentinels)', () => {
  const master = `agentwire-${process.pid}`;
  const prefix = `aw-sentinel-${process.pid}:`;
  let sentinel: Awaited<ReturnType<typeof startSentinel>>;
  const apps: { mounted: MountedServer; redis: Redis }[] = [];
  const clients: ContractClient[] = [];

  beforeAll(async () => {
    await deleteKeys(prefix);
    sentinel = await startSentinel(master);
    for (let index = 0; index < 2; index += 1) {
      // The app knows only the sentinel and the master's name; each part's duplicate asks the sentinel where the master is.
      const redis = new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: master, lazyConnect: true });
      apps.push({ mounted: await mountInNodeHttp(contractOptions({ AGENTWIRE_REDIS_KEY_PREFIX: prefix }, { redis })), redis });
    }
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const { mounted, redis } of apps) {
      await mounted.stop();
      redis.disconnect();
    }
    await sentinel?.stop();
    await deleteKeys(prefix);
  }, 30_000);

  it("a run started on one server reaches the user's tab on the other, whole and in order, through the master the sentinel names", async () => {
    const onA = await ContractClient.open(apps[0]?.mounted.origin ?? '', 'auth0|sentinel');
    const onB = await ContractClient.open(apps[1]?.mounted.origin ?? '', 'auth0|sentinel');
    clients.push(onA, onB);
    const runId = await startRun(onA, 's1', { words: 12 });
    await Promise.all([onA, onB].map((client) => client.waitFor((message) => message.run_id === runId && isTerminal(message))));
    expect([textOf(onA, runId), textOf(onB, runId)]).toEqual([streamedWords(12), streamedWords(12)]);
    expect([...contractProblems(onA, 'auth0|sentinel'), ...contractProblems(onB, 'auth0|sentinel')]).toEqual([]);

    // The streams are in the master the sentinel named (the test Redis), under the agentwire prefix.
    const admin = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    try {
      expect((await admin.keys(`${prefix}u:*`)).length).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  }, 30_000);
});
