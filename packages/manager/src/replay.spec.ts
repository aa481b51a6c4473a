import { type Backplane, type BackplaneStatus, type OutboundMessage, type RoomStreamEntry, type RoomStreamListener, type StreamEntry, type StreamListener, type StreamPosition, type StreamRead, type Unsubscribe, checkUserStream } from '@agentwirejs/protocols';
import { InMemoryBackplane } from './in-memory-backplane';
import { settle, waitForCount } from '@agentwirejs/protocols/testing';
import type { UserId } from '@agentwirejs/types';
import { type Rig, contextFor, note, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * An in-memory backplane whose reads can be held open, to produce the replay/live race on
 * demand: `snapshot: 'before'` takes the read's result when called and returns it when the
 * gate opens (entries appended meanwhile come only live); `'after'` reads when the gate opens
 * (they come both ways). `liveLagMs` delays live delivery behind the store, as pub/sub does.
 */
class TestBackplane implements Backplane {
  readonly inner = new InMemoryBackplane({ sweepIntervalMs: 0 });
  reads = 0;
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;

  constructor(
    private readonly snapshot: 'before' | 'after' = 'before',
    private readonly liveLagMs = 0,
  ) {}

  /** Holds every read until release() is called. */
  hold(): void {
    this.gate = new Promise<void>((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = null;
    this.open();
  }

  async readStream(userId: UserId, afterSeq: number): Promise<StreamRead> {
    this.reads += 1;
    const gate = this.gate;
    if (gate === null) return this.inner.readStream(userId, afterSeq);
    if (this.snapshot === 'before') {
      const read = await this.inner.readStream(userId, afterSeq);
      await gate;
      return read;
    }
    await gate;
    return this.inner.readStream(userId, afterSeq);
  }

  subscribeUser(userId: UserId, listener: StreamListener): Promise<Unsubscribe> {
    const lag = this.liveLagMs;
    return this.inner.subscribeUser(userId, lag === 0 ? listener : (entry: StreamEntry) => void setTimeout(() => listener(entry), lag));
  }

  appendToUser(userId: UserId, message: OutboundMessage): Promise<StreamEntry> {
    return this.inner.appendToUser(userId, message);
  }
  appendToRoom(room: string, message: OutboundMessage): Promise<number> {
    return this.inner.appendToRoom(room, message);
  }
  appendToAll(message: OutboundMessage): Promise<number> {
    return this.inner.appendToAll(message);
  }
  appendToRoomStream(room: string, message: OutboundMessage): Promise<RoomStreamEntry> {
    return this.inner.appendToRoomStream(room, message);
  }
  subscribeRoomStream(room: string, listener: RoomStreamListener): Promise<Unsubscribe> {
    return this.inner.subscribeRoomStream(room, listener);
  }
  readRoomStream(room: string, afterSeq: number): Promise<StreamRead<RoomStreamEntry>> {
    return this.inner.readRoomStream(room, afterSeq);
  }
  roomStreamPosition(room: string): Promise<StreamPosition> {
    return this.inner.roomStreamPosition(room);
  }
  joinRoom(room: string, userId: UserId): Promise<void> {
    return this.inner.joinRoom(room, userId);
  }
  leaveRoom(room: string, userId: UserId): Promise<void> {
    return this.inner.leaveRoom(room, userId);
  }
  lastSeq(userId: UserId): Promise<number> {
    return this.inner.lastSeq(userId);
  }
  position(userId: UserId): Promise<StreamPosition> {
    return this.inner.position(userId);
  }
  status(): BackplaneStatus {
    return this.inner.status();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('replay', () => {
  let rig: Rig | null = null;
  afterEach(async () => {
    await rig?.dispose();
    rig = null;
  });

  async function send(user: string, from: number, to: number): Promise<void> {
    for (const i of range(from, to)) await (rig as Rig).unified.sendToUser(uid(user), note({ i }));
  }

  it('loses nothing across a reconnect: what was sent while away comes first, then live messages, each once', async () => {
    rig = await startRig();
    const first = await rig.connect(rig.factory.createManager(contextFor('kai')), 'kai');
    await send('kai', 1, 10);
    const seen = await first.client.waitForStream(10);
    first.client.ws.close();
    await first.client.waitForClose();
    await send('kai', 11, 20);
    let producing = true;
    const producer = (async () => {
      for (let i = 21; producing && i < 500; i += 1) {
        await (rig as Rig).unified.sendToUser(uid('kai'), note({ i }));
        if (i % 3 === 0) await settle(1);
      }
    })();
    const lastSeen = seen[seen.length - 1]?.seq as number;
    const second = await rig.connect(rig.unified, 'kai', { afterSeq: lastSeen });
    await settle(30);
    producing = false;
    await producer;
    const last = await rig.unified.getLastSeq(uid('kai'));
    const rest = await second.client.waitForStream(last - 10);
    await settle();
    expect(rest.map((message) => message.seq)).toEqual(range(11, last));
    expect(second.client.stream()).toHaveLength(last - 10);
    expect(checkUserStream([...seen, ...rest], 'kai', { afterSeq: 0 })).toEqual({ ok: true, problems: [] });
    expect(rest.map((message) => message.payload['i'])).toEqual(range(11, last));
  });

  it.each(['before', 'after'] as const)(
    'delivers entries produced while the replay read is in flight exactly once, after the replayed ones (read snapshot %s the new entries)',
    async (snapshot) => {
      const backplane = new TestBackplane(snapshot);
      rig = await startRig({ backplane });
      await send('lou', 1, 10);
      backplane.hold();
      const connecting = rig.connect(rig.unified, 'lou', { afterSeq: 0 });
      await waitForCount(() => (backplane.reads > 0 ? [1] : []), 1, 5000, 'read');
      await send('lou', 11, 30);
      await settle(20);
      backplane.release();
      const tab = await connecting;
      await send('lou', 31, 35);
      const got = await tab.client.waitForStream(35);
      await settle();
      expect(tab.client.messages[0]?.type).toBe('connection_established');
      expect(tab.client.stream().map((message) => message.seq)).toEqual(range(1, 35));
      expect(got.map((message) => message.payload['i'])).toEqual(range(1, 35));
    },
  );

  it('re-reads the stream when more entries arrive during the read than a connection may hold, still with no loss and no duplicate', async () => {
    const backplane = new TestBackplane('before');
    rig = await startRig({ backplane, sendQueueMax: 5 });
    await send('max', 1, 10);
    backplane.hold();
    const connecting = rig.connect(rig.unified, 'max', { afterSeq: 0 });
    await waitForCount(() => (backplane.reads > 0 ? [1] : []), 1, 5000, 'read');
    await send('max', 11, 40);
    backplane.release();
    const tab = await connecting;
    await tab.client.waitForStream(40);
    await settle();
    expect(backplane.reads).toBe(2);
    expect(tab.client.stream().map((message) => message.seq)).toEqual(range(1, 40));
  });

  it('makes an explicit resume of a live connection replay in order before anything new, even with entries arriving meanwhile', async () => {
    const backplane = new TestBackplane('before');
    rig = await startRig({ backplane });
    const tab = await rig.connect(rig.unified, 'ned');
    await send('ned', 1, 5);
    await tab.client.waitForStream(5);
    backplane.hold();
    const resuming = rig.unified.resume(tab.connectionId, 2);
    await waitForCount(() => (backplane.reads > 0 ? [1] : []), 1, 5000, 'read');
    await send('ned', 6, 10);
    backplane.release();
    expect(await resuming).toEqual({ replayed: 3, gap: null });
    await tab.client.waitForStream(13);
    await settle();
    expect(tab.client.stream().map((message) => message.seq)).toEqual([...range(1, 5), ...range(3, 10)]);
  });

  it('does not duplicate what the read returned when live delivery lags the store (as with pub/sub)', async () => {
    const backplane = new TestBackplane('after', 30);
    rig = await startRig({ backplane });
    await send('oli', 1, 5);
    backplane.hold();
    const connecting = rig.connect(rig.unified, 'oli', { afterSeq: 0 });
    await waitForCount(() => (backplane.reads > 0 ? [1] : []), 1, 5000, 'read');
    // Stored now, delivered live 30 ms later: after the read has returned them and the connection is live.
    await send('oli', 6, 20);
    backplane.release();
    const tab = await connecting;
    await tab.client.waitForStream(20);
    await settle(80);
    await send('oli', 21, 22);
    await tab.client.waitForStream(22);
    await settle(60);
    expect(tab.client.stream().map((message) => message.seq)).toEqual(range(1, 22));
  });

  it('announces entries evicted by age with replay_gap before the kept ones', async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    rig = await startRig({ clock, replayMaxAgeMs: 1000 });
    await send('pam', 1, 3);
    clock.t += 5000;
    await send('pam', 4, 5);
    const tab = await rig.connect(rig.unified, 'pam', { afterSeq: 0 });
    const got = await tab.client.waitForMessages(4);
    expect(got.map((message) => [message.type, message.seq])).toEqual([
      ['connection_established', null],
      ['replay_gap', null],
      ['note', 4],
      ['note', 5],
    ]);
    expect(got[1]?.payload).toEqual({ from_seq: 1, to_seq: 3 });
  });

  it('lets a client whose position is ahead of the stream (a reset stream) receive what comes next', async () => {
    rig = await startRig();
    await send('quin', 1, 3);
    const tab = await rig.connect(rig.unified, 'quin', { afterSeq: 50 });
    await send('quin', 4, 5);
    expect((await tab.client.waitForStream(2)).map((message) => message.seq)).toEqual([4, 5]);
  });

  it('refuses bad positions and unknown connections with typed errors', async () => {
    rig = await startRig();
    const tab = await rig.connect(rig.unified, 'rae');
    await expect(rig.unified.resume(tab.connectionId, -1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'afterSeq' });
    await expect(rig.unified.resume(tab.connectionId, 1.5)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(rig.unified.resume('conn-gone' as never, 0)).rejects.toMatchObject({ code: 'UNKNOWN_CONNECTION' });
    const { socket } = await rig.server.open();
    await expect(rig.unified.addConnection(socket, { userId: uid('rae'), afterSeq: -3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(rig.unified.getUserConnections(uid('rae'))).toHaveLength(1);
  });
});
