import { type AgentEvent, type AgentEventSink, CloseCode, type ConnectionRegistration, type ConnectionTransport, type ManagerStats, type OutboundMessage, type ResumeResult, type SendResult, type StreamEntry, type Unsubscribe, type WebSocketManagerProtocol, DEFAULT_WIRE_PROTOCOL, validateAgentEvent } from '@agentwirejs/protocols';
import { InMemoryBackplane } from './in-memory-backplane';
import {
  type ConnectionId,
  ConnectionInfo,
  type ConnectionInfoJson,
  type UserExecutionContext,
  type UserId,
  WebSocketManagerMode,
  generateConnectionId,
} from '@agentwirejs/types';
import { DuplicateConnectionError, InvalidAgentEventError, ManagerShutdownError, TransportNotOpenError, UnknownConnectionError } from './errors';
import { IsolationGuard } from './isolation';
import { type ReplayConnection, type ReplaySink, checkResumePosition, checkWireProtocol, holdEntry, openStream, replayTo } from './replay';
import { type RoomMember, RoomMemberships, checkRoomName } from './rooms';
import { rendererFor } from './v1-translation';

/** One call of the mock that sent something. */
export interface RecordedSend {
  readonly method: 'sendToUser' | 'sendToConnection' | 'emitAgentEvent' | 'broadcast' | 'broadcastToRoom';
  /** The user, connection or room addressed; null for broadcast. */
  readonly target: string | null;
  readonly message: OutboundMessage;
  /** The stream position taken (sendToUser, emitAgentEvent); null otherwise. */
  readonly seq: number | null;
}

export interface MockWebSocketManagerOptions {
  /** Bind the mock to this user (isolated mode), as WebSocketManagerFactory.createManager does. */
  readonly userContext?: UserExecutionContext;
  /** Envelopes kept per user for replay (default 1,000). */
  readonly replayMaxEvents?: number;
  /** How long envelopes are kept for replay (default 5 minutes). */
  readonly replayMaxAgeMs?: number;
}

interface MockConnection extends ReplayConnection, RoomMember {
  readonly info: ConnectionInfo;
  readonly transport: ConnectionTransport;
  closed: boolean;
  readonly onManagerClose: ((this: ConnectionTransport, code: number, reason: string) => void) | undefined;
}

/**
 * A WebSocketManagerProtocol for tests of code that uses a manager: no sockets, timers or
 * back-pressure, writes frames straight to the transports it is given (RecordingTransport from
 * @agentwirejs/protocols/testing fits), and records every send (`sent`), broadcast
 * (`broadcasts`) and connection (`connectionLog`). It behaves per the contract (per-user
 * sequence, each connection's wire protocol with v1 translation, compacted replay with
 * replay_gap, AG-UI validation of run events, rooms, isolation when bound to a user, shutdown)
 * and passes the same conformance suite as UnifiedWebSocketManager.
 */
export class MockWebSocketManager implements WebSocketManagerProtocol {
  readonly mode: WebSocketManagerMode;
  /** Every send, in call order. */
  readonly sent: RecordedSend[] = [];
  /** The broadcast and broadcastToRoom calls, in call order. */
  readonly broadcasts: RecordedSend[] = [];
  /** Every connection ever added, in order (removed ones included). */
  readonly connectionLog: ConnectionInfo[] = [];
  private readonly backplane: InMemoryBackplane;
  private readonly rooms: RoomMemberships;
  private readonly guard: IsolationGuard;
  private readonly connections = new Map<ConnectionId, MockConnection>();
  private readonly byUser = new Map<UserId, MockConnection[]>();
  private readonly subscriptions = new Map<UserId, Promise<Unsubscribe>>();
  private readonly waiters = new Set<{ readonly userId: UserId; readonly settle: (connected: boolean) => void }>();
  private readonly replaySink: ReplaySink<MockConnection>;
  private framesSent = 0;
  private violations = 0;
  private shutDown = false;

  constructor(options: MockWebSocketManagerOptions = {}) {
    this.mode = options.userContext === undefined ? WebSocketManagerMode.Unified : WebSocketManagerMode.Isolated;
    this.guard = new IsolationGuard(options.userContext?.userId ?? null, this);
    this.backplane = new InMemoryBackplane({ maxEvents: options.replayMaxEvents, maxAgeMs: options.replayMaxAgeMs, sweepIntervalMs: 0 });
    this.rooms = new RoomMemberships(this.backplane, () => undefined);
    this.replaySink = {
      readStream: (userId, afterSeq) => this.backplane.readStream(userId, afterSeq),
      position: (userId) => this.backplane.position(userId),
      writeNotice: (connection, message) => this.write(connection, connection.renderer.notice(message, connection.userId, now())),
      writeFrame: (connection, json, seq) => this.write(connection, json, seq),
      discardQueued: () => undefined,
    };
  }

  /** Registers a connection: connection_established, the replay after registration.afterSeq if given, then live messages. */
  async addConnection(transport: ConnectionTransport, registration: ConnectionRegistration): Promise<ConnectionInfo> {
    this.assertOpen();
    this.guard.user('addConnection', registration.userId);
    if (registration.afterSeq !== undefined) checkResumePosition(registration.afterSeq);
    checkWireProtocol(registration.protocol);
    if (transport.readyState !== 1) throw new TransportNotOpenError(transport.readyState);
    const info = new ConnectionInfo(registration.connectionId ?? generateConnectionId(), registration.userId, registration.metadata);
    if (this.connections.has(info.connectionId)) throw new DuplicateConnectionError(info.connectionId);
    if (registration.threadId !== undefined) info.setThread(registration.threadId);
    info.markConnected();
    const connection: MockConnection = {
      info,
      transport,
      userId: registration.userId,
      renderer: rendererFor(registration.protocol ?? DEFAULT_WIRE_PROTOCOL),
      closed: false,
      pending: [],
      pendingOverflow: false,
      resuming: null,
      lastSeq: 0,
      rooms: null,
      onManagerClose: registration.onManagerClose,
    };
    this.connections.set(info.connectionId, connection);
    const mine = this.byUser.get(connection.userId) ?? [];
    mine.push(connection);
    this.byUser.set(connection.userId, mine);
    this.connectionLog.push(info);
    transport.on?.('close', () => this.detach(connection, null));
    if (!this.subscriptions.has(connection.userId)) {
      this.subscriptions.set(connection.userId, this.backplane.subscribeUser(connection.userId, (entry) => this.deliver(entry)));
    }
    for (const waiter of this.waiters) if (waiter.userId === connection.userId) waiter.settle(true);
    await this.subscriptions.get(connection.userId);
    await openStream(connection, registration.afterSeq, this.replaySink, registration.afterEpoch);
    return info;
  }

  async removeConnection(connectionId: ConnectionId, closeCode?: number): Promise<boolean> {
    this.assertOpen();
    const connection = this.find('removeConnection', connectionId);
    if (connection === null) return false;
    this.detach(connection, closeCode ?? CloseCode.Normal);
    return true;
  }

  getConnection(connectionId: ConnectionId): ConnectionInfo | null {
    this.assertOpen();
    return this.find('getConnection', connectionId)?.info ?? null;
  }

  getUserConnections(userId: UserId): ConnectionInfo[] {
    this.assertOpen();
    this.guard.user('getUserConnections', userId);
    return (this.byUser.get(userId) ?? []).map((connection) => connection.info);
  }

  isUserConnected(userId: UserId): boolean {
    this.assertOpen();
    this.guard.user('isUserConnected', userId);
    return this.byUser.has(userId);
  }

  async waitForConnection(userId: UserId, timeoutMs: number): Promise<boolean> {
    this.assertOpen();
    this.guard.user('waitForConnection', userId);
    if (this.byUser.has(userId)) return true;
    return new Promise<boolean>((resolve) => {
      const waiter = {
        userId,
        settle: (connected: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(connected);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), Math.min(Math.max(0, timeoutMs), 2_147_483_647));
      this.waiters.add(waiter);
    });
  }

  async sendToUser(userId: UserId, message: OutboundMessage): Promise<SendResult> {
    this.assertOpen();
    this.guard.user('sendToUser', userId);
    return this.append('sendToUser', userId, message);
  }

  async sendToConnection(connectionId: ConnectionId, message: OutboundMessage): Promise<boolean> {
    this.assertOpen();
    const connection = this.find('sendToConnection', connectionId);
    if (connection === null || connection.closed) return false;
    this.sent.push({ method: 'sendToConnection', target: connectionId, message, seq: null });
    return this.write(connection, connection.renderer.notice(message, connection.userId, now()));
  }

  async emitAgentEvent(userId: UserId, event: AgentEvent): Promise<SendResult> {
    this.assertOpen();
    this.guard.user('emitAgentEvent', userId);
    const problem = validateAgentEvent(event);
    if (problem !== null) throw new InvalidAgentEventError(problem);
    return this.append('emitAgentEvent', userId, event);
  }

  /** A sink for `userId`'s agent events only, as UnifiedWebSocketManager.forUser: another user's event is refused and counted. */
  forUser(userId: UserId): AgentEventSink {
    this.guard.user('forUser', userId);
    const guard = new IsolationGuard(userId, this);
    return {
      emitAgentEvent: async (target, event) => {
        guard.user('emitAgentEvent', target);
        return this.emitAgentEvent(target, event);
      },
    };
  }

  async broadcast(message: OutboundMessage): Promise<number> {
    this.assertOpen();
    this.guard.processWide('broadcast');
    this.record({ method: 'broadcast', target: null, message, seq: null });
    return this.backplane.appendToAll(message);
  }

  async joinRoom(connectionId: ConnectionId, room: string): Promise<void> {
    this.assertOpen();
    checkRoomName(room);
    const connection = this.find('joinRoom', connectionId);
    if (connection === null) throw new UnknownConnectionError(connectionId);
    await this.rooms.join(connection, room);
  }

  async leaveRoom(connectionId: ConnectionId, room: string): Promise<void> {
    this.assertOpen();
    checkRoomName(room);
    const connection = this.find('leaveRoom', connectionId);
    if (connection !== null) await this.rooms.leave(connection, room);
  }

  async broadcastToRoom(room: string, message: OutboundMessage): Promise<number> {
    this.assertOpen();
    this.guard.processWide('broadcastToRoom');
    checkRoomName(room);
    this.record({ method: 'broadcastToRoom', target: room, message, seq: null });
    return this.backplane.appendToRoom(room, message);
  }

  async resume(connectionId: ConnectionId, afterSeq: number): Promise<ResumeResult> {
    this.assertOpen();
    checkResumePosition(afterSeq);
    const connection = this.find('resume', connectionId);
    if (connection === null) throw new UnknownConnectionError(connectionId);
    return replayTo(connection, afterSeq, this.replaySink);
  }

  getConnectionCount(): number {
    return this.connections.size;
  }

  getConnectionInfo(connectionId: ConnectionId): ConnectionInfoJson | null {
    this.assertOpen();
    return this.find('getConnectionInfo', connectionId)?.info.toJSON() ?? null;
  }

  getStats(): ManagerStats {
    return {
      mode: this.mode,
      connections: this.connections.size,
      users: this.byUser.size,
      rooms: this.rooms.size,
      messagesSent: this.framesSent,
      messagesDropped: 0,
      isolationViolations: this.violations,
    };
  }

  /** Closes every transport with 1001 and refuses later calls; calling it again does nothing. */
  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    for (const connection of [...this.connections.values()]) this.detach(connection, CloseCode.GoingAway);
    for (const waiter of [...this.waiters]) waiter.settle(false);
    await this.backplane.close();
  }

  /** The recorded sends addressed to one user, connection or room. */
  sentTo(target: string): RecordedSend[] {
    return this.sent.filter((send) => send.target === target);
  }

  /** Forgets the recorded sends, broadcasts and connection log (state and streams stay). */
  clearRecords(): void {
    this.sent.length = 0;
    this.broadcasts.length = 0;
    this.connectionLog.length = 0;
  }

  /** @internal The isolation guard reports a refused breach here. */
  isolationViolated(): void {
    this.violations += 1;
  }

  private async append(method: 'sendToUser' | 'emitAgentEvent', userId: UserId, message: OutboundMessage): Promise<SendResult> {
    const entry = await this.backplane.appendToUser(userId, message);
    this.sent.push({ method, target: userId, message, seq: entry.seq });
    return { seq: entry.seq, connections: this.byUser.get(userId)?.length ?? 0 };
  }

  private record(send: RecordedSend): void {
    this.sent.push(send);
    this.broadcasts.push(send);
  }

  private deliver(entry: StreamEntry): void {
    for (const connection of this.byUser.get(entry.userId) ?? []) {
      if (connection.pending !== null) holdEntry(connection, entry, Number.MAX_SAFE_INTEGER);
      else if (entry.seq > connection.lastSeq) this.write(connection, connection.renderer.entry(entry), entry.seq);
    }
  }

  private write(connection: MockConnection, json: string, seq: number | null = null): boolean {
    if (connection.closed || connection.transport.readyState !== 1) return false;
    connection.transport.send(json);
    if (seq !== null) connection.lastSeq = seq;
    connection.info.recordMessage();
    this.framesSent += 1;
    return true;
  }

  private detach(connection: MockConnection, closeCode: number | null): void {
    if (connection.closed) return;
    connection.closed = true;
    this.connections.delete(connection.info.connectionId);
    const mine = (this.byUser.get(connection.userId) ?? []).filter((other) => other !== connection);
    if (mine.length > 0) this.byUser.set(connection.userId, mine);
    else {
      this.byUser.delete(connection.userId);
      void this.subscriptions.get(connection.userId)?.then((unsubscribe) => unsubscribe());
      this.subscriptions.delete(connection.userId);
    }
    this.rooms.leaveAll(connection);
    connection.info.disconnect();
    if (closeCode !== null) {
      connection.onManagerClose?.call(connection.transport, closeCode, 'removed');
      connection.transport.close(closeCode, 'removed');
    }
  }

  private find(operation: string, connectionId: ConnectionId): MockConnection | null {
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return null;
    this.guard.user(operation, connection.userId);
    return connection;
  }

  private assertOpen(): void {
    if (this.shutDown) throw new ManagerShutdownError('shutdown');
  }
}

function now(): string {
  return new Date().toISOString();
}
