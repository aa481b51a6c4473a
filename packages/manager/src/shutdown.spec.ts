import { InMemoryBackplane } from './in-memory-backplane';
import type { UserId } from '@agentwirejs/types';
import { ManagerShutdownError } from './errors';
import { WebSocketManagerFactory } from './factory';
import { type Rig, contextFor, note, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

describe('shutdown', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it('closes every socket with 1001, whichever manager holds it, and empties all state', async () => {
    rig = await startRig();
    const isolated = rig.factory.createManager(contextFor('ana'));
    const tabs = [await rig.connect(isolated, 'ana'), await rig.connect(isolated, 'ana'), await rig.connect(rig.unified, 'ben')];
    await rig.unified.joinRoom((tabs[2] as (typeof tabs)[number]).connectionId, 'team');
    await rig.unified.shutdown();
    expect(await Promise.all(tabs.map(({ client }) => client.waitForClose()))).toEqual([1001, 1001, 1001]);
    expect(rig.unified.getConnectionCount()).toBe(0);
    expect(rig.unified.getStats()).toMatchObject({ active: false, connections: 0, users: 0, rooms: 0, queuedFrames: 0 });
    expect(rig.factory.getMetrics()).toMatchObject({ managersActive: 0, connections: 0, connectedUsers: 0, managersDisposedBy: { shutdown: 1 } });
    expect(rig.factory.backplane.status()).toBe('closed');
    expect(rig.factory.isOpen).toBe(false);
  });

  it('refuses every later call with ManagerShutdownError, on every manager and the factory; shutdown itself may be repeated', async () => {
    rig = await startRig();
    const isolated = rig.factory.createManager(contextFor('cy'));
    const first = rig.factory.shutdown();
    expect(rig.factory.shutdown()).toBe(first);
    await first;
    await expect(rig.unified.sendToUser(uid('cy'), note({}))).rejects.toBeInstanceOf(ManagerShutdownError);
    await expect(rig.unified.broadcast(note({}))).rejects.toMatchObject({ code: 'MANAGER_SHUT_DOWN', reason: 'shutdown' });
    await expect(isolated.sendToUser(uid('cy'), note({}))).rejects.toBeInstanceOf(ManagerShutdownError);
    expect(() => rig.unified.getUserConnections(uid('cy'))).toThrow(ManagerShutdownError);
    expect(() => rig.factory.createManager(contextFor('cy'))).toThrow(ManagerShutdownError);
    expect(rig.factory.getUnifiedManager()).toBe(rig.unified);
    await expect(rig.unified.shutdown()).resolves.toBeUndefined();
    await expect(isolated.shutdown()).resolves.toBeUndefined();
  });

  it('stops every timer it started', async () => {
    const started = jest.spyOn(global, 'setInterval');
    const stopped = jest.spyOn(global, 'clearInterval');
    try {
      rig = await startRig({ heartbeatIntervalMs: 10_000, idleSweepIntervalMs: 10_000 });
      const timers = started.mock.results.map((result) => result.value as NodeJS.Timeout);
      expect(timers.length).toBeGreaterThanOrEqual(3); // heartbeat, idle sweep, the backplane's expiry sweep
      await rig.factory.shutdown();
      const cleared = new Set(stopped.mock.calls.map(([timer]) => timer));
      expect(timers.filter((timer) => !cleared.has(timer))).toEqual([]);
    } finally {
      started.mockRestore();
      stopped.mockRestore();
    }
  });

  it('resolves pending waitForConnection calls with false', async () => {
    rig = await startRig();
    const waiting = rig.unified.waitForConnection(uid('dee'), 60_000);
    await rig.factory.shutdown();
    await expect(waiting).resolves.toBe(false);
  });

  it('drops its subscriptions but leaves an injected backplane open for its owner', async () => {
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    rig = await startRig({ backplane });
    await rig.connect(rig.unified, 'eda');
    await rig.factory.shutdown();
    expect(backplane.status()).toBe('ready');
    expect(await backplane.appendToAll(note({}))).toBe(0);
    await backplane.close();
  });
});

describe('a factory of its own', () => {
  it('can be shut down without ever having been used', async () => {
    const factory = new WebSocketManagerFactory();
    await expect(factory.shutdown()).resolves.toBeUndefined();
  });
});
