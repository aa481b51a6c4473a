import type { AgentEvent } from '@agentwirejs/protocols';
import { RecordingTransport } from '@agentwirejs/protocols/testing';
import type { UserId } from '@agentwirejs/types';
import { InvalidAgentEventError, IsolationViolationError, LimitExceededError, ManagerShutdownError } from './errors';
import { MockWebSocketManager } from './mock-manager';
import { V2, contextFor, note, runIds, runStarted } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const started: AgentEvent = runStarted(runIds('run-1', 'thread-1'));

describe('MockWebSocketManager', () => {
  it('records every send, broadcast and connection, and writes real envelopes to the transports', async () => {
    const mock = new MockWebSocketManager();
    const tab = new RecordingTransport();
    const info = await mock.addConnection(tab, { userId: uid('ada') });
    await mock.joinRoom(info.connectionId, 'team');
    await mock.sendToUser(uid('ada'), note({ n: 1 }));
    await mock.emitAgentEvent(uid('ada'), started);
    await mock.sendToConnection(info.connectionId, { type: 'pong', payload: {} });
    await mock.broadcastToRoom('team', note({ n: 2 }));
    await mock.broadcast(note({ n: 3 }));
    expect(mock.connectionLog.map((connection) => connection.connectionId)).toEqual([info.connectionId]);
    expect(mock.sent.map(({ method, target, seq }) => [method, target, seq])).toEqual([
      ['sendToUser', 'ada', 1],
      ['emitAgentEvent', 'ada', 2],
      ['sendToConnection', info.connectionId, null],
      ['broadcastToRoom', 'team', null],
      ['broadcast', null, null],
    ]);
    expect(mock.broadcasts.map(({ method }) => method)).toEqual(['broadcastToRoom', 'broadcast']);
    expect(mock.sentTo('ada')).toHaveLength(2);
    expect(tab.messages<{ type: string; seq: number | null }>().map(({ type, seq }) => [type, seq])).toEqual([
      ['connection_established', null],
      ['note', 1],
      ['agent_started', 2],
      ['pong', null],
      ['note', 3],
      ['note', 4],
    ]);
    expect(mock.getStats()).toMatchObject({ connections: 1, users: 1, rooms: 1, messagesSent: 6 });
    mock.clearRecords();
    expect([mock.sent, mock.broadcasts, mock.connectionLog]).toEqual([[], [], []]);
    await mock.shutdown();
    expect(tab.closeCode).toBe(1001);
  });

  it('enforces isolation when bound to a user, and counts each refusal', async () => {
    const mock = new MockWebSocketManager({ userContext: contextFor('bea') });
    await mock.addConnection(new RecordingTransport(), { userId: uid('bea') });
    await expect(mock.addConnection(new RecordingTransport(), { userId: uid('cal') })).rejects.toBeInstanceOf(IsolationViolationError);
    await expect(mock.sendToUser(uid('cal'), note({}))).rejects.toBeInstanceOf(IsolationViolationError);
    await expect(mock.broadcast(note({}))).rejects.toBeInstanceOf(IsolationViolationError);
    expect(() => mock.getUserConnections(uid('cal'))).toThrow(IsolationViolationError);
    expect(mock.getStats().isolationViolations).toBe(4);
    expect(mock.sent).toEqual([]);
  });

  it("takes batches as the manager does: each event sent is recorded (seq null), another user's batch is refused as a whole and counted once", async () => {
    const mock = new MockWebSocketManager({ userContext: contextFor('dee') });
    const tab = new RecordingTransport();
    await mock.addConnection(tab, { userId: uid('dee') });
    const broken = { ...started, payload: { type: 'RUN_STARTED', input: 'no ids' } } as unknown as AgentEvent;
    const failures = await mock.emitAgentEvents(uid('dee'), [started, broken]);
    expect(failures?.map((failure) => failure instanceof InvalidAgentEventError)).toEqual([false, true]);
    await expect(mock.emitAgentEvents(uid('eve'), [started, started])).rejects.toBeInstanceOf(IsolationViolationError);
    const sink = mock.forUser(uid('dee'));
    await expect(sink.emitAgentEvents?.(uid('dee'), [started])).resolves.toBeNull();
    await expect(sink.emitAgentEvents?.(uid('eve'), [started, started])).rejects.toBeInstanceOf(IsolationViolationError);
    expect(mock.getStats().isolationViolations).toBe(2);
    expect(mock.sent.map(({ method, target, seq }) => [method, target, seq])).toEqual([
      ['emitAgentEvents', 'dee', null],
      ['emitAgentEvents', 'dee', null],
    ]);
    expect(tab.messages<{ type: string; seq: number | null }>().map(({ type, seq }) => [type, seq])).toEqual([
      ['connection_established', null],
      ['agent_started', 1],
      ['agent_started', 2],
    ]);
    await mock.shutdown();
  });

  it('writes each connection in its own protocol: the stored AG-UI event to a v2 tab, its v1 translation to a v1 tab', async () => {
    const mock = new MockWebSocketManager();
    const v1 = new RecordingTransport();
    const v2 = new RecordingTransport();
    await mock.addConnection(v1, { userId: uid('eve') });
    await mock.addConnection(v2, { userId: uid('eve'), ...V2 });
    await mock.emitAgentEvent(uid('eve'), started);
    const [greetingV1, eventV1] = v1.messages<{ type: string; seq: number | null; payload: Record<string, unknown> }>();
    const [greetingV2, eventV2] = v2.messages<{ type: string; seq: number | null; payload: Record<string, unknown> }>();
    expect([greetingV1?.payload['protocol'], greetingV2?.payload['protocol']]).toEqual(['agentwire.v1', 'agentwire.v2']);
    expect(eventV1).toMatchObject({ type: 'agent_started', seq: 1, payload: { agent_name: 'demo', input: 'hi' } });
    expect(eventV2).toMatchObject({ type: 'RUN_STARTED', seq: 1, payload: started.payload });
    await expect(mock.addConnection(new RecordingTransport(), { userId: uid('eve'), protocol: 'agentwire.v9' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'protocol' });
    await mock.shutdown();
  });

  it('is the real manager over the transports it is given: its limits apply, and a message sent while a connection opens waits for its greeting', async () => {
    const mock = new MockWebSocketManager({ maxConnectionsPerUser: 1 });
    const tab = new RecordingTransport();
    const adding = mock.addConnection(tab, { userId: uid('fay') });
    const [opening] = mock.getUserConnections(uid('fay'));
    expect(await mock.sendToConnection(opening?.connectionId as never, { type: 'pong', payload: {} })).toBe(true);
    expect(tab.frames).toEqual([]); // accepted, and waiting: the connection is still greeting
    await adding;
    expect(tab.messages<{ type: string }>().map(({ type }) => type)).toEqual(['connection_established', 'pong']);
    await expect(mock.addConnection(new RecordingTransport(), { userId: uid('fay') })).rejects.toBeInstanceOf(LimitExceededError);
    expect(mock.factory.getMetrics().limitHits.maxConnectionsPerUser).toBe(1);
    await mock.shutdown();
  });

  it('validates agent events and refuses calls after shutdown, like the real manager', async () => {
    const mock = new MockWebSocketManager();
    const broken = { ...started, payload: { type: 'RUN_STARTED', input: 'no ids' } } as unknown as AgentEvent;
    await expect(mock.emitAgentEvent(uid('dan'), broken)).rejects.toBeInstanceOf(InvalidAgentEventError);
    await mock.shutdown();
    await expect(mock.sendToUser(uid('dan'), note({}))).rejects.toBeInstanceOf(ManagerShutdownError);
    expect(mock.getConnectionCount()).toBe(0);
  });
});
