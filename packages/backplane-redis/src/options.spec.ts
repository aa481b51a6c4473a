import { loadConfig } from '@agentwirejs/config';
import { InvalidRedisOptionError, RedisNotConfiguredError } from './errors';
import { REDIS_DEFAULTS, generateProcessId, redisOptionsFromConfig, resolveRedisOptions } from './options';
import { TEST_REDIS_URL } from './redis.test-helpers';

describe('Redis options', () => {
  it('fills every default from REDIS_DEFAULTS', () => {
    const options = resolveRedisOptions({ url: TEST_REDIS_URL });
    for (const [name, value] of Object.entries(REDIS_DEFAULTS)) expect(options[name as keyof typeof REDIS_DEFAULTS]).toBe(value);
    expect(options.processId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    expect(options.reconnectDelay(1)).toBe(100);
    expect(options.reconnectDelay(100)).toBe(2_000);
  });

  it.each([
    [{ url: 'http://example.invalid' }, 'url'],
    [{ keyPrefix: 'has space' }, 'keyPrefix'],
    [{ processId: 'no/slash' }, 'processId'],
    [{ maxEvents: -1 }, 'maxEvents'],
    [{ maxBatchSize: 1.5 }, 'maxBatchSize'],
    [{ maxAppendBytesInFlight: 0 }, 'maxAppendBytesInFlight'],
    [{ heartbeatIntervalMs: 6_000 }, 'heartbeatIntervalMs'],
    [{ streamTtlMs: 1_000 }, 'streamTtlMs'],
    [{ runRecordTtlMs: 5_000 }, 'runRecordTtlMs'],
  ])('names the option at fault: %j', (override, option) => {
    expect(() => resolveRedisOptions({ url: TEST_REDIS_URL, ...override })).toThrow(expect.objectContaining({ code: 'INVALID_REDIS_OPTION', option }));
    expect(() => resolveRedisOptions({ url: TEST_REDIS_URL, ...override })).toThrow(InvalidRedisOptionError);
  });

  it("builds the options from agentwire's settings, with one processId for all components", () => {
    const config = loadConfig({
      AGENTWIRE_REDIS_URL: TEST_REDIS_URL,
      AGENTWIRE_REDIS_KEY_PREFIX: 'aw-prod:',
      AGENTWIRE_REPLAY_MAX_EVENTS: '50',
      AGENTWIRE_REPLAY_MAX_AGE_MS: '60000',
      AGENTWIRE_RUN_DEAD_AFTER_MS: '8000',
    });
    const options = redisOptionsFromConfig(config, { maxBatchSize: 64 });
    expect(options).toMatchObject({
      url: TEST_REDIS_URL,
      keyPrefix: 'aw-prod:',
      maxEvents: 50,
      maxAgeMs: 60_000,
      livenessTtlMs: 4_000,
      heartbeatIntervalMs: 1_000,
      orphanSweepIntervalMs: 2_000,
      maxBatchSize: 64,
    });
    expect(() => resolveRedisOptions(options)).not.toThrow();
    expect(redisOptionsFromConfig(config).processId).not.toBe(options.processId);
  });

  it('refuses to build Redis options without AGENTWIRE_REDIS_URL', () => {
    expect(() => redisOptionsFromConfig(loadConfig({}))).toThrow(RedisNotConfiguredError);
  });

  it('makes a new process id each time', () => {
    expect(generateProcessId()).not.toBe(generateProcessId());
  });
});
