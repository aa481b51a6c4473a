import * as entry from './index';

describe('@agentwirejs/backplane-redis public entry', () => {
  it('exports the backplane, the run directory, the control bus, their options and errors', () => {
    expect(Object.keys(entry).sort()).toEqual(
      [
        'BackplaneRedisErrorCode',
        'BackplaneStoreError',
        'BackplaneUnavailableError',
        'ControlCommandSchema',
        'InvalidBackplaneArgumentError',
        'InvalidRedisOptionError',
        'REDIS_DEFAULTS',
        'RedisBackplane',
        'RedisComponentClosedError',
        'RedisControlBus',
        'RedisNotConfiguredError',
        'RedisRunDirectory',
        'RunOwnedElsewhereError',
        'UNKNOWN_REQUEST_CODE',
        'defaultReconnectDelay',
        'generateProcessId',
        'isGapNotice',
        'redisOptionsFromConfig',
        'resolveRedisOptions',
      ].sort(),
    );
  });
});
