/** @agentwirejs/backplane-redis: several gateway processes sharing users, ordering and replay over Redis. */
export { RedisBackplane } from './redis-backplane';
export type { RedisBackplaneStats } from './redis-backplane';
export { isGapNotice } from './entries';
export type { RedisStreamEntry } from './entries';
export { RedisRunDirectory } from './run-directory';
export type { OrphanHandler, RunClaim, RunOwnerRecord } from './run-directory';
export { ControlCommandSchema, RedisControlBus, UNKNOWN_REQUEST_CODE } from './control-bus';
export type { ControlAnswer, ControlAnswers, ControlCommand, ControlHandler, RequestHandler } from './control-bus';
export { REDIS_DEFAULTS, defaultReconnectDelay, generateProcessId, redisOptionsFromConfig, resolveRedisOptions } from './options';
export type { RedisBackplaneOptions, ResolvedRedisOptions } from './options';
export {
  BackplaneRedisErrorCode,
  BackplaneStoreError,
  BackplaneUnavailableError,
  InvalidBackplaneArgumentError,
  InvalidRedisOptionError,
  RedisComponentClosedError,
  RedisNotConfiguredError,
  RunOwnedElsewhereError,
} from './errors';
