import type {
  AgentEvent,
  AgentEventSink,
  AgentEventSinkOptions,
  AppendFailures,
  ConnectionRegistration,
  ConnectionTransport,
  JoinRoomOptions,
  OutboundMessage,
  ResumeResult,
  SendResult,
  WebSocketManagerProtocol,
} from '@agentwirejs/protocols';
import type { ConnectionId, ConnectionInfo, ConnectionInfoJson, UserExecutionContext, UserId, WebSocketManagerMode } from '@agentwirejs/types';
import { WebSocketManagerFactory } from './factory';
import { InMemoryBackplane } from './in-memory-backplane';
import type { WebSocketManagerOptions } from './options';
import type { UnifiedManagerStats } from './stats';
import type { UnifiedWebSocketManager } from './unified-manager';

/** One call of the mock that sent something. */
export interface RecordedSend {
  readonly method: 'sendToUser' | 'sendToConnection' | 'emitAgentEvent' | 'emitAgentEvents' | 'broadcast' | 'broadcastToRoom';
  /** The user, connection or room addressed; null for broadcast. */
  readonly target: string | null;
  readonly message: OutboundMessage;
  /**
   * The stream position taken (sendToUser, emitAgentEvent); null otherwise, and for the events of
   * a batch (emitAgentEvents: each sent event is recorded on its own, but a batch reports no positions).
   */
  readonly seq: number | null;
}

/** The manager's own options (heartbeat and idle timers off unless given), and a user to bind the mock to. */
export interface MockWebSocketManagerOptions extends Omit<WebSocketManagerOptions, 'backplane'> {
  /** Bind the mock to this user (isolated mode), as WebSocketManagerFactory.createManager does. */
  readonly userContext?: UserExecutionContext;
}

/**
 * A WebSocketManagerProtocol for tests of code that uses a manager: the real manager
 * (UnifiedWebSocketManager of its own WebSocketManagerFactory, over an in-memory backplane, with
 * no heartbeat or idle timers), so it behaves exactly as the real one and cannot drift from it,
 * plus a record of every send (`sent`), broadcast (`broadcasts`) and connection
 * (`connectionLog`). Give it transports that record what they are sent (RecordingTransport from
 * @agentwirejs/protocols/testing). Bound to a user (options.userContext) it is a user-bound
 * manager, isolation included.
 */
export class MockWebSocketManager implements WebSocketManagerProtocol {
  /** Every send that was accepted, in call order. */
  readonly sent: RecordedSend[] = [];
  /** The accepted broadcast and broadcastToRoom calls, in call order. */
  readonly broadcasts: RecordedSend[] = [];
  /** Every connection ever added, in order (removed ones included). */
  readonly connectionLog: ConnectionInfo[] = [];
  /** The factory behind the mock, for what the protocol does not cover (metrics, heartbeat rounds). */
  readonly factory: WebSocketManagerFactory;
  private readonly manager: UnifiedWebSocketManager;
  private readonly backplane: InMemoryBackplane;

  constructor(options: MockWebSocketManagerOptions = {}) {
    const { userContext, ...managerOptions } = options;
    this.backplane = new InMemoryBackplane({ maxEvents: options.replayMaxEvents, maxAgeMs: options.replayMaxAgeMs, sweepIntervalMs: 0 });
    this.factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, idleSweepIntervalMs: 0, disposeWhenEmpty: false, ...managerOptions, backplane: this.backplane });
    this.manager = userContext === undefined ? this.factory.getUnifiedManager() : this.factory.createManager(userContext);
  }

  get mode(): WebSocketManagerMode {
    return this.manager.mode;
  }

  async addConnection(transport: ConnectionTransport, registration: ConnectionRegistration): Promise<ConnectionInfo> {
    const info = await this.manager.addConnection(transport, registration);
    this.connectionLog.push(info);
    return info;
  }

  removeConnection(connectionId: ConnectionId, closeCode?: number): Promise<boolean> {
    return this.manager.removeConnection(connectionId, closeCode);
  }

  getConnection(connectionId: ConnectionId): ConnectionInfo | null {
    return this.manager.getConnection(connectionId);
  }

  getUserConnections(userId: UserId): ConnectionInfo[] {
    return this.manager.getUserConnections(userId);
  }

  isUserConnected(userId: UserId): boolean {
    return this.manager.isUserConnected(userId);
  }

  waitForConnection(userId: UserId, timeoutMs: number): Promise<boolean> {
    return this.manager.waitForConnection(userId, timeoutMs);
  }

  async sendToUser(userId: UserId, message: OutboundMessage): Promise<SendResult> {
    const result = await this.manager.sendToUser(userId, message);
    this.sent.push({ method: 'sendToUser', target: userId, message, seq: result.seq });
    return result;
  }

  async sendToConnection(connectionId: ConnectionId, message: OutboundMessage): Promise<boolean> {
    const written = await this.manager.sendToConnection(connectionId, message);
    if (written) this.sent.push({ method: 'sendToConnection', target: connectionId, message, seq: null });
    return written;
  }

  async emitAgentEvent(userId: UserId, event: AgentEvent): Promise<SendResult> {
    const result = await this.manager.emitAgentEvent(userId, event);
    this.sent.push({ method: 'emitAgentEvent', target: userId, message: event, seq: result.seq });
    return result;
  }

  /** The manager's emitAgentEvents; each event it sent is recorded (seq null: a batch reports no positions). */
  async emitAgentEvents(userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures> {
    const failures = await this.manager.emitAgentEvents(userId, events);
    this.recordBatch(userId, events, failures);
    return failures;
  }

  /** The manager's sink for `userId`'s agent events (another user's event is refused and counted); its events are recorded. */
  forUser(userId: UserId, options?: AgentEventSinkOptions): AgentEventSink {
    const sink = this.manager.forUser(userId, options);
    return {
      emitAgentEvent: async (target, event) => {
        const result = await sink.emitAgentEvent(target, event);
        this.sent.push({ method: 'emitAgentEvent', target, message: event, seq: result.seq });
        return result;
      },
      emitAgentEvents: async (target, events) => {
        const failures = await sink.emitAgentEvents(target, events);
        this.recordBatch(target, events, failures);
        return failures;
      },
    };
  }

  private recordBatch(target: UserId, events: readonly AgentEvent[], failures: AppendFailures): void {
    events.forEach((event, index) => {
      if (failures?.[index] === undefined) this.sent.push({ method: 'emitAgentEvents', target, message: event, seq: null });
    });
  }

  async broadcast(message: OutboundMessage): Promise<number> {
    const users = await this.manager.broadcast(message);
    this.record({ method: 'broadcast', target: null, message, seq: null });
    return users;
  }

  joinRoom(connectionId: ConnectionId, room: string, options?: JoinRoomOptions): Promise<void> {
    return this.manager.joinRoom(connectionId, room, options);
  }

  leaveRoom(connectionId: ConnectionId, room: string): Promise<void> {
    return this.manager.leaveRoom(connectionId, room);
  }

  async broadcastToRoom(room: string, message: OutboundMessage): Promise<number> {
    const users = await this.manager.broadcastToRoom(room, message);
    this.record({ method: 'broadcastToRoom', target: room, message, seq: null });
    return users;
  }

  resume(connectionId: ConnectionId, afterSeq: number): Promise<ResumeResult> {
    return this.manager.resume(connectionId, afterSeq);
  }

  getConnectionCount(): number {
    return this.manager.getConnectionCount();
  }

  getConnectionInfo(connectionId: ConnectionId): ConnectionInfoJson | null {
    return this.manager.getConnectionInfo(connectionId);
  }

  getStats(): UnifiedManagerStats {
    return this.manager.getStats();
  }

  /** Closes every transport with 1001 and refuses later calls; calling it again does nothing. */
  async shutdown(): Promise<void> {
    await this.factory.shutdown();
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

  private record(send: RecordedSend): void {
    this.sent.push(send);
    this.broadcasts.push(send);
  }
}
