import { REDIS_DEFAULTS, redisOptionsFromConfig } from '@agentwirejs/backplane-redis';
import { loadConfig } from '@agentwirejs/config';
import { TRACKER_DEFAULTS, trackerOptionsFromConfig } from '@agentwirejs/execution-tracker';
import { MANAGER_DEFAULTS, managerOptionsFromConfig } from '@agentwirejs/manager';

/**
 * Each option's default is defined once, in the package that accepts it; the settings of
 * @agentwirejs/config that feed those options must say the same (an app that builds a package
 * from its own options and a gateway started on unset variables behave alike). Settings whose
 * meaning differs from the option they feed (a derived value) are listed with why.
 */
const defaults = loadConfig({ AGENTWIRE_ENV: 'production' }, { jwt: false });

describe('defaults: the settings agree with the packages that accept the options', () => {
  it('the manager', () => {
    const fromSettings = managerOptionsFromConfig(defaults);
    const packageDefaults = Object.fromEntries(Object.keys(fromSettings).map((name) => [name, MANAGER_DEFAULTS[name as keyof typeof MANAGER_DEFAULTS]]));
    expect(fromSettings).toEqual(packageDefaults);
  });

  it('the execution tracker', () => {
    const fromSettings = trackerOptionsFromConfig(defaults);
    const packageDefaults = Object.fromEntries(Object.keys(fromSettings).map((name) => [name, TRACKER_DEFAULTS[name as keyof typeof TRACKER_DEFAULTS]]));
    expect(fromSettings).toEqual(packageDefaults);
  });

  it('the Redis backplane (the replay window and the key prefix; liveness is derived from AGENTWIRE_RUN_DEAD_AFTER_MS)', () => {
    const fromSettings = redisOptionsFromConfig({ ...defaults, redisUrl: 'redis://127.0.0.1:6379' });
    expect({ keyPrefix: fromSettings.keyPrefix, maxEvents: fromSettings.maxEvents, maxAgeMs: fromSettings.maxAgeMs }).toEqual({
      keyPrefix: REDIS_DEFAULTS.keyPrefix,
      maxEvents: REDIS_DEFAULTS.maxEvents,
      maxAgeMs: REDIS_DEFAULTS.maxAgeMs,
    });
  });
});
