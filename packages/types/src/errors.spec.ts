import * as entry from './index';
import { AgentwireError } from './index';
import { errorCodeTableProblems } from './testing';

/** One instance of every error class the entry exports. */
const samples: readonly AgentwireError[] = [
  new entry.InvalidIdError('run id', 42, 'not a string'),
  new entry.IllegalStateTransitionError('ConnectionState', 'closed', 'open'),
  new entry.InvalidContextError('userId', 'empty'),
  new entry.ContextDepthExceededError(10),
];

describe('TypesErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.TypesErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual([
      'CONTEXT_DEPTH_EXCEEDED',
      'ILLEGAL_STATE_TRANSITION',
      'INVALID_CONTEXT',
      'INVALID_ID',
    ]);
  });

  it('holds each code once, is where every exported error class takes its code from, and every code belongs to a class', () => {
    expect(errorCodeTableProblems(entry, entry.TypesErrorCode, samples)).toEqual([]);
  });
});
