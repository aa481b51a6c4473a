import { loadConfig } from '@agentwirejs/config';
import { RecordingTransport, settle, waitForCount } from '@agentwirejs/protocols/testing';
import type { UserId } from '@agentwirejs/types';
import { InvalidManagerOptionsError, LimitExceededError } from './errors';
import { MANAGER_DEFAULTS, managerOptionsFromConfig, resolveManagerOptions } from './options';
import { type Rig, contextFor, note, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const MINUTE = 60_000;

describe('limits', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it('refuses a connection past maxConnectionsPerUser with a LimitExceededError that names the limit; the caller keeps the socket', async () => {
    rig = await startRig({ maxConnectionsPerUser: 2 });
    await rig.connect(rig.unified, 'ada');
    await rig.connect(rig.unified, 'ada');
    const { socket, client } = await rig.server.open();
    const refused = rig.unified.addConnection(socket, { userId: uid('ada') });
    await expect(refused).rejects.toBeInstanceOf(LimitExceededError);
    await expect(refused).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxConnectionsPerUser', max: 2, userId: 'ada' });
    await expect(refused).rejects.toThrow(/limit maxConnectionsPerUser/);
    await settle();
    expect(client.closeCode).toBeNull();
    expect(rig.unified.getUserConnections(uid('ada'))).toHaveLength(2);
    await rig.connect(rig.unified, 'bea');
    expect(rig.factory.getMetrics().limitHits).toEqual({ maxConnectionsPerUser: 1, maxConnections: 0, maxManagersPerUser: 0 });
  });

  it('refuses a connection past maxConnections, for any user, and accepts one again once a connection closed', async () => {
    rig = await startRig({ maxConnections: 3 });
    const first = await rig.connect(rig.unified, 'cal');
    await rig.connect(rig.unified, 'dov');
    await rig.connect(rig.factory.createManager(contextFor('eve')), 'eve');
    const { socket } = await rig.server.open();
    await expect(rig.unified.addConnection(socket, { userId: uid('fin') })).rejects.toMatchObject({ limit: 'maxConnections', max: 3, userId: null });
    await rig.unified.removeConnection(first.connectionId);
    await expect(rig.unified.addConnection(socket, { userId: uid('fin') })).resolves.toMatchObject({ userId: 'fin' });
    expect(rig.factory.getMetrics()).toMatchObject({ limitHitsTotal: 1, limitHits: { maxConnections: 1 } });
  });

  it('refuses a manager past maxManagersPerUser with a LimitExceededError naming that limit', async () => {
    rig = await startRig({ maxManagersPerUser: 2 });
    rig.factory.createManager(contextFor('gus'));
    rig.factory.createManager(contextFor('gus'));
    expect(() => rig.factory.createManager(contextFor('gus'))).toThrow(expect.objectContaining({ limit: 'maxManagersPerUser', max: 2 }));
    expect(() => rig.factory.createManager(contextFor('hana'))).not.toThrow();
  });
});

describe('manager life cycle', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it('disposes user-bound managers idle for idleMs (fake clock), counting real traffic either way as activity', async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    rig = await startRig({ clock });
    const quiet = rig.factory.createManager(contextFor('ida'));
    const talking = rig.factory.createManager(contextFor('jon'));
    const listening = rig.factory.createManager(contextFor('kim'));
    const unused = rig.factory.createManager(contextFor('lex'));
    const quietTab = await rig.connect(quiet, 'ida');
    const talkingTab = await rig.connect(talking, 'jon');
    const listeningTab = await rig.connect(listening, 'kim');

    clock.t += 20 * MINUTE;
    talkingTab.client.ws.send(JSON.stringify({ type: 'ping' }));
    await waitForCount(() => (talking.lastActivity === clock.t ? [1] : []), 1, 5000, 'inbound activity');
    await rig.unified.sendToUser(uid('kim'), note({ for: 'kim' }));
    expect(listening.lastActivity).toBe(clock.t);
    expect(talking.getConnection(talkingTab.connectionId)?.lastActivity).toBe(clock.t);

    clock.t += 15 * MINUTE;
    expect(rig.factory.sweepIdle()).toBe(2);
    expect([quiet.isActive, unused.isActive, talking.isActive, listening.isActive]).toEqual([false, false, true, true]);
    expect(await quietTab.client.waitForClose()).toBe(1000);
    expect(quietTab.client.closeReason).toBe('idle');
    expect(rig.factory.getMetrics()).toMatchObject({ managersActive: 2, managersDisposedBy: { idle: 2 } });

    clock.t += 16 * MINUTE;
    expect(rig.factory.sweepIdle()).toBe(2);
    expect(await listeningTab.client.waitForClose()).toBe(1000);
    expect(rig.factory.getMetrics().managersActive).toBe(0);
  });

  it('counts recordActivity as traffic for transports that are not EventEmitters', async () => {
    const clock = { t: 0, now: () => clock.t };
    rig = await startRig({ clock, idleMs: 1000 });
    const manager = rig.factory.createManager(contextFor('mia'));
    const info = await manager.addConnection(new RecordingTransport(), { userId: uid('mia') });
    clock.t = 900;
    expect(manager.recordActivity(info.connectionId)).toBe(true);
    expect(manager.recordActivity('conn-none' as never)).toBe(false);
    clock.t = 1500;
    expect(rig.factory.sweepIdle()).toBe(0);
    clock.t = 1900;
    expect(rig.factory.sweepIdle()).toBe(1);
  });

  it('runs the idle sweep on its own timer', async () => {
    const clock = { t: 0, now: () => clock.t };
    rig = await startRig({ clock, idleMs: 1000, idleSweepIntervalMs: 10 });
    const manager = rig.factory.createManager(contextFor('ned'));
    clock.t = 5000;
    await waitForCount(() => (manager.isActive ? [] : [manager]), 1, 5000, 'disposal');
    expect(rig.factory.getMetrics().managersDisposedBy.idle).toBe(1);
  });

  it('disposes a user-bound manager when its last connection closes, so reconnects do not pile managers up', async () => {
    rig = await startRig({ maxManagersPerUser: 2 });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const manager = rig.factory.createManager(contextFor('ola'));
      const tab = await rig.connect(manager, 'ola');
      tab.client.ws.close();
      await waitForCount(() => (manager.isActive ? [] : [manager]), 1, 5000, 'disposal');
    }
    expect(rig.factory.getMetrics()).toMatchObject({ managersCreated: 5, managersActive: 0, managersDisposedBy: { empty: 5 } });
  });

  it('keeps an emptied manager when disposeWhenEmpty is false', async () => {
    rig = await startRig({ disposeWhenEmpty: false });
    const manager = rig.factory.createManager(contextFor('pia'));
    const tab = await rig.connect(manager, 'pia');
    await manager.removeConnection(tab.connectionId);
    expect(manager.isActive).toBe(true);
    expect(await manager.sendToUser(uid('pia'), note({}))).toEqual({ seq: 1, connections: 0 });
  });
});

describe('options', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveManagerOptions();
    for (const [name, value] of Object.entries(MANAGER_DEFAULTS)) expect({ name, value: resolved[name as keyof typeof MANAGER_DEFAULTS] }).toEqual({ name, value });
    expect(resolved.backplane).toBeNull();
    expect(typeof resolved.clock.now()).toBe('number');
  });

  it.each([
    ['sendQueueMax', 0],
    ['maxConnectionsPerUser', 1.5],
    ['heartbeatIntervalMs', -1],
    ['idleMs', Number.NaN],
    ['coalesceWrites', 'yes'],
  ])('rejects %s = %p naming the option', (name, value) => {
    expect(() => resolveManagerOptions({ [name]: value })).toThrow(InvalidManagerOptionsError);
    expect(() => resolveManagerOptions({ [name]: value })).toThrow(new RegExp(`WebSocketManagerOptions\\.${name}`));
  });

  it('sweeps for idle managers at least once per idleMs', () => {
    expect(resolveManagerOptions({ idleMs: 5000 }).idleSweepIntervalMs).toBe(5000);
  });

  it('builds its options from AppConfig; an unset setting is left to the manager, which applies its own default', () => {
    const config = loadConfig({ AGENTWIRE_MAX_CONNECTIONS_PER_USER: '3', AGENTWIRE_REPLAY_MAX_EVENTS: '50', AGENTWIRE_SEND_QUEUE_MAX: '7', AGENTWIRE_MANAGER_IDLE_MS: '60000' });
    expect(managerOptionsFromConfig(config)).toMatchObject({ maxConnectionsPerUser: 3, replayMaxEvents: 50, sendQueueMax: 7, idleMs: 60_000 });
    const fromUnset = managerOptionsFromConfig(loadConfig({}));
    const resolved = resolveManagerOptions(fromUnset);
    for (const [name, value] of Object.entries(fromUnset)) {
      expect({ name, value, resolved: resolved[name as keyof typeof resolved] }).toEqual({ name, value: undefined, resolved: MANAGER_DEFAULTS[name as keyof typeof MANAGER_DEFAULTS] });
    }
  });
});
