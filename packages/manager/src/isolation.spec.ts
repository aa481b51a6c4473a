import { type AgentEvent, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';
import { RecordingTransport, waitForCount } from '@agentwirejs/protocols/testing';
import { type ConnectionId, InvalidContextError, InvalidIdError, type UserId } from '@agentwirejs/types';
import { IsolationViolationError, LimitExceededError, ManagerShutdownError } from './errors';
import { WebSocketManagerFactory } from './factory';
import type { UnifiedWebSocketManager } from './unified-manager';
import { type Rig, V2, contextFor, note, smallRun, startRig } from './ws-rig.test-helpers';

// The isolation cases of the legacy factory security suite (LEGACY-SYSTEM.md §3.2), as real
// assertions: factory limit 10 in the fixture, 20 user contexts.
const USERS = Array.from({ length: 20 }, (_, i) => `user${i + 1}`);
const uid = (name: string) => name as UserId;

/** Runs an operation that must be refused with `code`; a failure names the operation. */
async function expectRefusal(name: string, operation: () => unknown, code: string): Promise<void> {
  const outcome = await Promise.resolve()
    .then(operation)
    .then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    );
  expect([name, outcome]).toEqual([name, code]);
}

/** Every operation of a manager that touches `userId` or its connection `connectionId`, by name. */
function everyOperation(manager: UnifiedWebSocketManager, connectionId: ConnectionId, userId: UserId): [string, () => unknown][] {
  return [
    ['addConnection', () => manager.addConnection(new RecordingTransport(), { userId })],
    ['removeConnection', () => manager.removeConnection(connectionId)],
    ['getConnection', () => manager.getConnection(connectionId)],
    ['getUserConnections', () => manager.getUserConnections(userId)],
    ['isUserConnected', () => manager.isUserConnected(userId)],
    ['waitForConnection', () => manager.waitForConnection(userId, 10)],
    ['sendToUser', () => manager.sendToUser(userId, note({}))],
    ['sendToConnection', () => manager.sendToConnection(connectionId, note({}))],
    ['emitAgentEvent', () => manager.emitAgentEvent(userId, runOf('run-x')[0] as AgentEvent)],
    ['emitAgentEvents', () => manager.emitAgentEvents(userId, runOf('run-x'))],
    ['broadcast', () => manager.broadcast(note({}))],
    ['joinRoom', () => manager.joinRoom(connectionId, 'team')],
    ['leaveRoom', () => manager.leaveRoom(connectionId, 'team')],
    ['broadcastToRoom', () => manager.broadcastToRoom('team', note({}))],
    ['resume', () => manager.resume(connectionId, 0)],
    ['getConnectionInfo', () => manager.getConnectionInfo(connectionId)],
    ['getLastSeq', () => manager.getLastSeq(userId)],
    ['recordActivity', () => manager.recordActivity(connectionId)],
    ['getSendQueue', () => manager.getSendQueue(connectionId)],
  ];
}

/** A run of 6 AG-UI events. */
function runOf(runId: string): AgentEvent[] {
  return smallRun(runId);
}

describe('user isolation (the legacy factory security cases)', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig({ maxManagersPerUser: 10 });
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it("gives different users distinct managers that share no connection collections: each sees only its own user's connections", async () => {
    const managers = USERS.map((user) => rig.factory.createManager(contextFor(user)));
    expect(new Set(managers).size).toBe(20);
    const alice = managers[0] as UnifiedWebSocketManager;
    const bob = managers[1] as UnifiedWebSocketManager;
    const a = await rig.connect(alice, 'user1');
    await rig.connect(bob, 'user2');
    const seen = alice.getUserConnections(uid('user1'));
    expect(seen.map((info) => info.connectionId)).toEqual([a.connectionId]);
    seen.length = 0;
    expect(alice.getUserConnections(uid('user1'))).toHaveLength(1);
    expect(alice.getUserConnections(uid('user1'))).not.toBe(alice.getUserConnections(uid('user1')));
    expect([alice.getConnectionCount(), bob.getConnectionCount(), managers[2]?.getConnectionCount()]).toEqual([1, 1, 0]);
    expect(() => alice.getUserConnections(uid('user2'))).toThrow(IsolationViolationError);
    expect(alice.boundUserId).toBe('user1');
    expect(bob.boundUserId).toBe('user2');
  });

  it("refuses a hijack (user B's connection added to A's manager) and leaves A unchanged", async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    const { socket, client } = await rig.server.open();
    await expect(alice.addConnection(socket, { userId: uid('user2') })).rejects.toThrow(IsolationViolationError);
    expect(alice.getConnectionCount()).toBe(0);
    expect(rig.unified.getConnectionCount()).toBe(0);
    expect(rig.unified.isUserConnected(uid('user2'))).toBe(false);
    expect(alice.getStats().isolationViolations).toBe(1);
    expect(rig.factory.getMetrics().isolationViolations).toBe(1);
    expect(client.messages).toEqual([]);
  });

  it("delivers a message for A to A's socket only: exactly one send, tagged with A", async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    const bob = rig.factory.createManager(contextFor('user2'));
    const a = await rig.connect(alice, 'user1');
    const b = await rig.connect(bob, 'user2');
    const sendA = jest.spyOn(a.socket, 'send');
    const sendB = jest.spyOn(b.socket, 'send');
    await alice.sendToUser(uid('user1'), note({ secret: 'for alice' }));
    await expectRefusal('sendToUser', () => alice.sendToUser(uid('user2'), note({ secret: 'for bob' })), 'ISOLATION_VIOLATION');
    const [message] = await a.client.waitForStream(1);
    expect(sendA).toHaveBeenCalledTimes(1);
    expect(sendB).not.toHaveBeenCalled();
    expect(message).toMatchObject({ user_id: 'user1', seq: 1, payload: { secret: 'for alice' } });
    expect(b.client.stream()).toEqual([]);
  });

  it("gives the agent-event path a sink bound to one user: A's events reach A; an event for B through A's sink is refused, counted, and B's stream stays empty", async () => {
    const a = await rig.connect(rig.unified, 'user1');
    const b = await rig.connect(rig.unified, 'user2');
    const alicesSink = rig.unified.forUser(uid('user1'));
    const [started] = runOf('run-a');
    await alicesSink.emitAgentEvent(uid('user1'), started as AgentEvent);
    await expectRefusal('emitAgentEvent for another user', () => alicesSink.emitAgentEvent(uid('user2'), started as AgentEvent), 'ISOLATION_VIOLATION');
    await a.client.waitForStream(1);
    expect(a.client.stream().map((message) => message.user_id)).toEqual(['user1']);
    expect(b.client.stream()).toEqual([]);
    expect(rig.unified.getStats().isolationViolations).toBe(1);
    expect(rig.factory.getMetrics().isolationViolations).toBe(1);
    // a manager bound to A gives no sink for B at all
    const alicesManager = rig.factory.createManager(contextFor('user1'));
    expect(() => alicesManager.forUser(uid('user2'))).toThrow(IsolationViolationError);
    expect(() => alicesManager.forUser(uid('user1'))).not.toThrow();
  });

  it('checks what a bound sink emits unless its caller checks its events itself (eventsChecked: the execution tracker); isolation holds either way', async () => {
    const a = await rig.connect(rig.unified, 'user1');
    const [started] = runOf('run-c');
    const unchecked = { ...started, payload: { type: 'RUN_STARTED', input: 'no ids' } } as unknown as AgentEvent;
    await expectRefusal('emitAgentEvent', () => rig.unified.emitAgentEvent(uid('user1'), unchecked), 'INVALID_AGENT_EVENT');
    await expectRefusal('a bound sink', () => rig.unified.forUser(uid('user1')).emitAgentEvent(uid('user1'), unchecked), 'INVALID_AGENT_EVENT');
    const vouched = rig.unified.forUser(uid('user1'), { eventsChecked: true });
    // not validated again: the caller answers for it (the tracker's specs check every event it builds)
    await expect(vouched.emitAgentEvent(uid('user1'), unchecked)).resolves.toEqual({ seq: 1, connections: 1 });
    await expectRefusal('another user through a checked sink', () => vouched.emitAgentEvent(uid('user2'), started as AgentEvent), 'ISOLATION_VIOLATION');
    const [message] = await a.client.waitForStream(1);
    expect(message).toMatchObject({ type: 'RUN_STARTED', user_id: 'user1', seq: 1, payload: { input: 'no ids' } });
    expect(rig.unified.getStats().isolationViolations).toBe(1);
  });

  it('creates 10 distinct managers from 10 concurrent creations (created = active = 10)', async () => {
    const managers = await Promise.all(USERS.slice(0, 10).map(async (user) => rig.factory.createManager(contextFor(user))));
    expect(new Set(managers).size).toBe(10);
    expect(new Set(managers.map((manager) => manager.id)).size).toBe(10);
    expect(rig.factory.getMetrics()).toMatchObject({ managersCreated: 10, managersActive: 10, usersWithManagers: 10 });
  });

  it('keeps concurrent sends of 20 users on their own sockets, each tagged with its user', async () => {
    const connections = await Promise.all(USERS.map(async (user) => ({ user, manager: rig.factory.createManager(contextFor(user)) })));
    const opened = await Promise.all(connections.map(({ user, manager }) => rig.connect(manager, user)));
    await Promise.all(connections.flatMap(({ user, manager }) => [1, 2, 3].map((i) => manager.sendToUser(uid(user), note({ owner: user, i })))));
    for (const { client, userId } of opened) {
      const stream = await client.waitForStream(3);
      expect(stream.every((message) => message.user_id === userId && message.payload['owner'] === userId)).toBe(true);
    }
  });

  it('registers 5 concurrent addConnection calls and keeps the maps consistent', async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    const pairs = await Promise.all(Array.from({ length: 5 }, () => rig.server.open()));
    const infos = await Promise.all(pairs.map(({ socket }) => alice.addConnection(socket, { userId: uid('user1') })));
    const ids = infos.map((info) => info.connectionId);
    expect(new Set(ids).size).toBe(5);
    expect(alice.getConnectionCount()).toBe(5);
    expect(alice.getUserConnections(uid('user1')).map((info) => info.connectionId).sort()).toEqual([...ids].sort());
    expect(rig.unified.getConnectionCount()).toBe(5);
    expect(rig.unified.getStats()).toMatchObject({ connections: 5, users: 1 });
    for (const id of ids) expect(alice.getConnection(id)?.userId).toBe('user1');
  });

  it('empties and deactivates a destroyed manager: its sockets close, every call is refused', async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    const a1 = await rig.connect(alice, 'user1');
    const a2 = await rig.connect(alice, 'user1');
    await rig.factory.disposeManager(alice);
    expect(await a1.client.waitForClose()).toBe(1000);
    expect(await a2.client.waitForClose()).toBe(1000);
    expect(alice.isActive).toBe(false);
    expect(alice.getConnectionCount()).toBe(0);
    expect(rig.unified.isUserConnected(uid('user1'))).toBe(false);
    expect(rig.factory.getMetrics()).toMatchObject({ managersActive: 0, managersDisposed: 1, managersDisposedBy: { disposed: 1 } });
    await expect(alice.sendToUser(uid('user1'), note({}))).rejects.toBeInstanceOf(ManagerShutdownError);
  });

  it('refuses a 4th manager at a limit of 3 with "reached the maximum number"; after one cleanup a creation succeeds and the count stays 3', async () => {
    const factory = new WebSocketManagerFactory({ maxManagersPerUser: 3, heartbeatIntervalMs: 0 });
    const managers = [1, 2, 3].map(() => factory.createManager(contextFor('user1')));
    let refusal: unknown;
    try {
      factory.createManager(contextFor('user1'));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(LimitExceededError);
    expect(refusal).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxManagersPerUser', max: 3, userId: 'user1' });
    expect((refusal as Error).message).toMatch(/reached the maximum number of WebSocket managers \(3/);
    expect(factory.createManager(contextFor('user2')).boundUserId).toBe('user2');
    await factory.disposeManager(managers[0] as UnifiedWebSocketManager);
    factory.createManager(contextFor('user1'));
    expect(factory.getManagers(uid('user1'))).toHaveLength(3);
    expect(factory.getMetrics()).toMatchObject({ limitHits: { maxManagersPerUser: 1 }, managersCreated: 5, managersActive: 4 });
    await factory.shutdown();
  });

  it('grows memory by less than 50 MB over batches of create/connect/destroy, and managersActive returns to 0', async () => {
    const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, maxManagersPerUser: 200 });
    const before = process.memoryUsage().heapUsed;
    for (let batch = 0; batch < 10; batch += 1) {
      const managers = Array.from({ length: 200 }, (_, i) => factory.createManager(contextFor(`user${i % 20}`)));
      await Promise.all(managers.map((manager, i) => manager.addConnection(new RecordingTransport(), { userId: uid(`user${i % 20}`) })));
      expect(factory.getMetrics().connections).toBe(200);
      await Promise.all(managers.map((manager) => factory.disposeManager(manager)));
    }
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(50 * 1024 * 1024);
    expect(factory.getMetrics()).toMatchObject({ managersCreated: 2000, managersActive: 0, usersWithManagers: 0, connections: 0, connectedUsers: 0 });
    await factory.shutdown();
  });

  it('delivers 50 messages per user under load without cross-contamination or reordering', async () => {
    const users = USERS.slice(0, 10);
    const opened = await Promise.all(
      users.map(async (user) => {
        const manager = rig.factory.createManager(contextFor(user));
        return { manager, ...(await rig.connect(manager, user)) };
      }),
    );
    await Promise.all(opened.map(({ manager, userId }) => Promise.all(Array.from({ length: 50 }, (_, i) => manager.sendToUser(userId, note({ owner: userId, i }))))));
    for (const { client, userId } of opened) {
      const stream = await client.waitForStream(50);
      expect(checkUserStream(client.messages, userId, { afterSeq: 0 })).toEqual({ ok: true, problems: [] });
      expect(stream.map((message) => message.payload['owner'])).toEqual(Array(50).fill(userId));
      expect(stream.map((message) => message.payload['i'])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
  });

  it('refuses anything that is not a UserExecutionContext', () => {
    const lookAlike = { userId: 'user1', threadId: 'thread-1', runId: 'run-1' };
    expect(() => rig.factory.createManager(lookAlike as never)).toThrow(InvalidContextError);
    expect(() => rig.factory.createManager(undefined as never)).toThrow(/createManager needs a UserExecutionContext instance/);
    expect(rig.factory.getMetrics().managersCreated).toBe(0);
  });

  it('rejects a malicious connection id and registers nothing', async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    for (const connectionId of ['../../etc/passwd', 'conn id', '<script>', '']) {
      await expect(alice.addConnection(new RecordingTransport(), { userId: uid('user1'), connectionId: connectionId as ConnectionId })).rejects.toThrow(InvalidIdError);
    }
    expect(rig.unified.getConnectionCount()).toBe(0);
  });

  it("refuses every way of reaching another user's connections, counts each refusal, and leaves that user untouched", async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    const bobManager = rig.factory.createManager(contextFor('user2'));
    await rig.connect(alice, 'user1');
    const bob = await rig.connect(bobManager, 'user2');
    const other = bob.connectionId;
    const b = uid('user2');
    const attempts = everyOperation(alice, other, b);
    for (const [name, attempt] of attempts) await expectRefusal(name, attempt, 'ISOLATION_VIOLATION');
    expect(alice.getStats().isolationViolations).toBe(attempts.length);
    expect(rig.factory.getMetrics().isolationViolations).toBe(attempts.length);
    expect(rig.unified.getStats().isolationViolations).toBe(attempts.length);
    expect(rig.unified.getConnection(other)?.userId).toBe('user2');
    expect(await rig.unified.getLastSeq(b)).toBe(0);
    expect(bob.client.messages.map((message) => message.type)).toEqual(['connection_established']);
  });

  it('refuses every operation of a deactivated manager with ManagerShutdownError', async () => {
    const alice = rig.factory.createManager(contextFor('user1'));
    const a = await rig.connect(alice, 'user1');
    await alice.dispose();
    const id = a.connectionId;
    const me = uid('user1');
    const operations = everyOperation(alice, id, me);
    for (const [name, operation] of operations) await expectRefusal(name, operation, 'MANAGER_SHUT_DOWN');
    await expect(alice.sendToUser(me, note({}))).rejects.toBeInstanceOf(ManagerShutdownError);
    expect(alice.getConnectionCount()).toBe(0);
    expect(alice.getStats()).toMatchObject({ active: false, connections: 0 });
    await expect(alice.shutdown()).resolves.toBeUndefined();
  });

  it('end to end: a run reaches only its user, across a disconnect and a resume', async () => {
    const aliceManager = rig.factory.createManager(contextFor('user1'));
    const bobManager = rig.factory.createManager(contextFor('user2'));
    const alice = await rig.connect(aliceManager, 'user1', V2);
    const bob = await rig.connect(bobManager, 'user2');
    const [first, second] = [runOf('run-a1'), runOf('run-a2')];
    // The execution tracker emits through the unified manager, for any user.
    for (const event of first) await rig.unified.emitAgentEvent(uid('user1'), event);
    const seen = await alice.client.waitForStream(6);
    alice.client.ws.close();
    await waitForCount(() => (aliceManager.isActive ? [] : [aliceManager]), 1, 5000, 'disposal');
    await expect(aliceManager.sendToUser(uid('user1'), note({}))).rejects.toBeInstanceOf(ManagerShutdownError);
    for (const event of second) await rig.unified.emitAgentEvent(uid('user1'), event);
    const lastSeen = seen[seen.length - 1]?.seq as number;
    const again = await rig.connect(rig.factory.createManager(contextFor('user1')), 'user1', { afterSeq: lastSeen, ...V2 });
    const rest = await again.client.waitForStream(6);
    expect(checkEventStreams([...seen, ...rest])).toEqual({ ok: true, problems: [], runs: 2 });
    expect(checkUserStream([...seen, ...rest], 'user1', { afterSeq: 0 }).ok).toBe(true);
    expect(again.client.messages[0]).toMatchObject({ type: 'connection_established', payload: { last_seq: 12 } });
    expect(bob.client.messages.map((message) => message.type)).toEqual(['connection_established']);
    expect(rig.factory.getMetrics().managersDisposedBy.empty).toBe(1);
  });
  // The legacy suite's 'isolation overhead at most 2x' case is a speed figure: tools/bench measures
  // a user-bound sendToUser beside the unified manager's emitAgentEvent (workload 1) instead.
});
