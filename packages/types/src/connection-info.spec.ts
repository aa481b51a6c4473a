import { ConnectionInfo, ConnectionState, IllegalStateTransitionError, InvalidIdError } from './index';

describe('ConnectionInfo', () => {
  it('works with no arguments: generated id, no user, connecting, zero counters', () => {
    const info = new ConnectionInfo();
    expect(info.connectionId).toMatch(/^conn_[0-9A-Z]{26}$/);
    expect(info.userId).toBeNull();
    expect(info.threadId).toBeNull();
    expect(info.state).toBe(ConnectionState.Connecting);
    expect(info.isActive).toBe(true);
    expect(info.messageCount).toBe(0);
    expect(info.errorCount).toBe(0);
    expect(info.metadata).toEqual({});
    expect(info.connectedAt).toBeNull();
    expect(info.createdAt).toBe(info.lastActivity);
    expect(new ConnectionInfo().connectionId).not.toBe(info.connectionId);
  });

  it('works with (connectionId, userId, metadata) and copies the metadata', () => {
    const metadata = { userAgent: 'jest' };
    const info = new ConnectionInfo('conn-1', 'alice', metadata);
    metadata.userAgent = 'changed';
    expect(info.connectionId).toBe('conn-1');
    expect(info.userId).toBe('alice');
    expect(info.metadata).toEqual({ userAgent: 'jest' });
    expect(Object.isFrozen(info.metadata)).toBe(true);
  });

  it('rejects malformed ids with a typed error', () => {
    expect(() => new ConnectionInfo('', 'alice')).toThrow(InvalidIdError);
    expect(() => new ConnectionInfo('conn-1', 'has\u0000nul')).toThrow(/Invalid UserId/);
    expect(new ConnectionInfo('conn-1', 'has space').userId).toBe('has space');
  });

  it('records activity, messages and errors', () => {
    const info = new ConnectionInfo('c', 'u', undefined, 1_000);
    info.updateActivity(2_000);
    expect(info.lastActivity).toBe(2_000);
    info.recordMessage(3_000);
    info.recordMessage(4_000);
    info.recordError();
    expect(info.messageCount).toBe(2);
    expect(info.errorCount).toBe(1);
    expect(info.lastActivity).toBe(4_000);
  });

  it('follows the life cycle and rejects illegal moves with a typed error', () => {
    const info = new ConnectionInfo('c', 'u', undefined, 1_000);
    info.markConnected(1_500);
    expect(info.state).toBe(ConnectionState.Connected);
    expect(info.connectedAt).toBe(1_500);
    info.transitionTo(ConnectionState.Closing);
    expect(info.isActive).toBe(false);
    expect(() => info.transitionTo(ConnectionState.Connected)).toThrow(IllegalStateTransitionError);
    try {
      info.transitionTo(ConnectionState.Connecting);
    } catch (error) {
      expect((error as IllegalStateTransitionError).code).toBe('ILLEGAL_STATE_TRANSITION');
      expect((error as Error).message).toBe("ConnectionState cannot move from 'closing' to 'connecting'");
    }
    info.disconnect();
    expect(info.state).toBe(ConnectionState.Closed);
    info.disconnect();
    expect(info.state).toBe(ConnectionState.Closed);
    expect(() => info.markConnected()).toThrow(IllegalStateTransitionError);
  });

  it('can fail from a live state and then only close', () => {
    const info = new ConnectionInfo();
    info.markConnected();
    info.fail();
    expect(info.state).toBe(ConnectionState.Failed);
    expect(() => info.markConnected()).toThrow(IllegalStateTransitionError);
    info.disconnect();
    expect(info.state).toBe(ConnectionState.Closed);
  });

  it('gives a plain, stable JSON shape with ISO times', () => {
    const info = new ConnectionInfo('conn-1', 'alice', { tab: 2 }, Date.parse('2026-01-02T03:04:05.000Z'));
    info.markConnected(Date.parse('2026-01-02T03:04:06.000Z'));
    info.setThread('thread-9');
    info.recordMessage(Date.parse('2026-01-02T03:04:07.000Z'));
    const json = JSON.parse(JSON.stringify(info));
    expect(json).toEqual({
      connection_id: 'conn-1',
      user_id: 'alice',
      thread_id: 'thread-9',
      state: 'connected',
      is_active: true,
      created_at: '2026-01-02T03:04:05.000Z',
      connected_at: '2026-01-02T03:04:06.000Z',
      last_activity: '2026-01-02T03:04:07.000Z',
      message_count: 1,
      error_count: 0,
      metadata: { tab: 2 },
    });
    expect(Object.keys(new ConnectionInfo().toJSON())).toEqual(Object.keys(json));
  });
});
