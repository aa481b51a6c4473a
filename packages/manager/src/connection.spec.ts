import type { StreamEntry } from '@agentwirejs/protocols';
import { RecordingTransport, eventually } from '@agentwirejs/protocols/testing';
import { ConnectionInfo, ConnectionState, IllegalStateTransitionError, type UserId } from '@agentwirejs/types';
import { InMemoryBackplane } from './in-memory-backplane';
import { type ConnectionHost, ConnectionPhase, type ConnectionOwner, ManagedConnection, SKIPPED, UserSlot, canMove } from './connection';
import { WriteOutcome } from './backpressure';
import { WebSocketManagerFactory } from './factory';
import { DeliveryCounters } from './stats';
import { rendererFor } from './v1-translation';
import { WriteBatch } from './write-batch';
import { V2, note, startRig } from './ws-rig.test-helpers';

const ada = 'ada' as UserId;

function connectionOn(transport: RecordingTransport, holdMax = 100): ManagedConnection {
  const owner: ConnectionOwner = { counters: new DeliveryCounters(), lastActivity: 0, adopt: () => undefined, release: () => undefined };
  const host: ConnectionHost = {
    policy: { highWaterBytes: 1 << 20, queueMax: 100, queueMaxBytes: 1 << 20 },
    counters: new DeliveryCounters(),
    holdMax,
    closeTimeoutMs: 100,
    writes: new WriteBatch(true, () => undefined),
    now: () => 1_700_000_000_000,
    backedUp: () => undefined,
    drained: () => undefined,
    report: () => undefined,
  };
  return new ManagedConnection(new ConnectionInfo('conn-1', ada), ada, transport, owner, new UserSlot(ada), rendererFor(V2.protocol), host);
}

function entry(seq: number): StreamEntry {
  return { userId: ada, seq, json: JSON.stringify({ type: 'note', seq, payload: { seq } }), appendedAt: 0 } as StreamEntry;
}

function types(transport: RecordingTransport): (string | number)[] {
  return transport.messages<{ type: string; seq: number | null }>().map(({ type, seq }) => (seq === null ? type : seq));
}

describe('a managed connection owns its life cycle: greeting → replaying → live → closing → closed', () => {
  it('allows exactly these moves', () => {
    const phases = Object.values(ConnectionPhase);
    const moves = phases.flatMap((from) => phases.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
    expect(moves).toEqual([
      'greeting→replaying',
      'greeting→closing',
      'greeting→closed',
      'replaying→live',
      'replaying→closing',
      'replaying→closed',
      'live→replaying',
      'live→closing',
      'live→closed',
      'closing→closed',
    ]);
  });

  it('while greeting holds stream entries and connection messages; the greeting goes first, then those messages', () => {
    const transport = new RecordingTransport();
    const connection = connectionOn(transport);
    expect([connection.phase, connection.info.state]).toEqual([ConnectionPhase.Greeting, ConnectionState.Connecting]);
    expect(connection.deliver(entry(1), 0)).toBe(WriteOutcome.Queued);
    expect(connection.notice(note({ early: true }))).toBe(WriteOutcome.Queued);
    expect(connection.send('{"type":"note","seq":1,"payload":{}}', 1, null, 0)).toBe(SKIPPED);
    expect(transport.frames).toEqual([]);

    connection.greet({ type: 'connection_established', payload: {} });
    expect([connection.phase, connection.info.state]).toEqual([ConnectionPhase.Replaying, ConnectionState.Connected]);
    expect(types(transport)).toEqual(['connection_established', 'note']);
    expect(() => connection.greet({ type: 'connection_established', payload: {} })).toThrow(IllegalStateTransitionError);
  });

  it('goes live with the entries held while replaying, skips what it already has, and holds again for the next replay', () => {
    const transport = new RecordingTransport();
    const connection = connectionOn(transport);
    connection.greet({ type: 'connection_established', payload: {} });
    connection.deliver(entry(3), 0);
    expect(connection.goLive(2).map((held) => held.seq)).toEqual([3]);
    expect(connection.phase).toBe(ConnectionPhase.Live);
    expect(connection.deliver(entry(2), 0)).toBe(SKIPPED);
    expect(connection.deliver(entry(4), 0)).toBe(WriteOutcome.Sent);

    connection.holdLive();
    expect(connection.phase).toBe(ConnectionPhase.Replaying);
    connection.deliver(entry(5), 0);
    expect(types(transport)).toEqual(['connection_established', 4]);
  });

  it('empties and flags its held entries past holdMax, so the replay reads the stream again instead of growing', () => {
    const connection = connectionOn(new RecordingTransport(), 2);
    for (const seq of [1, 2, 3]) connection.deliver(entry(seq), 0);
    expect([connection.pending, connection.pendingOverflow]).toEqual([[], true]);
  });

  it('writes nothing once closing; the transport closing ends it; a failed socket is recorded as failed', () => {
    const transport = new RecordingTransport();
    const connection = connectionOn(transport);
    connection.greet({ type: 'connection_established', payload: {} });
    connection.goLive(0);
    expect(connection.detach(true, false)).toBe(true);
    expect([connection.phase, connection.info.state, connection.closed]).toEqual([ConnectionPhase.Closing, ConnectionState.Closing, true]);
    expect(connection.deliver(entry(1), 0)).toBe(SKIPPED);
    expect(connection.notice(note({}))).toBe(SKIPPED);
    expect(connection.detach(true, false)).toBe(false);
    connection.transportClosed();
    expect([connection.phase, connection.info.state]).toEqual([ConnectionPhase.Closed, ConnectionState.Closed]);
    expect(types(transport)).toEqual(['connection_established']);

    const failing = connectionOn(new RecordingTransport());
    const states: ConnectionState[] = [];
    const transitionTo = failing.info.transitionTo.bind(failing.info);
    failing.info.transitionTo = (next, now) => {
      states.push(next);
      transitionTo(next, now);
    };
    failing.detach(false, true);
    expect([failing.phase, states]).toEqual([ConnectionPhase.Closed, [ConnectionState.Failed, ConnectionState.Closed]]);
  });
});

describe('a stream entry of the in-memory backplane, written as bytes, its text made only when needed', () => {
  /** A live connection fed by a backplane's listener, over a transport that is not a `ws` socket. */
  async function fedConnection(holdMax = 100): Promise<{ transport: RecordingTransport; connection: ManagedConnection; backplane: InMemoryBackplane; delivered: StreamEntry[] }> {
    const transport = new RecordingTransport();
    const connection = connectionOn(transport, holdMax);
    connection.greet({ type: 'connection_established', payload: {} });
    connection.goLive(0);
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    const delivered: StreamEntry[] = [];
    await backplane.subscribeUser(ada, (appended) => {
      delivered.push(appended);
      connection.deliver(appended, 0);
    });
    return { transport, connection, backplane, delivered };
  }

  it('sends a transport that is not a ws socket the envelope\'s text, the same as JSON.stringify writes', async () => {
    const { transport, backplane } = await fedConnection();
    const entry = await backplane.appendToUser(ada, { type: 'note', payload: { text: 'façade 🚀 "quoted"\n' } });
    expect(transport.frames.at(-1)).toBe(entry.json);
    expect(JSON.parse(entry.json)).toEqual({ type: 'note', seq: 1, ts: entry.ts, user_id: ada, payload: { text: 'façade 🚀 "quoted"\n' } });
    await backplane.close();
  });

  it('queues the text behind a backed-up socket and writes it once the socket drains', async () => {
    const { transport, connection, backplane } = await fedConnection();
    transport.bufferedAmount = 2 << 20;
    const entry = await backplane.appendToUser(ada, { type: 'note', payload: { n: 1 } });
    expect(connection.queue?.frames).toBe(1);
    transport.bufferedAmount = 0;
    connection.drain();
    expect(transport.frames.at(-1)).toBe(entry.json);
    await backplane.close();
  });

  it('holds an entry delivered while replaying as its text, and writes it when it goes live', async () => {
    const { transport, connection, backplane, delivered } = await fedConnection();
    connection.holdLive();
    await backplane.appendToUser(ada, { type: 'note', payload: { n: 2 } });
    const [held] = connection.goLive(0);
    expect(held).toBe(delivered[0]);
    expect(held?.jsonUtf8).toBeUndefined(); // the delivery is over: no bytes handed out any more
    expect(connection.deliver(held as StreamEntry, 0)).toBe(WriteOutcome.Sent);
    expect(JSON.parse(transport.frames.at(-1) as string)).toMatchObject({ type: 'note', seq: 1, payload: { n: 2 } });
    await backplane.close();
  });
});

describe('closing ends in closed, whatever the transport does', () => {
  it('a transport that never reports its close (no events, close() never completes) is closed after closeTimeoutMs', async () => {
    const stuck = { readyState: 1, bufferedAmount: 0, send: () => undefined, close(): void {
      this.readyState = 2; // closing, and it stays so
    } };
    const connection = connectionOn(stuck as unknown as RecordingTransport);
    connection.greet({ type: 'connection_established', payload: {} });
    connection.detach(true, false);
    connection.closeTransport(1000, 'bye');
    expect(connection.phase).toBe(ConnectionPhase.Closing);
    await eventually(() => (connection.phase === ConnectionPhase.Closed ? true : undefined), 'closed after the close timeout');
    expect(connection.info.state).toBe(ConnectionState.Closed);
  });

  it('a record the app moved itself (info.disconnect()) never makes a close throw', async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, idleSweepIntervalMs: 0 });
    const manager = factory.getUnifiedManager();
    const info = await manager.addConnection(new RecordingTransport(), { userId: ada });
    info.disconnect();
    await expect(manager.removeConnection(info.connectionId)).resolves.toBe(true);
    expect([info.state, manager.getConnectionCount()]).toEqual([ConnectionState.Closed, 0]);
    await factory.shutdown();
  });
});

describe('the registry drives each connection through its phases', () => {
  it('a connection closed by the manager is closing until the peer completes the close handshake, then closed', async () => {
    const rig = await startRig();
    try {
      const { connectionId } = await rig.connect(rig.unified, ada);
      const info = rig.unified.getConnection(connectionId) as ConnectionInfo;
      expect(info.state).toBe(ConnectionState.Connected);
      await rig.unified.removeConnection(connectionId);
      expect(info.state).toBe(ConnectionState.Closing);
      await eventually(() => (info.state === ConnectionState.Closed ? true : undefined), 'the closed state');
    } finally {
      await rig.dispose();
    }
  });

  it('a resume asked for while the connection is still opening is refused as in progress: the greeting stays first', async () => {
    // A backplane whose position read is held, so the connection stays in its greeting phase.
    const backplane = new InMemoryBackplane({ sweepIntervalMs: 0 });
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const position = backplane.position.bind(backplane);
    backplane.position = async (userId) => {
      await held;
      return position(userId);
    };
    await backplane.appendToUser(ada, note({ n: 1 }));
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, idleSweepIntervalMs: 0, backplane });
    const manager = factory.getUnifiedManager();
    const transport = new RecordingTransport();
    const adding = manager.addConnection(transport, { userId: ada, ...V2 });
    const [info] = manager.getUserConnections(ada);
    expect(info?.state).toBe(ConnectionState.Connecting);
    await expect(manager.resume(info?.connectionId as ConnectionInfo['connectionId'], 0)).rejects.toMatchObject({ code: 'REPLAY_LIMITED', limit: 'in_progress' });
    release();
    await adding;
    expect(info?.state).toBe(ConnectionState.Connected);
    expect(types(transport)).toEqual(['connection_established']);
    await factory.shutdown();
    await backplane.close();
  });
});
