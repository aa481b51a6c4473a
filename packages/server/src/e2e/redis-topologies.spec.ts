import { type LocalRedisTopology, startRedisCluster, startRedisSentinel } from '@agentwirejs/backplane-redis/testing';
import { EventType } from '@agentwirejs/protocols';
import Redis, { Cluster } from 'ioredis';
import { ContractClient, type MountedServer, contractOptions, contractProblems, deleteKeys, isTerminal, mountInNodeHttp, startRun, streamedWords, textOf } from './server-contract.test-helpers';

/** A Redis topology the app runs on, and the ioredis client the app would make for it. */
interface Topology {
  readonly name: string;
  start(): Promise<LocalRedisTopology>;
  client(topology: LocalRedisTopology): Redis | Cluster;
  /** AGENTWIRE_REDIS_KEY_PREFIX for it (unset on a Cluster: the server's default there, {agentwire}:, keeps every key in one slot). */
  readonly keyPrefix: string | null;
}

const sentinelName = `agentwire-${process.pid}`;
const topologies: Topology[] = [
  {
    name: 'Redis Sentinel (the app knows only the sentinel and the master name)',
    start: () => startRedisSentinel(sentinelName),
    client: (topology) => new Redis({ sentinels: [...topology.nodes], name: sentinelName, lazyConnect: true }),
    keyPrefix: `aw-sentinel-${process.pid}:`,
  },
  {
    name: 'a Redis Cluster of three primaries (the app passes its Cluster client)',
    start: () => startRedisCluster(3),
    client: (topology) => new Cluster([...topology.nodes], { lazyConnect: true }),
    keyPrefix: null,
  },
];

describe.each(topologies)('@agentwirejs/server over $name', (topology) => {
  let started: LocalRedisTopology;
  const apps: { mounted: MountedServer; redis: Redis | Cluster }[] = [];
  const clients: ContractClient[] = [];

  beforeAll(async () => {
    started = await topology.start();
    for (let index = 0; index < 2; index += 1) {
      const redis = topology.client(started);
      const env: Record<string, string> = topology.keyPrefix === null ? {} : { AGENTWIRE_REDIS_KEY_PREFIX: topology.keyPrefix };
      apps.push({ mounted: await mountInNodeHttp(contractOptions(env, { redis })), redis });
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const { mounted, redis } of apps.splice(0)) {
      await mounted.stop();
      redis.disconnect();
    }
    await started?.stop();
    // the sentinel's master is the shared test Redis
    if (topology.keyPrefix !== null) await deleteKeys(topology.keyPrefix);
  }, 30_000);

  it("runs on one server reach the user's tab on the other, whole and in order; cancel_run sent to the other server cancels it", async () => {
    const onA = await ContractClient.open(apps[0]?.mounted.origin ?? '', 'auth0|topology');
    const onB = await ContractClient.open(apps[1]?.mounted.origin ?? '', 'auth0|topology');
    clients.push(onA, onB);
    const runId = await startRun(onA, 't1', { words: 12 });
    await Promise.all([onA, onB].map((client) => client.waitFor((message) => message.run_id === runId && isTerminal(message))));
    expect([textOf(onA, runId), textOf(onB, runId)]).toEqual([streamedWords(12), streamedWords(12)]);
    expect([...contractProblems(onA, 'auth0|topology'), ...contractProblems(onB, 'auth0|topology')]).toEqual([]);

    const long = await startRun(onA, 't2', { words: 10_000, interval_ms: 5 });
    await onB.waitFor((message) => message.run_id === long && message.type === EventType.TEXT_MESSAGE_CONTENT);
    onB.send({ type: 'cancel_run', run_id: long, request_id: 'c1' });
    const verdict = await onB.waitFor((message) => (message.type === 'ack' || message.type === 'error') && message.payload['request_id'] === 'c1');
    expect(verdict.type).toBe('ack');
    const ended = await onA.waitFor((message) => message.run_id === long && isTerminal(message));
    expect(ended.payload['outcome']).toMatchObject({ type: 'cancelled' });
  }, 30_000);
});
