import { redisOptionsFromConfig, resolveRedisOptions } from '@agentwirejs/backplane-redis';
import { SETTINGS, type SettingName, loadConfig } from '@agentwirejs/config';
import { resolveTrackerOptions, trackerOptionsFromConfig } from '@agentwirejs/execution-tracker';
import { MANAGER_DEFAULTS, managerOptionsFromConfig, resolveManagerOptions } from '@agentwirejs/manager';
import { REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';
import { packageDefaults } from './package-defaults.test-helpers';

/**
 * Each option's default is defined once, in the package that accepts it. A setting of
 * @agentwirejs/config that feeds such an option has no default of its own: it names the
 * package's constant (`defaultFrom`), stays undefined when unset, and the package applies its
 * default. These tests prove each link of that chain for every such setting.
 */
const unset = loadConfig({ AGENTWIRE_ENV: 'production' }, { jwt: false });
const owned = packageDefaults();

/** The options each package builds from AppConfig, by package (the replay window reaches both backplanes' options). */
function optionsFrom(config: ReturnType<typeof loadConfig>): Record<string, Record<string, unknown>> {
  const manager = managerOptionsFromConfig(config) as Record<string, unknown>;
  const redis = redisOptionsFromConfig({ ...config, redisUrl: 'redis://127.0.0.1:6379' }) as unknown as Record<string, unknown>;
  return {
    '@agentwirejs/manager': manager,
    '@agentwirejs/execution-tracker': trackerOptionsFromConfig(config) as Record<string, unknown>,
    '@agentwirejs/backplane-redis': redis,
    '@agentwirejs/protocols': { maxEvents: redis['maxEvents'], maxAgeMs: redis['maxAgeMs'], managerMaxEvents: manager['replayMaxEvents'], managerMaxAgeMs: manager['replayMaxAgeMs'] },
  };
}

describe('defaults: each is defined once, in the package that accepts the option', () => {
  it('every setting that feeds a package option names a default that package exports, and has none of its own', () => {
    expect([...owned.keys()].sort()).toEqual(
      Object.entries(SETTINGS)
        .filter(([, setting]) => 'defaultFrom' in setting)
        .map(([name]) => name)
        .sort(),
    );
    expect(owned.size).toBeGreaterThanOrEqual(14);
    for (const [name, source] of owned) {
      expect({ name, type: typeof source.value }).toEqual({ name, type: typeof source.value === 'string' ? 'string' : 'number' });
      expect({ name, default: SETTINGS[name].default }).toEqual({ name, default: undefined });
    }
  });

  it('a setting that is set reaches the option it names; one that is unset reaches it as undefined', () => {
    for (const [name, { packageName, field }] of owned) {
      // A value the setting's range accepts (4321, or 777 for a setting capped lower).
      const value = typeof owned.get(name)?.value === 'string' ? 'set-by-test:' : SETTINGS[name].schema.safeParse('4321').success ? '4321' : '777';
      const expectedOption = value === 'set-by-test:' ? value : Number(value);
      const set = optionsFrom(loadConfig({ AGENTWIRE_ENV: 'production', [name]: value }, { jwt: false }))[packageName] ?? {};
      const fromUnset = optionsFrom(unset)[packageName] ?? {};
      if (packageName === '@agentwirejs/protocols') {
        const managerField = field === 'maxEvents' ? 'managerMaxEvents' : 'managerMaxAgeMs';
        expect({ name, redis: set[field], manager: set[managerField] }).toEqual({ name, redis: expectedOption, manager: expectedOption });
        expect({ name, redis: fromUnset[field], manager: fromUnset[managerField] }).toEqual({ name, redis: undefined, manager: undefined });
      } else {
        expect({ name, option: set[field] }).toEqual({ name, option: expectedOption });
        expect({ name, option: fromUnset[field] }).toEqual({ name, option: undefined });
      }
    }
  });

  it('unset, each package applies its own default (what an app that builds the package from its own options gets)', () => {
    const manager = resolveManagerOptions(managerOptionsFromConfig(unset));
    const redis = resolveRedisOptions(redisOptionsFromConfig({ ...unset, redisUrl: 'redis://127.0.0.1:6379' }));
    const tracker = resolveTrackerOptions({ sink: { emitAgentEvent: async () => ({ seq: 1, connections: 0 }) }, ...trackerOptionsFromConfig(unset) }).limits;
    for (const [name, { packageName, field, value }] of owned) {
      const resolved: Record<string, unknown> =
        packageName === '@agentwirejs/manager'
          ? { [field]: manager[field as keyof typeof manager] }
          : packageName === '@agentwirejs/backplane-redis'
            ? { [field]: redis[field as keyof typeof redis] }
            : packageName === '@agentwirejs/protocols'
              ? { [field]: field === 'maxEvents' ? manager.replayMaxEvents : manager.replayMaxAgeMs, redis: redis[field as 'maxEvents' | 'maxAgeMs'] }
              : { [field]: tracker[field as keyof typeof tracker] };
      const expected: Record<string, unknown> = packageName === '@agentwirejs/protocols' ? { [field]: value, redis: value } : { [field]: value };
      expect({ name, ...resolved }).toEqual({ name, ...expected });
    }
  });

  it('the replay window is defined once, in the backplane contract; the manager and the Redis backplane refer to it', () => {
    expect([MANAGER_DEFAULTS.replayMaxEvents, MANAGER_DEFAULTS.replayMaxAgeMs]).toEqual([REPLAY_WINDOW_DEFAULTS.maxEvents, REPLAY_WINDOW_DEFAULTS.maxAgeMs]);
    const names: SettingName[] = ['AGENTWIRE_REPLAY_MAX_EVENTS', 'AGENTWIRE_REPLAY_MAX_AGE_MS'];
    expect(names.map((name) => owned.get(name)?.packageName)).toEqual(['@agentwirejs/protocols', '@agentwirejs/protocols']);
  });
});
