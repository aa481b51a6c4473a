import { type OutboundMessage, type RoomEnvelope, RoomEnvelopeSchema, type ServerEnvelope, type StreamPosition } from '@agentwirejs/protocols';
import { settle, waitForCount } from '@agentwirejs/protocols/testing';
import { InMemoryBackplane } from './in-memory-backplane';
import { type Rig, type RigConnection, V2, contextFor, note, startRig } from './ws-rig.test-helpers';

/** The room frames a client received for `room`, in arrival order. */
function roomFrames(connection: RigConnection, room: string): RoomEnvelope[] {
  return connection.client.messages.filter((message) => (message as unknown as { room?: string }).room === room) as unknown as RoomEnvelope[];
}

function waitForRoom(connection: RigConnection, room: string, count: number): Promise<RoomEnvelope[]> {
  return waitForCount(() => roomFrames(connection, room), count, 5000, `frames of ${room}`);
}

function roomJoined(connection: RigConnection, room: string): ServerEnvelope | undefined {
  return connection.client.messages.find((message) => message.type === 'room_joined' && message.payload['room'] === room);
}

const numbered = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("a room's own stream (joinRoom with stream 'room')", () => {
  let rig: Rig;

  beforeEach(async () => {
    rig = await startRig({ maxConnectionsPerUser: 4 });
  });

  afterEach(async () => {
    await rig.dispose();
  });

  it('writes each room message as one frame, the same bytes for every member, in room_seq order, without touching their user streams', async () => {
    const [ann, ben, annAgain] = [await rig.connect(rig.unified, 'ann'), await rig.connect(rig.unified, 'ben', V2), await rig.connect(rig.unified, 'ann')];
    const members = [ann, ben, annAgain];
    const outsider = await rig.connect(rig.unified, 'cal');
    for (const member of members) await rig.unified.joinRoom(member.connectionId, 'standup', { stream: 'room' });
    await rig.unified.sendToUser(ann.userId, note({ own: 1 }));
    for (let i = 1; i <= 20; i += 1) expect(await rig.unified.broadcastToRoom('standup', note({ i }))).toBe(0);
    const received = await Promise.all(members.map((member) => waitForRoom(member, 'standup', 20)));
    for (const frames of received) {
      expect(frames.map((frame) => RoomEnvelopeSchema.strict().parse(frame).room_seq)).toEqual(numbered(1, 20));
      expect(frames.map((frame) => frame.payload['i'])).toEqual(numbered(1, 20));
      expect(JSON.stringify(frames)).toBe(JSON.stringify(received[0]));
    }
    const [first] = received[0] ?? [];
    expect(first).toMatchObject({ type: 'note', seq: null, room: 'standup', room_seq: 1 });
    expect(first).not.toHaveProperty('user_id');
    // The user stream goes on as before: ann's own message is her seq 1, on both of her tabs.
    expect(ann.client.stream().map((message) => [message.seq, message.payload])).toEqual([[1, { own: 1 }]]);
    expect(annAgain.client.stream().map((message) => message.seq)).toEqual([1]);
    expect(ben.client.stream()).toEqual([]);
    await settle(30);
    expect(roomFrames(outsider, 'standup')).toEqual([]);
    expect(outsider.client.messages).toHaveLength(1); // only its connection_established
  });

  it("makes a message's frame once for several members: no member's ws.send is called for it, and a lone member is sent it by ws.send", async () => {
    const members = [await rig.connect(rig.unified, 'ola'), await rig.connect(rig.unified, 'pia'), await rig.connect(rig.unified, 'quy', V2)];
    for (const member of members) await rig.unified.joinRoom(member.connectionId, 'deck', { stream: 'room' });
    const sends = members.map((member) => jest.spyOn(member.socket, 'send'));
    for (let i = 1; i <= 5; i += 1) await rig.unified.broadcastToRoom('deck', note({ i, text: 'ünïcode — ✓' }));
    const received = await Promise.all(members.map((member) => waitForRoom(member, 'deck', 5)));
    for (const frames of received) {
      expect(frames.map((frame) => [frame.room_seq, frame.payload['i'], frame.payload['text']])).toEqual(numbered(1, 5).map((i) => [i, i, 'ünïcode — ✓']));
      expect(JSON.stringify(frames)).toBe(JSON.stringify(received[0]));
    }
    for (const send of sends) expect(send).not.toHaveBeenCalled();
    for (const member of members) expect(member.client.binaryFrames).toBe(0);
    const [lone] = members;
    if (lone === undefined) throw new Error('no member');
    for (const member of members.slice(1)) await rig.unified.leaveRoom(member.connectionId, 'deck');
    await rig.unified.broadcastToRoom('deck', note({ i: 6 }));
    expect((await waitForRoom(lone, 'deck', 6)).map((frame) => frame.room_seq)).toEqual(numbered(1, 6));
    expect(sends[0]).toHaveBeenCalledTimes(1);
  });

  it('keeps every member in room order while one member is backed up: the others get the shared frame, its frames wait in its queue', async () => {
    const tight = await startRig({ maxConnectionsPerUser: 4, sendHighWaterBytes: 16 * 1024, sendQueueMax: 10_000, sendQueueMaxBytes: 256 * 1024 * 1024 });
    try {
      const [slow, ...keepUp] = [await tight.connect(tight.unified, 'rae'), await tight.connect(tight.unified, 'sol'), await tight.connect(tight.unified, 'rae')];
      if (slow === undefined) throw new Error('no member');
      for (const member of [slow, ...keepUp]) await tight.unified.joinRoom(member.connectionId, 'burst', { stream: 'room' });
      slow.client.pauseReading(true);
      const body = 'b'.repeat(16 * 1024);
      let published = 0;
      // Until the slow member's socket is past its high-water mark and frames wait in its queue (bounded).
      while (tight.unified.getStats().queuedFrames === 0) {
        if (published >= 5000) throw new Error('the paused member never backed up');
        published += 1;
        await tight.unified.broadcastToRoom('burst', note({ i: published, body }));
      }
      for (let extra = 0; extra < 20; extra += 1) {
        published += 1;
        await tight.unified.broadcastToRoom('burst', note({ i: published, body }));
      }
      const expected = numbered(1, published).map((i) => [i, i]);
      for (const member of keepUp) expect((await waitForRoom(member, 'burst', published)).map((frame) => [frame.room_seq, frame.payload['i']])).toEqual(expected);
      slow.client.pauseReading(false);
      const frames = await waitForCount(() => roomFrames(slow, 'burst'), published, 10_000, 'frames of burst');
      expect(frames.map((frame) => [frame.room_seq, frame.payload['i']])).toEqual(expected);
      expect(frames.every((frame) => frame.payload['body'] === body)).toBe(true);
      expect(tight.unified.getStats()).toMatchObject({ slowConsumerCloses: 0, queuedFrames: 0 });
    } finally {
      await tight.dispose();
    }
  });

  it("greets the join with room_joined (the room's position and epoch) and starts the live stream after it", async () => {
    const early = await rig.connect(rig.unified, 'dee');
    await rig.unified.joinRoom(early.connectionId, 'retro', { stream: 'room' });
    for (let i = 1; i <= 3; i += 1) await rig.unified.broadcastToRoom('retro', note({ i }));
    const late = await rig.connect(rig.unified, 'eve');
    await rig.unified.joinRoom(late.connectionId, 'retro', { stream: 'room' });
    await rig.unified.broadcastToRoom('retro', note({ i: 4 }));
    expect((await waitForRoom(late, 'retro', 1)).map((frame) => frame.room_seq)).toEqual([4]);
    const joined = roomJoined(late, 'retro');
    expect(joined).toMatchObject({ seq: null, user_id: 'eve', payload: { room: 'retro', last_seq: 3 } });
    expect(joined?.payload['epoch']).toBe(roomJoined(early, 'retro')?.payload['epoch']);
    expect(late.client.messages.indexOf(joined as ServerEnvelope)).toBeLessThan(late.client.messages.findIndex((message) => (message as unknown as RoomEnvelope).room_seq === 4));
    expect((await waitForRoom(early, 'retro', 4)).map((frame) => frame.room_seq)).toEqual([1, 2, 3, 4]);
  });

  it('resumes a room from the room_seq a client had: what it missed first, then live, nothing twice; another epoch replays from the start', async () => {
    const first = await rig.connect(rig.unified, 'fin');
    await rig.unified.joinRoom(first.connectionId, 'lobby', { stream: 'room' });
    for (let i = 1; i <= 5; i += 1) await rig.unified.broadcastToRoom('lobby', note({ i }));
    await waitForRoom(first, 'lobby', 5);
    const epoch = roomJoined(first, 'lobby')?.payload['epoch'] as string;
    first.client.ws.close();
    for (let i = 6; i <= 8; i += 1) await rig.unified.broadcastToRoom('lobby', note({ i }));
    const again = await rig.connect(rig.unified, 'fin');
    // Messages appended while the join replays come once, after what it missed.
    const joining = rig.unified.joinRoom(again.connectionId, 'lobby', { stream: 'room', afterSeq: 5, afterEpoch: epoch });
    const during = rig.unified.broadcastToRoom('lobby', note({ i: 9 }));
    await Promise.all([joining, during]);
    await rig.unified.broadcastToRoom('lobby', note({ i: 10 }));
    expect((await waitForRoom(again, 'lobby', 5)).map((frame) => frame.room_seq)).toEqual([6, 7, 8, 9, 10]);
    const stranger = await rig.connect(rig.unified, 'gil');
    await rig.unified.joinRoom(stranger.connectionId, 'lobby', { stream: 'room', afterSeq: 9, afterEpoch: 'an-epoch-of-a-stream-that-is-gone' });
    expect((await waitForRoom(stranger, 'lobby', 10)).map((frame) => frame.room_seq)).toEqual(numbered(1, 10));
    await settle(30);
    expect(roomFrames(again, 'lobby')).toHaveLength(5);
  });

  it("announces what the room no longer keeps with the room's replay_gap, then the kept messages", async () => {
    await rig.dispose();
    rig = await startRig({ backplane: new InMemoryBackplane({ maxEvents: 3, sweepIntervalMs: 0 }) });
    const member = await rig.connect(rig.unified, 'hana');
    await rig.unified.joinRoom(member.connectionId, 'news', { stream: 'room' });
    for (let i = 1; i <= 7; i += 1) await rig.unified.broadcastToRoom('news', note({ i }));
    const late = await rig.connect(rig.unified, 'ike');
    await rig.unified.joinRoom(late.connectionId, 'news', { stream: 'room', afterSeq: 1 });
    const frames = await waitForRoom(late, 'news', 4);
    expect(frames[0]).toMatchObject({ type: 'replay_gap', seq: null, room: 'news', room_seq: null, payload: { from_seq: 2, to_seq: 4 } });
    expect(frames.slice(1).map((frame) => frame.room_seq)).toEqual([5, 6, 7]);
    expect(RoomEnvelopeSchema.strict().safeParse(frames[0]).success).toBe(true);
  });

  it('stops writing to a connection that left the room or closed, and drops the subscription with the last member', async () => {
    const stays = await rig.connect(rig.unified, 'jo');
    const leaves = await rig.connect(rig.unified, 'kim');
    const closes = await rig.connect(rig.unified, 'lee');
    for (const member of [stays, leaves, closes]) await rig.unified.joinRoom(member.connectionId, 'hall', { stream: 'room' });
    expect(rig.unified.getStats().rooms).toBe(1);
    await rig.unified.broadcastToRoom('hall', note({ i: 1 }));
    await Promise.all([stays, leaves, closes].map((member) => waitForRoom(member, 'hall', 1)));
    await rig.unified.leaveRoom(leaves.connectionId, 'hall');
    closes.client.ws.close();
    await waitForCount(() => (rig.unified.getConnection(closes.connectionId) === null ? [1] : []), 1);
    await rig.unified.broadcastToRoom('hall', note({ i: 2 }));
    await waitForRoom(stays, 'hall', 2);
    await settle(30);
    expect(roomFrames(leaves, 'hall')).toHaveLength(1);
    await rig.unified.leaveRoom(stays.connectionId, 'hall');
    expect(rig.unified.getStats().rooms).toBe(0);
    await rig.unified.joinRoom(stays.connectionId, 'hall', { stream: 'room' });
    await rig.unified.broadcastToRoom('hall', note({ i: 3 }));
    expect((await waitForRoom(stays, 'hall', 3)).map((frame) => frame.room_seq)).toEqual([1, 2, 3]);
  });

  it('feeds both kinds of member from one room message: user-stream members get it in their stream, room-stream members as the room frame', async () => {
    const byUser = await rig.connect(rig.unified, 'max');
    const byRoom = await rig.connect(rig.unified, 'ned');
    await rig.unified.joinRoom(byUser.connectionId, 'mixed');
    await rig.unified.joinRoom(byRoom.connectionId, 'mixed', { stream: 'room' });
    const message: OutboundMessage = { type: 'standup', payload: { at: '09:30' } };
    expect(await rig.unified.broadcastToRoom('mixed', message)).toBe(1);
    const [inStream] = await byUser.client.waitForStream(1);
    const [frame] = await waitForRoom(byRoom, 'mixed', 1);
    expect(inStream).toMatchObject({ type: 'standup', seq: 1, user_id: 'max', payload: { at: '09:30' } });
    expect(frame).toMatchObject({ type: 'standup', seq: null, room: 'mixed', room_seq: 1, payload: { at: '09:30' } });
    expect(byRoom.client.stream()).toEqual([]);
  });

  it("keeps the room's count right when a connection closes while its join is still opening and the join then fails", async () => {
    let gate: Promise<void> = Promise.resolve();
    class GatedPosition extends InMemoryBackplane {
      override async roomStreamPosition(room: string): Promise<StreamPosition> {
        await gate;
        return super.roomStreamPosition(room);
      }
    }
    await rig.dispose();
    rig = await startRig({ backplane: new GatedPosition({ sweepIntervalMs: 0 }) });
    const stays = await rig.connect(rig.unified, 'pam');
    await rig.unified.joinRoom(stays.connectionId, 'den', { stream: 'room' });
    const leaves = await rig.connect(rig.unified, 'quinn');
    let fail: (error: Error) => void = () => undefined;
    gate = new Promise<void>((_resolve, reject) => (fail = reject));
    const joining = rig.unified.joinRoom(leaves.connectionId, 'den', { stream: 'room' });
    leaves.client.ws.close();
    await waitForCount(() => (rig.unified.getConnection(leaves.connectionId) === null ? [1] : []), 1);
    fail(new Error('the store is gone'));
    await expect(joining).rejects.toThrow('the store is gone');
    gate = Promise.resolve();
    expect(rig.unified.getStats().rooms).toBe(1);
    await rig.unified.broadcastToRoom('den', note({ i: 1 }));
    await waitForRoom(stays, 'den', 1);
    await rig.unified.leaveRoom(stays.connectionId, 'den');
    expect(rig.unified.getStats().rooms).toBe(0);
  });

  it('refuses options it cannot honour with typed errors, and a second join of a room the connection is in does nothing', async () => {
    const member = await rig.connect(rig.factory.createManager(contextFor('oli')), 'oli');
    const join = (options: unknown) => rig.unified.joinRoom(member.connectionId, 'r', options as never);
    await expect(join({ stream: 'everyone' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'stream' });
    await expect(join({ stream: 'room', afterSeq: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'afterSeq' });
    await expect(join({ stream: 'room', afterSeq: 1, afterEpoch: 7 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'afterEpoch' });
    await expect(join({ afterSeq: 3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'afterSeq' });
    await expect(join('room')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options' });
    await join({ stream: 'room' });
    await join({ stream: 'user' });
    await join({ stream: 'room', afterSeq: 0 });
    expect(await rig.unified.broadcastToRoom('r', note({}))).toBe(0);
    await waitForRoom(member, 'r', 1);
    expect(member.client.messages.filter((message) => message.type === 'room_joined')).toHaveLength(1);
  });
});
