import { loadConfig } from '@agentwirejs/config';
import { TRACKER_DEFAULTS, resolveTrackerOptions, trackerOptionsFromConfig } from './options';

describe('tracker options', () => {
  it('leave an unset setting to the tracker: config passes undefined on, and the tracker applies its own default', () => {
    const fromUnset = trackerOptionsFromConfig(loadConfig({}));
    expect(fromUnset).toEqual({ maxRunsPerUser: undefined, timeoutMs: undefined, retentionMs: undefined, coalesceMs: undefined });
    const { limits } = resolveTrackerOptions({ sink: { emitAgentEvent: async () => ({ seq: 1, connections: 0 }) }, ...fromUnset });
    expect({ maxRunsPerUser: limits.maxRunsPerUser, timeoutMs: limits.timeoutMs, retentionMs: limits.retentionMs, coalesceMs: limits.coalesceMs }).toEqual({
      maxRunsPerUser: TRACKER_DEFAULTS.maxRunsPerUser,
      timeoutMs: TRACKER_DEFAULTS.timeoutMs,
      retentionMs: TRACKER_DEFAULTS.retentionMs,
      coalesceMs: TRACKER_DEFAULTS.coalesceMs,
    });
  });

  it('take the AGENTWIRE_* run settings, but not the dead-after one: that is about dead processes, not waiting agents', () => {
    const config = loadConfig({
      AGENTWIRE_MAX_RUNS_PER_USER: '2',
      AGENTWIRE_RUN_TIMEOUT_MS: '5000',
      AGENTWIRE_RUN_DEAD_AFTER_MS: '1000',
      AGENTWIRE_RUN_RETENTION_MS: '0',
      AGENTWIRE_STREAM_COALESCE_MS: '0',
    });
    expect(trackerOptionsFromConfig(config)).toEqual({ maxRunsPerUser: 2, timeoutMs: 5_000, retentionMs: 0, coalesceMs: 0 });
  });
});
