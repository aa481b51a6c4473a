import { type AgentEvent, EventType } from '@agentwirejs/protocols';
import { settle } from '@agentwirejs/protocols/testing';
import type { UserId } from '@agentwirejs/types';
import type WebSocket from 'ws';
import { MANAGER_DEFAULTS } from './options';
import { type Rig, type RigConnection, contextFor, runEvent, runIds, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

/** Far below ws's own 30 s close timeout, well above the manager's default bound. */
const CLOSED_WITHIN_MS = MANAGER_DEFAULTS.closeTimeoutMs + 3000;

/** Resolves with the close code the server side of a connection reports, or rejects after `ms`. */
function serverClosed(socket: WebSocket, ms: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (socket.readyState === socket.CLOSED) {
      resolve(-1);
      return;
    }
    const timer = setTimeout(() => reject(new Error(`the server socket was still open ${ms} ms after the manager closed it`)), ms);
    socket.once('close', (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * The closes the manager starts itself (1013 slow consumer, 1011 send failed, 1000 removal,
 * 1001 dispose and shutdown) are bounded: a peer that never reads, so never answers the close
 * frame, loses its socket within closeTimeoutMs instead of holding it for ws's 30 s.
 */
describe('a connection the manager closes, whose peer never answers the close frame', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.dispose();
  });

  async function silentPeer(userId: string, onManagerClose?: (code: number, reason: string) => void): Promise<RigConnection> {
    const connection = await rig.connect(rig.unified, userId, onManagerClose === undefined ? {} : { onManagerClose });
    connection.client.pauseReading(true);
    return connection;
  }

  it('loses its socket within the bound when removed', async () => {
    rig = await startRig();
    const closes: [number, string][] = [];
    const peer = await silentPeer('ada', (code, reason) => closes.push([code, reason]));
    const closed = serverClosed(peer.socket, CLOSED_WITHIN_MS);
    await rig.unified.removeConnection(peer.connectionId, 4000);
    await expect(closed).resolves.toBe(1006); // terminated: the peer never echoed
    expect(closes).toEqual([[4000, 'removed']]);
  });

  it('loses its socket within the bound at shutdown (1001), and a peer that does answer still closes cleanly', async () => {
    rig = await startRig();
    const closes: number[] = [];
    const silent = await silentPeer('bo', (code) => closes.push(code));
    const polite = await rig.connect(rig.unified, 'cy', { onManagerClose: (code) => closes.push(code) });
    const silentClosed = serverClosed(silent.socket, CLOSED_WITHIN_MS);
    const politeClosed = serverClosed(polite.socket, CLOSED_WITHIN_MS);
    await rig.factory.shutdown();
    await expect(silentClosed).resolves.toBe(1006);
    await expect(politeClosed).resolves.toBe(1001);
    expect(await polite.client.waitForClose()).toBe(1001);
    expect(closes).toEqual([1001, 1001]);
  });

  it('loses its socket within the bound when its user-bound manager is disposed', async () => {
    rig = await startRig();
    const manager = rig.factory.createManager(contextFor('dee'));
    const closes: number[] = [];
    const peer = await rig.connect(manager, 'dee', { onManagerClose: (code) => closes.push(code) });
    peer.client.pauseReading(true);
    const closed = serverClosed(peer.socket, CLOSED_WITHIN_MS);
    await manager.dispose();
    await expect(closed).resolves.toBe(1006);
    expect(closes).toEqual([1000]);
  });

  it('loses its socket within the bound after a 1013 slow-consumer close, and the close code is reported once', async () => {
    rig = await startRig({ sendHighWaterBytes: 64 * 1024, sendQueueMax: 5, sendQueueMaxBytes: 1024 * 1024, drainIntervalMs: 5 });
    const closes: [number, string][] = [];
    const peer = await silentPeer('eve', (code, reason) => closes.push([code, reason]));
    const body = 'x'.repeat(16 * 1024);
    // CUSTOM events neither merge nor supersede: each one needs a place in the queue.
    const tool: AgentEvent = runEvent(runIds('run-slow'), { type: EventType.CUSTOM, name: 'app.blob', value: { body } });
    for (let i = 1; rig.unified.getConnection(peer.connectionId) !== null; i += 1) {
      if (i > 20_000) throw new Error('never closed as a slow consumer');
      await rig.unified.emitAgentEvent(uid('eve'), tool);
      if (i % 25 === 0) await settle(1);
    }
    expect(rig.unified.getStats().slowConsumerCloses).toBe(1);
    await expect(serverClosed(peer.socket, CLOSED_WITHIN_MS)).resolves.toBe(1006);
    expect(closes).toEqual([[1013, 'slow consumer']]);
  });

  it('does not report a close the peer started', async () => {
    rig = await startRig();
    const closes: number[] = [];
    const peer = await rig.connect(rig.unified, 'fay', { onManagerClose: (code) => closes.push(code) });
    const closed = serverClosed(peer.socket, CLOSED_WITHIN_MS);
    peer.client.ws.close(4001, 'bye');
    await expect(closed).resolves.toBe(4001);
    expect(rig.unified.getConnection(peer.connectionId)).toBeNull();
    expect(closes).toEqual([]);
  });
});
