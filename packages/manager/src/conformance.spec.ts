import { WebSocketManagerProtocolValidator } from '@agentwirejs/protocols';
import { RecordingTransport, defineManagerConformance } from '@agentwirejs/protocols/testing';
import { WebSocketManagerMode } from '@agentwirejs/types';
import { WebSocketManagerFactory } from './factory';
import { MockWebSocketManager } from './mock-manager';
import { contextFor, startRig } from './ws-rig.test-helpers';

// The real manager, over real ws sockets on 127.0.0.1: the unified manager of a fresh factory.
defineManagerConformance(describe, it, 'UnifiedWebSocketManager over ws', async ({ replayMaxEvents }) => {
  const rig = await startRig({ replayMaxEvents });
  return {
    manager: rig.unified,
    async connect(userId, options = {}) {
      const { client, connectionId } = await rig.connect(rig.unified, userId, options);
      return { userId, connectionId, received: () => client.messages, closeCode: () => client.closeCode };
    },
    dispose: () => rig.dispose(),
  };
});

// The mock, over RecordingTransports.
defineManagerConformance(describe, it, 'MockWebSocketManager', async ({ replayMaxEvents }) => {
  const manager = new MockWebSocketManager({ replayMaxEvents });
  return {
    manager,
    async connect(userId, options = {}) {
      const transport = new RecordingTransport();
      const info = await manager.addConnection(transport, { userId, ...options });
      return { userId, connectionId: info.connectionId, received: () => transport.messages(), closeCode: () => transport.closeCode };
    },
    dispose: () => manager.shutdown(),
  };
});

describe('the runtime validator', () => {
  it('accepts the unified manager, a user-bound manager and the mock in both modes, with no problem', async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0 });
    const candidates = {
      unified: factory.getUnifiedManager(),
      isolated: factory.createManager(contextFor('alice')),
      mock: new MockWebSocketManager(),
      boundMock: new MockWebSocketManager({ userContext: contextFor('alice') }),
    };
    for (const [name, candidate] of Object.entries(candidates)) {
      expect({ name, problems: WebSocketManagerProtocolValidator.validate(candidate) }).toEqual({ name, problems: [] });
      expect(() => WebSocketManagerProtocolValidator.assert(candidate, name)).not.toThrow();
    }
    expect(candidates.isolated.mode).toBe(WebSocketManagerMode.Isolated);
    expect(candidates.boundMock.mode).toBe(WebSocketManagerMode.Isolated);
    await factory.shutdown();
  });
});
