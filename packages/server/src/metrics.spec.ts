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
