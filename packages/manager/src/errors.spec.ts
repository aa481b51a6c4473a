import { AgentwireError, type ConnectionId, type UserId } from '@agentwirejs/types';
import { errorCodeTableProblems } from '@agentwirejs/types/testing';
import * as entry from './index';

/** One instance of every error class the entry exports. */
const samples: readonly AgentwireError[] = [
  new entry.IsolationViolationError('alice' as UserId, null, 'broadcast'),
  new entry.LimitExceededError('maxConnections', 5, null),
  new entry.ManagerShutdownError('idle'),
  new entry.FactoryOnlyError(),
  new entry.DuplicateConnectionError('conn-1' as ConnectionId),
  new entry.TransportNotOpenError(3),
  new entry.UnknownConnectionError('conn-1' as ConnectionId),
  new entry.InvalidAgentEventError('bad'),
  new entry.InvalidManagerArgumentError('room', 'empty'),
  new entry.InvalidManagerOptionsError('idleMs', 'negative'),
  new entry.ReplayLimitedError('conn-1' as ConnectionId, 'budget', 1500, { burstBytes: 10, bytesPerSecond: 5 }),
];

describe('ManagerErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.ManagerErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual([
      'DUPLICATE_CONNECTION',
      'FACTORY_ONLY',
      'INVALID_AGENT_EVENT',
      'INVALID_ARGUMENT',
      'INVALID_MANAGER_OPTIONS',
      'ISOLATION_VIOLATION',
      'LIMIT_EXCEEDED',
      'MANAGER_SHUT_DOWN',
      'REPLAY_LIMITED',
      'TRANSPORT_NOT_OPEN',
      'UNKNOWN_CONNECTION',
    ]);
  });

  it('holds each code once, is where every exported error class takes its code from, and every code belongs to a class', () => {
    expect(errorCodeTableProblems(entry, entry.ManagerErrorCode, samples)).toEqual([]);
  });
});
