import { AgentwireError } from '@agentwirejs/types';
import { errorCodeTableProblems } from '@agentwirejs/types/testing';
import * as entry from './index';

/** One instance of every error class the entry exports. */
const samples: readonly AgentwireError[] = [
  new entry.BackplaneUnavailableError('connect timed out'),
  new entry.BackplaneStoreError('an append', new Error('OOM')),
  new entry.InvalidRedisOptionError('maxPendingAppends', 'negative'),
  new entry.InvalidBackplaneArgumentError('afterSeq', 'negative'),
  new entry.RedisNotConfiguredError(),
  new entry.RedisComponentClosedError('run directory'),
  new entry.RunOwnedElsewhereError('run_1', 'process-2'),
];

describe('BackplaneRedisErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.BackplaneRedisErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual([
      'BACKPLANE_STORE_ERROR',
      'BACKPLANE_UNAVAILABLE',
      'INVALID_BACKPLANE_ARGUMENT',
      'INVALID_REDIS_OPTION',
      'REDIS_COMPONENT_CLOSED',
      'REDIS_NOT_CONFIGURED',
      'RUN_OWNED_ELSEWHERE',
    ]);
  });

  it('holds each code once, is where every exported error class takes its code from, and every code belongs to a class', () => {
    expect(errorCodeTableProblems(entry, entry.BackplaneRedisErrorCode, samples)).toEqual([]);
  });
});
