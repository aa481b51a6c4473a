import type { RedisBackplaneStats } from '@agentwirejs/backplane-redis';
import Redis from 'ioredis';
import { ContractClient, type MountedServer, REDIS_URL, contractOptions, deleteKeys, mountInNodeHttp } from './e2e/server-contract.test-helpers';
import { GatewayMetrics } from './metrics';

const sources = {
  connections: () => 0,
  users: () => 0,
  messagesOut: () => 0,
  sendQueueDepth: () => 0,
  droppedEvents: () => 0,
  runsByState: () => ({}),
  managersActive: () => 0,
  limitHits: () => 0,
  isolationViolations: () => 0,
};

describe("the gateway's metrics", () => {
  it('exposes the client messages counted by type as a counter, cumulative between scrapes', async () => {
    const metrics = new GatewayMetrics(sources);
    metrics.countMessageIn('start_agent');
    metrics.countMessageIn('start_agent');
    metrics.countMessageIn('refused');
    const first = (await metrics.render()).body;
    expect(first).toContain('# TYPE agentwire_messages_in_total counter');
    expect(first).toContain('agentwire_messages_in_total{type="start_agent"} 2');
    expect(first).toContain('agentwire_messages_in_total{type="refused"} 1');
    metrics.countMessageIn('start_agent');
    const second = (await metrics.render()).body;
    expect(second).toContain('agentwire_messages_in_total{type="start_agent"} 3');
    expect(second).toContain('agentwire_messages_in_total{type="refused"} 1');
    metrics.unregister();
  });

  it('observes run durations by outcome', async () => {
    const metrics = new GatewayMetrics(sources);
    metrics.observeRunDuration('completed', 0.02);
    metrics.observeRunDuration('completed', 0.2);
    metrics.observeRunDuration('failed', 1);
    const { body } = await metrics.render();
    expect(body).toContain('agentwire_run_duration_seconds_count{outcome="completed"} 2');
    expect(body).toContain('agentwire_run_duration_seconds_count{outcome="failed"} 1');
    expect(body).toContain('agentwire_run_duration_seconds_bucket{le="0.05",outcome="completed"} 1');
    metrics.unregister();
  });
});

describe("the gateway's metrics of the Redis backplane", () => {
  const stats: RedisBackplaneStats = {
    status: 'ready',
    processId: 'p1',
    subscribedUsers: 3,
    subscribedRooms: 0,
    bufferedAppends: 40,
    reconnects: 2,
    errors: 1,
    recoveries: 5,
    gapNotices: 1,
    streamResets: 0,
    positionLags: 4,
  };

  it("exposes the backplane's counters as counters and its backlog as gauges, read at each scrape", async () => {
    let current = stats;
    const metrics = new GatewayMetrics({ ...sources, backplaneStats: () => current });
    const first = (await metrics.render()).body;
    expect(first).toContain('# TYPE agentwire_backplane_reconnects_total counter');
    expect(first).toContain('agentwire_backplane_reconnects_total 2');
    expect(first).toContain('agentwire_backplane_recoveries_total 5');
    expect(first).toContain('agentwire_backplane_gap_notices_total 1');
    expect(first).toContain('agentwire_backplane_stream_resets_total 0');
    expect(first).toContain('agentwire_backplane_position_lags_total 4');
    expect(first).toContain('agentwire_backplane_errors_total 1');
    expect(first).toContain('agentwire_backplane_buffered_appends 40');
    expect(first).toContain('agentwire_backplane_subscribed_users 3');
    current = { ...stats, reconnects: 3, recoveries: 8, bufferedAppends: 0 };
    const second = (await metrics.render()).body;
    expect(second).toContain('agentwire_backplane_reconnects_total 3');
    expect(second).toContain('agentwire_backplane_recoveries_total 8');
    expect(second).toContain('agentwire_backplane_buffered_appends 0');
    metrics.unregister();
  });

  it('has none of them without a Redis backplane', async () => {
    const metrics = new GatewayMetrics(sources);
    expect((await metrics.render()).body).not.toContain('agentwire_backplane_');
    metrics.unregister();
  });

  describe('of a server on the real Redis (127.0.0.1:6379)', () => {
    const keyPrefix = `aw-metrics-${process.pid}:`;
    let mounted: MountedServer;
    let client: ContractClient | null = null;
    const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });

    beforeAll(async () => {
      await admin.connect();
      mounted = await mountInNodeHttp(contractOptions({ AGENTWIRE_REDIS_URL: REDIS_URL, AGENTWIRE_REDIS_KEY_PREFIX: keyPrefix }));
    });

    afterAll(async () => {
      await client?.close();
      await mounted?.stop();
      admin.disconnect();
      await deleteKeys(keyPrefix);
    });

    const scrape = async (): Promise<string> => (await fetch(`${mounted.origin}/metrics`)).text();
    const valueOf = (body: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1] ?? Number.NaN);

    it('counts the subscriber connection Redis closed (as it does past client-output-buffer-limit pubsub), and the recovery of its user', async () => {
      client = await ContractClient.open(mounted.origin, 'metrics-user');
      const before = await scrape();
      expect(valueOf(before, 'agentwire_backplane_subscribed_users')).toBe(1);
      expect(valueOf(before, 'agentwire_backplane_reconnects_total')).toBe(0);
      const recoveriesBefore = valueOf(before, 'agentwire_backplane_recoveries_total');
      expect(recoveriesBefore).toBeGreaterThanOrEqual(0);

      // This process's subscriber connection, cut as Redis cuts a subscriber that falls behind.
      const list = (await admin.call('CLIENT', 'LIST')) as string;
      const ids = list
        .split('\n')
        .filter((line) => line.includes(' name=agentwire-subscriber-') && line.includes(`-${process.pid}-`))
        .map((line) => /(?:^| )id=(\d+)/.exec(line)?.[1]);
      expect(ids).toHaveLength(1);
      await admin.call('CLIENT', 'KILL', 'ID', String(ids[0]));

      const deadline = Date.now() + 10_000;
      let after = await scrape();
      while (valueOf(after, 'agentwire_backplane_recoveries_total') <= recoveriesBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await scrape();
      }
      expect(valueOf(after, 'agentwire_backplane_reconnects_total')).toBeGreaterThanOrEqual(1);
      expect(valueOf(after, 'agentwire_backplane_recoveries_total')).toBeGreaterThan(recoveriesBefore);
      expect(valueOf(after, 'agentwire_backplane_gap_notices_total')).toBe(0);
    }, 20_000);
  });
});
