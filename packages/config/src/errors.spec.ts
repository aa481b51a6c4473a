import { AgentwireError } from '@agentwirejs/types';
import { errorCodeTableProblems } from '@agentwirejs/types/testing';
import * as entry from './index';

/** One instance of every error class the entry exports. */
const samples: readonly AgentwireError[] = [
  new entry.ConfigError([{ variable: 'AGENTWIRE_PORT', message: 'a port number' }]),
];

describe('ConfigErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.ConfigErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual([
      'INVALID_CONFIG',
    ]);
  });

  it('holds each code once, is where every exported error class takes its code from, and every code belongs to a class', () => {
    expect(errorCodeTableProblems(entry, entry.ConfigErrorCode, samples)).toEqual([]);
  });
});
