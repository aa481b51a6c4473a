import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A Redis topology a test started on 127.0.0.1 with Debian's redis-server; stop() ends every process and removes its files. */
export interface LocalRedisTopology {
  /** Where clients connect: the cluster's nodes, or the sentinel. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  stop(): Promise<void>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A port that is free on 127.0.0.1 and, for a cluster node, whose bus port (port + 10000) is free too. */
async function freePort(withBusPort: boolean): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await canListen(port)) && (!withBusPort || (await canListen(port + 10_000)))) return port;
  }
  throw new Error('no free port for a local Redis');
}

/** Polls `check` every 100 ms until it holds, for at most `timeoutMs`; stops at once when `failure()` names one. */
async function until(check: () => Promise<boolean>, what: string, failure: () => Error | null, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    const error = failure();
    if (error !== null) throw error;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `command`; a missing binary or a failed start rejects `failed` instead of crashing the test process. */
function start(command: string, args: readonly string[], failed: (error: Error) => void): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  child.once('error', (error) => failed(new Error(`${command} could not be started (${error.message}); tests of Redis topologies need Debian's redis-server and redis-tools`)));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function ask(port: number, ...command: string[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [name = '', ...args] = command;
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

function stopAll(children: readonly ChildProcess[], dir: string): () => Promise<void> {
  return async () => {
    await Promise.all(
      children.map((child) => {
        const done = exited(child);
        child.kill('SIGKILL');
        return done;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * A Redis Cluster of `masters` primaries (no replicas, no persistence) on 127.0.0.1, every slot
 * assigned, ready when this resolves. Connect with `new Cluster(topology.nodes)`.
 */
export async function startRedisCluster(masters = 3): Promise<LocalRedisTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'agentwire-cluster-'));
  const children: ChildProcess[] = [];
  const stop = stopAll(children, dir);
  let startError: Error | null = null;
  const failed = (error: Error): void => {
    startError ??= error;
  };
  const failure = (): Error | null => startError;
  try {
    const ports: number[] = [];
    for (let index = 0; index < masters; index += 1) {
      let port = await freePort(true);
      while (ports.includes(port)) port = await freePort(true);
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)];
      children.push(start('redis-server', [...args, '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-node-timeout', '5000'], failed));
    }
    for (const port of ports) await until(async () => (await ask(port, 'PING')) === 'PONG', `cluster node ${port}`, failure);
    const code = await new Promise<number | null>((resolve, reject) => {
      const create = start('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], reject);
      create.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${String(code)}`);
    for (const port of ports) await until(async () => String(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), `cluster state ok on ${port}`, failure);
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A Redis Sentinel on 127.0.0.1 watching the Redis at `master` under `name` (quorum 1), ready
 * when it names that master. Connect with `new Redis({ sentinels: topology.nodes, name })`.
 */
export async function startRedisSentinel(name: string, master: { readonly host: string; readonly port: number } = { host: '127.0.0.1', port: 6379 }): Promise<LocalRedisTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'agentwire-sentinel-'));
  const children: ChildProcess[] = [];
  const stop = stopAll(children, dir);
  try {
    const port = await freePort(false);
    const conf = join(dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it lives in a folder of its own.
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} ${master.host} ${master.port} 1`, `sentinel down-after-milliseconds ${name} 60000`, ''].join('\n'));
    let startError: Error | null = null;
    children.push(start('redis-server', [conf, '--sentinel'], (error) => (startError ??= error)));
    await until(async () => {
      const address = (await ask(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[] | null;
      return address?.[1] === String(master.port);
    }, `the sentinel naming ${name}`, () => startError);
    return { nodes: [{ host: '127.0.0.1', port }], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
