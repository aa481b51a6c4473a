import type { ConnectionTransport } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { type HeartbeatTarget, heartbeatRound } from './heartbeat';
import { type Rig, contextFor, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

describe('heartbeat', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  it('terminates and removes a connection that missed its pong; one that answered stays', async () => {
    rig = await startRig();
    const manager = rig.factory.createManager(contextFor('quin'));
    const good = await rig.connect(rig.unified, 'rae');
    const silent = await rig.connect(manager, 'quin', {}, { autoPong: false });
    const pinged = new Promise((resolve) => silent.client.ws.once('ping', resolve));
    const answered = new Promise((resolve) => good.socket.once('pong', resolve));
    expect(rig.factory.runHeartbeat()).toBe(0);
    await Promise.all([pinged, answered]);
    expect(rig.factory.runHeartbeat()).toBe(1);
    expect(rig.unified.getConnection(silent.connectionId)).toBeNull();
    expect(rig.unified.isUserConnected(uid('quin'))).toBe(false);
    expect(rig.unified.getConnection(good.connectionId)?.isActive).toBe(true);
    expect(await silent.client.waitForClose()).toBe(1006);
    expect(rig.unified.getStats()).toMatchObject({ heartbeatTerminations: 1, connections: 1 });
    expect(manager.isActive).toBe(false);
  });

  it('counts real traffic from the client as an answer', async () => {
    const clock = { t: 0, now: () => clock.t };
    rig = await startRig({ clock });
    const chatty = await rig.connect(rig.unified, 'sid', {}, { autoPong: false });
    for (let round = 1; round <= 3; round += 1) {
      expect(rig.factory.runHeartbeat()).toBe(0);
      clock.t = round * 1000;
      chatty.client.ws.send(JSON.stringify({ type: 'ping' }));
      await waitUntil(() => rig.unified.getConnection(chatty.connectionId)?.lastActivity === clock.t);
    }
    expect(rig.unified.getConnection(chatty.connectionId)?.isActive).toBe(true);
    expect(rig.factory.runHeartbeat()).toBe(0);
    expect(rig.factory.runHeartbeat()).toBe(1);
  });

  it('pings on its own interval', async () => {
    rig = await startRig({ heartbeatIntervalMs: 20 });
    const silent = await rig.connect(rig.unified, 'tia', {}, { autoPong: false });
    const answering = await rig.connect(rig.unified, 'uri');
    expect(await silent.client.waitForClose()).toBe(1006);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rig.unified.getConnection(answering.connectionId)?.isActive).toBe(true);
  });
});

describe('heartbeatRound', () => {
  type Fake = HeartbeatTarget & { pings: number };
  const fake = (overrides: Partial<ConnectionTransport> = {}): Fake => {
    const target: Fake = {
      alive: true,
      pings: 0,
      transport: { readyState: 1, bufferedAmount: 0, send: () => undefined, close: () => undefined, ping: () => (target.pings += 1), ...overrides } as ConnectionTransport,
    };
    return target;
  };

  it('pings those that answered, returns those that did not, and skips transports without ping()', () => {
    const fresh = fake();
    const stale = Object.assign(fake(), { alive: false });
    const unpingable = fake({ ping: undefined });
    const broken = fake({
      ping: () => {
        throw new Error('socket gone');
      },
    });
    expect(heartbeatRound([fresh, stale, unpingable, broken])).toEqual([stale, broken]);
    expect(fresh).toMatchObject({ alive: false, pings: 1 });
    expect(stale.pings).toBe(0);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
