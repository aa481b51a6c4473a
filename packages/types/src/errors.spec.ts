import * as entry from './index';
import { AgentwireError } from './index';

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

  it('holds each code once', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('is where every exported error class takes its code from, and every code belongs to a class', () => {
    const exported = Object.values(entry).filter((value) => typeof value === 'function' && value.prototype instanceof AgentwireError);
    expect(new Set(samples.map((error) => error.constructor))).toEqual(new Set(exported));
    expect(samples.filter((error) => !codes.includes(error.code)).map((error) => `${error.name}: ${error.code}`)).toEqual([]);
    expect(new Set(samples.map((error) => error.code))).toEqual(new Set(codes));
  });
});
