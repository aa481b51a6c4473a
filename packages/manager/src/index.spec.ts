import { AgentwireError, type ConnectionId, type UserId } from '@agentwirejs/types';
import manifest from '../package.json';
import * as entry from './index';
import * as testing from './testing';

describe('@agentwirejs/manager', () => {
  it('states its public surface in its entry', () => {
    expect(Object.keys(entry).sort()).toEqual(
      [
        'DuplicateConnectionError',
        'FactoryOnlyError',
        'InMemoryBackplane',
        'InvalidAgentEventError',
        'InvalidManagerArgumentError',
        'InvalidManagerOptionsError',
        'IsolationViolationError',
        'LimitExceededError',
        'MANAGER_DEFAULTS',
        'MAX_ROOM_NAME_LENGTH',
        'ManagerErrorCode',
        'ManagerShutdownError',
        'ReplayLimitedError',
        'TransportNotOpenError',
        'UnifiedWebSocketManager',
        'UnknownConnectionError',
        'WEB_SOCKET_MANAGER_OPTIONS',
        'WebSocketManager',
        'WebSocketManagerFactory',
        'managerOptionsFromConfig',
        'registerWebSocketManagerFactory',
        'resolveManagerOptions',
      ].sort(),
    );
  });

  it('exports MockWebSocketManager from its ./testing entry only', () => {
    expect(Object.keys(testing)).toEqual(['MockWebSocketManager']);
    expect('MockWebSocketManager' in entry).toBe(false);
    expect(Object.keys(manifest.exports)).toEqual(['.', './testing', './package.json']);
  });

  it('gives every exported error class a stable code', () => {
    const alice = 'alice' as UserId;
    const errors = [
      new entry.IsolationViolationError(alice, null, 'broadcast'),
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
    const exported = Object.values(entry).filter((value) => typeof value === 'function' && value.prototype instanceof Error);
    expect(exported).toHaveLength(errors.length);
    expect(errors.map((error) => [error.name, error.code])).toEqual([
      ['IsolationViolationError', 'ISOLATION_VIOLATION'],
      ['LimitExceededError', 'LIMIT_EXCEEDED'],
      ['ManagerShutdownError', 'MANAGER_SHUT_DOWN'],
      ['FactoryOnlyError', 'FACTORY_ONLY'],
      ['DuplicateConnectionError', 'DUPLICATE_CONNECTION'],
      ['TransportNotOpenError', 'TRANSPORT_NOT_OPEN'],
      ['UnknownConnectionError', 'UNKNOWN_CONNECTION'],
      ['InvalidAgentEventError', 'INVALID_AGENT_EVENT'],
      ['InvalidManagerArgumentError', 'INVALID_ARGUMENT'],
      ['InvalidManagerOptionsError', 'INVALID_MANAGER_OPTIONS'],
      ['ReplayLimitedError', 'REPLAY_LIMITED'],
    ]);
    expect(errors.every((error) => error instanceof AgentwireError)).toBe(true);
  });
});
