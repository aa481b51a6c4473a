import { type AgentEvent, type ServerEnvelope, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';
import { InMemoryBackplane } from './in-memory-backplane';
import { RecordingTransport, settle, waitForCount } from '@agentwirejs/protocols/testing';
import type { ConnectionId, UserId } from '@agentwirejs/types';
import { WebSocketManagerFactory } from './factory';
import { type Rig, type RigConnection, V2, contextFor, note, receivedText, runFinished, runIds, runStarted, smallRun, startRig, textMessage } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

/** The 6 AG-UI events of run `r` of `user` (a valid run: started, a tool call, finished). */
function runEvents(user: string, r: number): AgentEvent[] {
  return smallRun(`run-${user}-${r}`, `thread-${user}`);
}

describe('delivery', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('streams 150 users x 30 events with zero cross-user deliveries and zero reorders', async () => {
    const users = Array.from({ length: 150 }, (_, i) => `member${i + 1}`);
    const connections = await Promise.all(users.map((user) => rig.connect(rig.factory.createManager(contextFor(user)), user, V2)));
    const plans = new Map(users.map((user) => [user, Array.from({ length: 5 }, (_, r) => runEvents(user, r)).flat()]));
    // The execution tracker emits through the unified manager; every user's 30 events interleave with everyone else's.
    for (let i = 0; i < 30; i += 1) {
      await Promise.all(users.map((user) => rig.unified.emitAgentEvent(uid(user), (plans.get(user) as AgentEvent[])[i] as AgentEvent)));
    }
    await Promise.all(connections.map(({ client }) => client.waitForStream(30)));
    await settle(50);
    let crossUser = 0;
    let reorders = 0;
    for (const { client, userId } of connections) {
      const stream = client.stream();
      const foreign = (message: ServerEnvelope) => message.user_id !== userId || (message.run_id !== undefined && !message.run_id.startsWith(`run-${userId}-`));
      crossUser += client.messages.filter(foreign).length;
      reorders += checkUserStream(client.messages, userId, { afterSeq: 0 }).problems.length;
      expect(stream).toHaveLength(30);
      expect(checkEventStreams(stream)).toEqual({ ok: true, problems: [], runs: 5 });
      expect(stream.map((message) => message.type)).toEqual((plans.get(userId) as AgentEvent[]).map((event) => event.type));
    }
    expect({ crossUser, reorders }).toEqual({ crossUser: 0, reorders: 0 });
  });

  it("gives every tab of a user an identical stream, whichever manager added it and however the message was addressed", async () => {
    const tabs: RigConnection[] = [];
    for (let i = 0; i < 3; i += 1) tabs.push(await rig.connect(rig.factory.createManager(contextFor('dana')), 'dana'));
    tabs.push(await rig.connect(rig.unified, 'dana'));
    const other = await rig.connect(rig.unified, 'eli');
    await rig.unified.joinRoom((tabs[0] as RigConnection).connectionId, 'team');
    await rig.unified.joinRoom(other.connectionId, 'team');
    const manager = rig.factory.getManagers(uid('dana'))[0];
    for (const event of runEvents('dana', 1)) await rig.unified.emitAgentEvent(uid('dana'), event);
    await manager?.sendToUser(uid('dana'), note({ direct: true }));
    expect(await rig.unified.broadcastToRoom('team', note({ room: 'team' }))).toBe(2);
    expect(await rig.unified.broadcast(note({ everyone: true }))).toBe(2);
    const streams = await Promise.all(tabs.map(({ client }) => client.waitForStream(9)));
    await settle();
    for (const stream of streams) expect(stream).toEqual(streams[0]);
    expect(streams[0]?.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // v1 tabs (the default): the run's events translated, the others forwarded.
    expect(streams[0]?.map((message) => message.type)).toEqual(['agent_started', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'tool_executing', 'tool_completed', 'agent_completed', 'note', 'note', 'note']);
    expect(tabs.map(({ client }) => client.stream().length)).toEqual([9, 9, 9, 9]);
    expect((await other.client.waitForStream(2)).map((message) => message.seq)).toEqual([1, 2]);
  });

  it('keeps connection_established first even when a connection message is sent while the registration is in progress', async () => {
    const { socket, client } = await rig.server.open();
    const connectionId = 'conn-early' as ConnectionId;
    const adding = rig.unified.addConnection(socket, { userId: uid('eda'), connectionId });
    expect(await rig.unified.sendToConnection(connectionId, { type: 'pong', payload: {} })).toBe(true);
    await adding;
    await rig.unified.sendToUser(uid('eda'), note({}));
    expect((await client.waitForMessages(3)).map((message) => message.type)).toEqual(['connection_established', 'pong', 'note']);
  });

  it('reports the connections a send reached; a user without connections keeps the message for replay', async () => {
    await rig.connect(rig.unified, 'fay');
    await rig.connect(rig.unified, 'fay');
    expect(await rig.unified.sendToUser(uid('fay'), note({}))).toEqual({ seq: 1, connections: 2 });
    expect(await rig.unified.sendToUser(uid('gil'), note({}))).toEqual({ seq: 1, connections: 0 });
    expect(await rig.unified.getLastSeq(uid('gil'))).toBe(1);
  });

  it("leaves a closed connection's rooms", async () => {
    const hal = await rig.connect(rig.unified, 'hal');
    await rig.unified.joinRoom(hal.connectionId, 'lobby');
    await rig.unified.joinRoom(hal.connectionId, 'lobby');
    await rig.unified.joinRoom(hal.connectionId, 'games');
    expect(rig.unified.getStats().rooms).toBe(2);
    expect(await rig.unified.broadcastToRoom('lobby', note({}))).toBe(1);
    hal.client.ws.close();
    await hal.client.waitForClose();
    await settle();
    expect(rig.unified.getStats().rooms).toBe(0);
    expect(await rig.unified.broadcastToRoom('lobby', note({}))).toBe(0);
    expect(await rig.unified.broadcastToRoom('games', note({}))).toBe(0);
  });

  it('refuses bad room names and unknown connections with typed errors', async () => {
    const ivy = await rig.connect(rig.unified, 'ivy');
    await expect(rig.unified.joinRoom(ivy.connectionId, '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'room' });
    await expect(rig.unified.broadcastToRoom('x'.repeat(257), note({}))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(rig.unified.joinRoom('conn-nobody' as never, 'room')).rejects.toMatchObject({ code: 'UNKNOWN_CONNECTION' });
    await expect(rig.unified.leaveRoom('conn-nobody' as never, 'room')).resolves.toBeUndefined();
  });
});

describe('serialization', () => {
  /** A payload that counts how often it is serialized. */
  function countingPayload(): { payload: Record<string, unknown>; serialized: () => number } {
    let count = 0;
    return { payload: { body: { toJSON: () => ((count += 1), 'the body') } }, serialized: () => count };
  }

  it('serializes a room message to 1,000 connections once, and each user gets the same bytes on every tab', async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, maxConnectionsPerUser: 2 });
    const manager = factory.getUnifiedManager();
    const transports: { userId: UserId; transport: RecordingTransport }[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const userId = uid(`u${i >> 1}`);
      const transport = new RecordingTransport();
      const info = await manager.addConnection(transport, { userId });
      if (i % 2 === 0) await manager.joinRoom(info.connectionId, 'all-hands');
      transports.push({ userId, transport });
    }
    const { payload, serialized } = countingPayload();
    expect(await manager.broadcastToRoom('all-hands', { type: 'announcement', payload })).toBe(500);
    expect(serialized()).toBe(1);
    const frames = transports.map(({ transport }) => transport.frames.slice(1));
    expect(frames.every((list) => list.length === 1)).toBe(true);
    for (let i = 0; i < 1000; i += 2) expect(frames[i]?.[0]).toBe(frames[i + 1]?.[0]);
    const first = JSON.parse(frames[0]?.[0] as string) as ServerEnvelope;
    expect(first).toMatchObject({ type: 'announcement', seq: 1, user_id: 'u0', payload: { body: 'the body' } });
    await factory.shutdown();
  });

  it("serializes a user's message once however many tabs receive it", async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0 });
    const manager = factory.getUnifiedManager();
    const tabs = Array.from({ length: 5 }, () => new RecordingTransport());
    for (const transport of tabs) await manager.addConnection(transport, { userId: uid('jo') });
    const { payload, serialized } = countingPayload();
    await manager.sendToUser(uid('jo'), { type: 'note', payload });
    expect(serialized()).toBe(1);
    expect(new Set(tabs.map((transport) => transport.frames[1])).size).toBe(1);
    await factory.shutdown();
  });

  it('fails only the registration when the backplane throws while subscribing; the user connects fine afterwards', async () => {
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    const subscribe = backplane.subscribeUser.bind(backplane);
    let broken = true;
    backplane.subscribeUser = (userId, listener) => {
      if (broken) throw new Error('injected: subscribe threw');
      return subscribe(userId, listener);
    };
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, backplane });
    const manager = factory.getUnifiedManager();
    await expect(manager.addConnection(new RecordingTransport(), { userId: uid('kit') })).rejects.toThrow('injected: subscribe threw');
    expect(manager.isUserConnected(uid('kit'))).toBe(false);
    broken = false;
    const tab = new RecordingTransport();
    await manager.addConnection(tab, { userId: uid('kit') });
    await manager.sendToUser(uid('kit'), note({ i: 1 }));
    expect(tab.frames.map((frame) => (JSON.parse(frame) as ServerEnvelope).type)).toEqual(['connection_established', 'note']);
    await factory.shutdown();
    await backplane.close();
  });
});

describe('frames on ws sockets', () => {
  it('writes every frame as a text frame; the bytes encoded once arrive intact on every tab, a v1 tab, a room stream and a replay', async () => {
    const rig = await startRig({ maxConnectionsPerUser: 4 });
    try {
      const tabs = [await rig.connect(rig.unified, 'uma', V2), await rig.connect(rig.unified, 'uma', V2)];
      const v1Tab = await rig.connect(rig.unified, 'uma');
      const [first, second] = tabs as [RigConnection, RigConnection];
      await rig.unified.joinRoom(first.connectionId, 'café', { stream: 'room' });
      const ids = runIds('run-uma');
      // Two-, three- and four-byte characters, a line separator, quotes and a backslash.
      const text = 'naïve café, 日本語, 🤖\u2028 "quoted" \\ end';
      const events = [runStarted(ids), ...textMessage(ids, 'msg-1', [text, '✓']), runFinished(ids, text, 6)];
      for (const event of events) await rig.unified.emitAgentEvent(uid('uma'), event);
      await rig.unified.broadcastToRoom('café', note({ text }));
      const streams = await Promise.all(tabs.map(({ client }) => client.waitForStream(events.length)));
      for (const stream of streams) {
        expect(stream.map((message) => message.type)).toEqual(events.map((event) => event.type));
        expect(receivedText(stream, 'msg-1')).toBe(`${text}✓`);
      }
      expect(JSON.stringify(streams[1])).toBe(JSON.stringify(streams[0]));
      const [roomFrame] = await waitForCount(() => first.client.messages.filter((message) => 'room' in message), 1, 5000, 'room frames');
      expect(roomFrame).toMatchObject({ room: 'café', room_seq: 1, payload: { text } });
      await waitForCount(() => v1Tab.client.stream().filter((message) => message.type === 'agent_completed'), 1, 5000, 'agent_completed');
      const v1Stream = v1Tab.client.stream();
      expect(v1Stream[0]?.type).toBe('agent_started');
      expect(receivedText(v1Stream, 'msg-1')).toBe(`${text}✓`);
      expect(v1Stream.at(-1)).toMatchObject({ type: 'agent_completed', payload: { final_response: text } });
      // A replay reads the history the backplane kept of those bytes (the two deltas compacted into one frame).
      const late = await rig.connect(rig.unified, 'uma', { ...V2, afterSeq: 0 });
      const replayed = await late.client.waitForStream(events.length - 1);
      expect(receivedText(replayed, 'msg-1')).toBe(`${text}✓`);
      expect(JSON.stringify(replayed.at(-1))).toBe(JSON.stringify(streams[0]?.at(-1)));
      for (const { client } of [first, second, v1Tab, late]) expect(client.binaryFrames).toBe(0);
    } finally {
      await rig.dispose();
    }
  });
});
