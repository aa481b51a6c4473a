/** @agentwirejs/backplane-redis/testing: local Redis topologies (Cluster, Sentinel) for tests of apps that run on them. */
export { startRedisCluster, startRedisSentinel } from './testing/local-redis';
export type { LocalRedisTopology } from './testing/local-redis';
