import { type LocalRedisTopology, startRedisCluster, startRedisSentinel } from '@agentwirejs/backplane-redis/testing';
import Redis, { Cluster } from 'ioredis';
import { ContractClient, type MountedServer, contractOptions, deleteKeys, expectRunsAcrossServers, mountInNodeHttp } from './server-contract.test-helpers';

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
    const [onA, onB] = [await ContractClient.open(apps[0]?.mounted.origin ?? '', 'auth0|topology'), await ContractClient.open(apps[1]?.mounted.origin ?? '', 'auth0|topology')];
    clients.push(onA, onB);
    await expectRunsAcrossServers(onA, onB, 'auth0|topology');
  }, 30_000);
});
