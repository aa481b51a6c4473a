import { WebSocketManagerMode } from '@agentwirejs/types';
import { MANAGER_PROTOCOL_MEMBERS, ProtocolViolationError, WebSocketManagerProtocolValidator } from './index';
import type { WebSocketManagerProtocol } from './index';

/** A structurally complete implementation whose bodies are never called by the validator. */
class CompleteManager {
  readonly mode = WebSocketManagerMode.Unified;
  async addConnection(_transport: unknown, _registration: unknown) {}
  async removeConnection(_connectionId: unknown, _closeCode = 1000) {}
  getConnection(_connectionId: unknown) {}
  getUserConnections(_userId: unknown) {}
  isUserConnected(_userId: unknown) {}
  async waitForConnection(_userId: unknown, _timeoutMs: unknown) {}
  async sendToUser(_userId: unknown, _message: unknown) {}
  async sendToConnection(_connectionId: unknown, _message: unknown) {}
  async emitAgentEvent(_userId: unknown, _event: unknown) {}
  async emitAgentEvents(_userId: unknown, _events: unknown) {}
  forUser(_userId: unknown) {}
  async broadcast(_message: unknown) {}
  async joinRoom(_connectionId: unknown, _room: unknown) {}
  async leaveRoom(_connectionId: unknown, _room: unknown) {}
  async broadcastToRoom(_room: unknown, _message: unknown) {}
  async resume(_connectionId: unknown, _afterSeq: unknown) {}
  getConnectionCount() {}
  getConnectionInfo(_connectionId: unknown) {}
  getStats() {}
  async shutdown() {}
}

/** The legacy drift: renamed members, a missing parameter, a non-function, a bad mode, missing methods. */
class DriftedManager {
  readonly mode = 'emergency';
  async addConnection(_transport: unknown, _registration: unknown) {}
  async remove_connection(_connectionId: unknown) {}
  getConnection(_connectionId: unknown) {}
  getUserConnections() {}
  isUserConnected(_userId: unknown) {}
  async sendToUser(_userId: unknown, _message: unknown) {}
  sendToConnection = 'not a function';
  async emitCriticalEvent(_eventType: unknown, _data: unknown) {}
  async broadcast(_message: unknown) {}
  async joinRoom(_connectionId: unknown, _room: unknown) {}
  async leaveRoom(_connectionId: unknown, _room: unknown) {}
  async broadcastToRoom(_room: unknown, _message: unknown, _extra: unknown) {}
  async resume(_connectionId: unknown, _afterSeq: unknown) {}
  getConnectionCount() {}
  getConnectionInfo(_connectionId: unknown) {}
  getStats() {}
}

describe('WebSocketManagerProtocolValidator', () => {
  it('accepts a complete implementation, including methods inherited from a prototype chain', () => {
    expect(WebSocketManagerProtocolValidator.validate(new CompleteManager())).toEqual([]);
    class Sub extends CompleteManager {}
    expect(WebSocketManagerProtocolValidator.isValid(new Sub())).toBe(true);
  });

  it('finds every seeded defect, not only the first', () => {
    const problems = WebSocketManagerProtocolValidator.validate(new DriftedManager());
    expect(problems.map((p) => `${p.member}:${p.code}`).sort()).toEqual(
      [
        'mode:invalid_value',
        'removeConnection:missing',
        'getUserConnections:arity',
        'waitForConnection:missing',
        'sendToConnection:not_callable',
        'emitAgentEvent:missing',
        'emitAgentEvents:missing',
        'forUser:missing',
        'broadcastToRoom:arity',
        'shutdown:missing',
      ].sort(),
    );
    const byMember = Object.fromEntries(problems.map((p) => [p.member, p.message]));
    expect(byMember['removeConnection']).toBe('removeConnection is missing (found remove_connection: renamed?)');
    expect(byMember['getUserConnections']).toBe('getUserConnections declares 0 parameters, expected 1');
    expect(byMember['broadcastToRoom']).toBe('broadcastToRoom declares 3 parameters, expected 2');
    expect(byMember['sendToConnection']).toBe('sendToConnection is not callable (it is string)');
  });

  it('reports a member removed from an otherwise complete implementation', () => {
    const manager = new CompleteManager() as unknown as Record<string, unknown>;
    manager['getStats'] = undefined;
    expect(WebSocketManagerProtocolValidator.validate(manager)).toEqual([{ member: 'getStats', code: 'missing', message: 'getStats is missing' }]);
  });

  it('asserts with a typed error that lists every problem', () => {
    let caught: unknown;
    try {
      WebSocketManagerProtocolValidator.assert(new DriftedManager(), 'DriftedManager');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolViolationError);
    const error = caught as ProtocolViolationError;
    expect(error.code).toBe('PROTOCOL_VIOLATION');
    expect(error.problems).toHaveLength(10);
    expect(error.message).toContain('DriftedManager does not implement WebSocketManagerProtocol (10 problems)');
    expect(() => WebSocketManagerProtocolValidator.assert(new CompleteManager())).not.toThrow();
  });

  it('rejects non-objects', () => {
    expect(WebSocketManagerProtocolValidator.validate(null)[0]?.code).toBe('not_an_object');
    expect(WebSocketManagerProtocolValidator.validate(42)[0]?.code).toBe('not_an_object');
  });

  it('describes exactly the members of the interface (the table is typed against it)', () => {
    const keys: (keyof WebSocketManagerProtocol)[] = Object.keys(MANAGER_PROTOCOL_MEMBERS) as (keyof WebSocketManagerProtocol)[];
    expect(keys).toHaveLength(21);
    // A wrong parameter count does not compile: the table's type comes from the interface.
    const wrong: (typeof MANAGER_PROTOCOL_MEMBERS)['sendToUser'] = {
      kind: 'method',
      // @ts-expect-error sendToUser takes two parameters
      params: 3,
      required: 2,
    };
    expect(wrong.kind).toBe('method');
  });
});
