import { ConfigError, SETTINGS, loadConfig } from './index';

const SECRET = 'x'.repeat(32);

function problems(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('gives the embedded single-process defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.redisUrl).toBeNull();
    expect(config.maxPayloadBytes).toBe(65536);
    expect(config.rateLimit).toEqual({ perSecond: 20, burst: 40, closeAfterRejections: 100 });
    expect(config.limits.maxInputChars).toBe(4000);
    expect(config.runs.deadAfterMs).toBe(10000);
    expect(config.devTokenEndpoint).toBe(true);
    expect(config.burst.maxEvents).toBe(200000);
  });

  it("leaves a setting that feeds a package's option undefined when unset (the package holds the default), and passes a set one on", () => {
    const owned = Object.entries(SETTINGS).filter(([, setting]) => 'defaultFrom' in setting);
    expect(owned.map(([name]) => name)).toContain('AGENTWIRE_SEND_QUEUE_MAX');
    for (const [, setting] of owned) {
      expect(setting.default).toBeUndefined();
      expect((setting as { defaultFrom: string }).defaultFrom).toMatch(/^@agentwirejs\/[a-z-]+ [A-Z_]+\.[A-Za-z]+$/);
    }
    const unset = loadConfig({});
    expect([unset.replay, unset.limits.maxRunsPerUser, unset.manager.sendQueueMax, unset.runs.timeoutMs, unset.stream.coalesceMs, unset.redisKeyPrefix]).toEqual([
      { maxEvents: undefined, maxAgeMs: undefined },
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const set = loadConfig({ AGENTWIRE_REPLAY_MAX_EVENTS: '7', AGENTWIRE_MAX_RUNS_PER_USER: '2', AGENTWIRE_SEND_QUEUE_MAX: '9', AGENTWIRE_REDIS_KEY_PREFIX: 'app:' });
    expect([set.replay.maxEvents, set.limits.maxRunsPerUser, set.manager.sendQueueMax, set.redisKeyPrefix]).toEqual([7, 2, 9, 'app:']);
  });

  it('makes a random JWT secret in development only', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.jwtSecretGenerated).toBe(true);
    expect(a.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(a.jwtSecret).not.toBe(b.jwtSecret);
    const configured = loadConfig({ AGENTWIRE_JWT_SECRET: SECRET });
    expect(configured.jwtSecret).toBe(SECRET);
    expect(configured.jwtSecretGenerated).toBe(false);
  });

  it('requires a secret in test and production, and turns the dev token endpoint off there', () => {
    const error = problems({ AGENTWIRE_ENV: 'production' });
    expect(error.issues).toEqual([
      { variable: 'AGENTWIRE_JWT_SECRET', message: 'required when AGENTWIRE_ENV is production (at least 32 characters)' },
    ]);
    const production = loadConfig({ AGENTWIRE_ENV: 'production', AGENTWIRE_JWT_SECRET: SECRET });
    expect(production.devTokenEndpoint).toBe(false);
    expect(production.burst.maxEvents).toBe(1000);
    expect(loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: SECRET }).devTokenEndpoint).toBe(false);
  });

  it('needs no secret in production for an app that authenticates connections itself (jwt: false); a given one is still checked', () => {
    const production = loadConfig({ AGENTWIRE_ENV: 'production' }, { jwt: false });
    expect({ env: production.env, generated: production.jwtSecretGenerated, devTokens: production.devTokenEndpoint }).toEqual({ env: 'production', generated: true, devTokens: false });
    expect(production.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(() => loadConfig({ AGENTWIRE_ENV: 'production', AGENTWIRE_JWT_SECRET: 'short' }, { jwt: false })).toThrow(ConfigError);
  });

  it('reads every setting it is given', () => {
    const config = loadConfig({
      AGENTWIRE_ENV: 'test',
      AGENTWIRE_HOST: '0.0.0.0',
      AGENTWIRE_PORT: '0',
      AGENTWIRE_JWT_SECRET: SECRET,
      AGENTWIRE_REDIS_URL: 'redis://127.0.0.1:6379/2',
      AGENTWIRE_MAX_PAYLOAD_BYTES: '2048',
      AGENTWIRE_RATE_LIMIT_PER_SECOND: ' 5 ',
      AGENTWIRE_BURST_MAX_EVENTS: '10',
    });
    expect(config.port).toBe(0);
    expect(config.host).toBe('0.0.0.0');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379/2');
    expect(config.maxPayloadBytes).toBe(2048);
    expect(config.rateLimit.perSecond).toBe(5);
    expect(config.burst.maxEvents).toBe(10);
  });

  it('treats empty values as unset and ignores variables outside its namespace', () => {
    const config = loadConfig({ AGENTWIRE_PORT: '', PATH: '/usr/bin', PORT: 'not-ours' });
    expect(config.port).toBe(8080);
  });

  it('reports every bad value at once, by variable name, with what was expected', () => {
    const error = problems({
      AGENTWIRE_PORT: 'eighty',
      AGENTWIRE_ENV: 'staging',
      AGENTWIRE_MAX_PAYLOAD_BYTES: '-1',
      AGENTWIRE_REDIS_URL: 'http://example',
      AGENTWIRE_JWT_SECRET: 'short',
      AGENTWIRE_PROT: '9000',
    });
    expect(error.code).toBe('INVALID_CONFIG');
    const byVariable = Object.fromEntries(error.issues.map((issue) => [issue.variable, issue.message]));
    expect(Object.keys(byVariable).sort()).toEqual([
      'AGENTWIRE_ENV',
      'AGENTWIRE_JWT_SECRET',
      'AGENTWIRE_MAX_PAYLOAD_BYTES',
      'AGENTWIRE_PORT',
      'AGENTWIRE_PROT',
      'AGENTWIRE_REDIS_URL',
    ]);
    expect(byVariable['AGENTWIRE_PORT']).toBe('expected a whole number from 0 to 65535, got "eighty"');
    expect(byVariable['AGENTWIRE_ENV']).toBe('expected one of development, test, production, got "staging"');
    expect(byVariable['AGENTWIRE_PROT']).toMatch(/not an agentwire setting/);
    expect(error.message).toContain('Invalid configuration (6 problems)');
    expect(error.message).toContain('AGENTWIRE_PORT: expected a whole number');
  });

  it('never echoes a secret in an error', () => {
    const error = problems({ AGENTWIRE_JWT_SECRET: 'hunter2', AGENTWIRE_REDIS_URL: 'ftp://user:pass@host' });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('pass@host');
  });

  it('rejects out-of-range numbers', () => {
    expect(problems({ AGENTWIRE_PORT: '70000' }).issues[0]?.variable).toBe('AGENTWIRE_PORT');
    expect(problems({ AGENTWIRE_MAX_RUNS_PER_USER: '0' }).issues[0]?.message).toMatch(/from 1 to/);
    expect(problems({ AGENTWIRE_HOST: 'not a host!' }).issues[0]?.message).toMatch(/host name or IP/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('documents every setting', () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(name).toMatch(/^AGENTWIRE_[A-Z_]+$/);
      expect(setting.doc.length).toBeGreaterThan(5);
    }
  });
});
