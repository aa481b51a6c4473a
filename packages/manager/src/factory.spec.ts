import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { InMemoryBackplane } from './in-memory-backplane';
import { RecordingTransport } from '@agentwirejs/protocols/testing';
import { type UserId, WebSocketManagerMode } from '@agentwirejs/types';
import { settledUsedHeap, usedHeapAfterFullCollections } from '@agentwirejs/types/testing';
import { container } from 'tsyringe';
import { WEB_SOCKET_MANAGER_OPTIONS, registerWebSocketManagerFactory } from './container';
import { FactoryOnlyError } from './errors';
import { WebSocketManagerFactory } from './factory';
import { UnifiedWebSocketManager, WebSocketManager } from './unified-manager';
import { type Rig, contextFor, note, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

describe('WebSocketManagerFactory', () => {
  it('is registered in a tsyringe container: one factory per container, built with the registered options', async () => {
    const first = registerWebSocketManagerFactory(container.createChildContainer(), { maxConnectionsPerUser: 4, heartbeatIntervalMs: 0 });
    const second = registerWebSocketManagerFactory(container.createChildContainer(), { heartbeatIntervalMs: 0 });
    const factory = first.resolve(WebSocketManagerFactory);
    expect(first.resolve(WebSocketManagerFactory)).toBe(factory);
    expect(second.resolve(WebSocketManagerFactory)).not.toBe(factory);
    expect(factory.options.maxConnectionsPerUser).toBe(4);
    expect(first.resolve(WEB_SOCKET_MANAGER_OPTIONS)).toEqual({ maxConnectionsPerUser: 4, heartbeatIntervalMs: 0 });
    expect(container.isRegistered(WebSocketManagerFactory)).toBe(false);
    await factory.shutdown();
    await second.resolve(WebSocketManagerFactory).shutdown();
  });

  it('is the only way to a manager: a direct new throws FactoryOnlyError naming the factory', () => {
    const Direct = UnifiedWebSocketManager as unknown as new (...args: unknown[]) => unknown;
    for (const args of [[], [Symbol('WebSocketManagerFactory'), {}, 'm', null]]) {
      expect(() => new Direct(...args)).toThrow(FactoryOnlyError);
      expect(() => new Direct(...args)).toThrow(/WebSocketManagerFactory/);
    }
    expect(new FactoryOnlyError().code).toBe('FACTORY_ONLY');
  });

  it('keeps the legacy name WebSocketManager only as an alias of the same class', async () => {
    expect(WebSocketManager).toBe(UnifiedWebSocketManager);
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0 });
    expect(factory.createManager(contextFor('ann'))).toBeInstanceOf(WebSocketManager);
    await factory.shutdown();
  });

  it('makes one unified manager per factory and user-bound managers in isolated mode', async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0 });
    const unified = factory.getUnifiedManager();
    expect(factory.getUnifiedManager()).toBe(unified);
    expect(unified).toMatchObject({ mode: WebSocketManagerMode.Unified, boundUserId: null, userContext: null });
    const context = contextFor('bo');
    const bound = factory.createManager(context);
    expect(bound).toMatchObject({ mode: WebSocketManagerMode.Isolated, boundUserId: 'bo', userContext: context });
    expect(factory.getManagers(uid('bo'))).toEqual([bound]);
    expect(factory.getMetrics()).toMatchObject({ managersCreated: 1, managersActive: 1, usersWithManagers: 1 });
    await factory.shutdown();
  });
});

describe('stats', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it("reports process-wide figures on the unified manager and each user-bound manager's own", async () => {
    rig = await startRig();
    const carl = rig.factory.createManager(contextFor('carl'));
    const tab = await rig.connect(carl, 'carl');
    await rig.connect(rig.unified, 'dora');
    await carl.joinRoom(tab.connectionId, 'r1');
    await carl.sendToUser(uid('carl'), note({}));
    await rig.unified.sendToUser(uid('dora'), note({}));
    await rig.unified.resume(tab.connectionId, 0);
    expect(carl.getStats()).toMatchObject({ mode: 'isolated', boundUserId: 'carl', connections: 1, users: 1, rooms: 1, replays: 1, replayedMessages: 1, active: true });
    // carl's tab: greeting, the note, its replay; dora's: greeting, the note.
    expect(carl.getStats().messagesSent).toBe(3);
    expect(rig.unified.getStats()).toMatchObject({ mode: 'unified', boundUserId: null, connections: 2, users: 2, rooms: 1, messagesSent: 5, connectionsAdded: 2 });
    // The frames of this turn are written at its end (coalesceWrites); then the socket holds nothing.
    await new Promise((resolve) => setImmediate(resolve));
    expect(carl.getSendQueue(tab.connectionId)).toEqual({ frames: 0, bytes: 0, dropped: 0, bufferedAmount: 0 });
  });
});

describe('the cost of a connection', () => {
  /** A socket shaped like ws's: an EventEmitter that calls listeners with itself as `this`. */
  class FakeSocket extends EventEmitter {
    readyState = 1;
    bufferedAmount = 0;
    send(): void {}
    close(): void {}
    ping(): void {}
    terminate(): void {}
  }

  it('shares its socket listeners between connections instead of making closures per connection', async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0 });
    const [a, b] = [new FakeSocket(), new FakeSocket()];
    await factory.getUnifiedManager().addConnection(a, { userId: uid('eve') });
    await factory.getUnifiedManager().addConnection(b, { userId: uid('fay') });
    for (const event of ['close', 'pong', 'message', 'error']) {
      expect(a.listeners(event)).toHaveLength(1);
      expect(a.listeners(event)).toEqual(b.listeners(event));
    }
    await factory.shutdown();
  });

  it('costs well under 2 KB of heap per connection, beyond the socket and the user stream', async () => {
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0, maxEvents: 10 });
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, backplane, maxConnections: 1_000_000 });
    const manager = factory.getUnifiedManager();
    const count = 4000;
    const sockets = Array.from({ length: count }, () => new FakeSocket());
    const users = Array.from({ length: count / 2 }, (_, i) => uid(`user${i}`));
    for (const user of users) await backplane.appendToUser(user, note({})); // the users' streams exist before measuring
    const warm = new RecordingTransport();
    await manager.addConnection(warm, { userId: uid('warm-up') });
    const before = await settledUsedHeap(); // memory an earlier spec lets go meanwhile would hide what the connections keep
    for (let i = 0; i < count; i += 1) await manager.addConnection(sockets[i] as FakeSocket, { userId: users[i >> 1] as UserId });
    const perConnection = (usedHeapAfterFullCollections() - before) / count;
    expect(manager.getConnectionCount()).toBe(count + 1);
    expect(perConnection).toBeLessThan(2048);
    await factory.shutdown();
    await backplane.close();
  });
});
