import { AgentwireError } from '@agentwirejs/types';
import { errorCodeTableProblems } from '@agentwirejs/types/testing';
import * as entry from './index';

/** One instance of every error class the entry exports. */
const samples: readonly AgentwireError[] = [
  new entry.BackplaneClosedError(),
  new entry.ProtocolViolationError('a manager', []),
  new entry.ProtocolExtensionError(["client message type 'ping' is built in: an app cannot redefine it"]),
];

describe('ProtocolsErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.ProtocolsErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual([
      'BACKPLANE_CLOSED',
      'INVALID_PROTOCOL_EXTENSION',
      'PROTOCOL_VIOLATION',
    ]);
  });

  it('holds each code once, is where every exported error class takes its code from, and every code belongs to a class', () => {
    expect(errorCodeTableProblems(entry, entry.ProtocolsErrorCode, samples)).toEqual([]);
  });
});
