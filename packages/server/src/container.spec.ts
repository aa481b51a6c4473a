import { loadConfig } from '@agentwirejs/config';
import { EXECUTION_TRACKER_REGISTRY, type ExecutionTrackerRegistry, TRACKER_DEFAULTS } from '@agentwirejs/execution-tracker';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import pino from 'pino';
import { GatewayTokens, RUN_BATCHES_IN_FLIGHT, RUN_EVENTS_IN_FLIGHT, RUN_EVENT_HIGH_WATER, buildGatewayContainer } from './container';

describe('the composition root', () => {
  it("hands the manager several of a run's events at once, in batches that need not wait for the one before, so they can share a backplane round trip, and lets fewer wait behind them", async () => {
    const config = loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: 'test-secret-of-at-least-32-characters!', AGENTWIRE_LOG_LEVEL: 'silent' });
    const container = buildGatewayContainer({ config, logger: pino({ level: 'silent' }) });
    const registry: ExecutionTrackerRegistry = container.resolve(EXECUTION_TRACKER_REGISTRY);
    try {
      expect(RUN_EVENTS_IN_FLIGHT).toBeGreaterThan(1);
      expect(registry.limits.maxEventsInFlight).toBe(RUN_EVENTS_IN_FLIGHT);
      expect(registry.limits.maxBatchesInFlight).toBe(RUN_BATCHES_IN_FLIGHT);
      expect(RUN_BATCHES_IN_FLIGHT).toBeGreaterThan(1);
      expect(registry.limits.eventHighWater).toBe(RUN_EVENT_HIGH_WATER);
      expect(RUN_EVENT_HIGH_WATER).toBeLessThan(TRACKER_DEFAULTS.eventHighWater);
    } finally {
      await registry.shutdown();
      await container.resolve(WebSocketManagerFactory).shutdown();
    }
  });

  it("keeps the server's open sockets out of ws (its tracking would add a third 'close' listener to every socket)", async () => {
    const config = loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: 'test-secret-of-at-least-32-characters!', AGENTWIRE_LOG_LEVEL: 'silent' });
    const container = buildGatewayContainer({ config, logger: pino({ level: 'silent' }) });
    try {
      expect(container.resolve(GatewayTokens.WebSocketServer).clients).toBeUndefined();
    } finally {
      await container.resolve<ExecutionTrackerRegistry>(EXECUTION_TRACKER_REGISTRY).shutdown();
      await container.resolve(WebSocketManagerFactory).shutdown();
    }
  });
});
