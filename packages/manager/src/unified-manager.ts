import {
  type AgentEvent,
  type AgentEventSink,
  type AgentEventSinkOptions,
  type AppendFailures,
  type Backplane,
  CloseCode,
  type ConnectionRegistration,
  type ConnectionTransport,
  type JoinRoomOptions,
  type OutboundMessage,
  type ResumeResult,
  type SendResult,
  type StreamEntry,
  type WebSocketManagerProtocol,
  validateAgentEvent,
  withAppendFailure,
} from '@agentwirejs/protocols';
import { type ConnectionId, type ConnectionInfo, type ConnectionInfoJson, type UserExecutionContext, type UserId, WebSocketManagerMode } from '@agentwirejs/types';
import type { ManagedConnection } from './connection';
import type { ConnectionRegistry } from './connection-registry';
import {
  type DisposeReason,
  FactoryOnlyError,
  InvalidAgentEventError,
  InvalidManagerArgumentError,
  type IsolationViolationError,
  ManagerShutdownError,
  UnknownConnectionError,
} from './errors';
import { IsolationGuard } from './isolation';
import { type UserAppends, UserEventSink } from './user-event-sink';
import { type OneOrMany, countOf, listOf, withItem, withoutItem } from './one-or-many';
import type { ResolvedManagerOptions } from './options';
import { checkResumePosition, checkWireProtocol } from './replay';
import { checkJoinRoomOptions, checkRoomName } from './rooms';
import { settleEach } from './settle-each';
import { DeliveryCounters, type SendQueueStats, type UnifiedManagerStats } from './stats';

/** Proof that a caller is WebSocketManagerFactory. Not exported from the package entry. */
export const FACTORY_ACCESS = Symbol('WebSocketManagerFactory');
/** The factory's handle to close a manager for a reason. Not exported from the package entry. */
export const kCloseManager = Symbol('closeManager');

/** What a manager needs from the factory that made it. */
export interface ManagerHost {
  readonly registry: ConnectionRegistry;
  readonly options: ResolvedManagerOptions;
  /** Counts a refused isolation breach process-wide. */
  violation(error: IsolationViolationError): void;
  /** The manager stopped (disposed, idle, empty or shut down). */
  managerClosed(manager: UnifiedWebSocketManager, reason: DisposeReason): void;
  /** Shuts the whole factory down (the unified manager's shutdown). */
  shutdown(): Promise<void>;
}

/**
 * The one WebSocket manager, over `ws` sockets (any ConnectionTransport). Created only by
 * WebSocketManagerFactory: `createManager(userContext)` gives a manager bound to one user
 * (isolated mode), `getUnifiedManager()` the process-wide one. Both are views on the factory's
 * connection registry: a user-bound manager sees and reaches only its user (every other user,
 * and every process-wide operation, is an IsolationViolationError) and owns the connections
 * added through it (they close when it is disposed).
 *
 * Delivery: every stream message goes through the Backplane, which sequences it per user,
 * keeps it for replay and serializes it once; the registry writes that one string to each of
 * the user's agentwire.v2 connections (a v1 connection gets run events translated,
 * v1-translation.ts), queueing behind slow sockets up to a bound (see backpressure.ts).
 */
// ConnectionOwner and IsolationViolationSink (./connection, ./isolation) are met structurally, not
// declared: their members are internal (stripped from the published types), and an `implements`
// clause naming members the .d.ts leaves out would not compile for an app.
export class UnifiedWebSocketManager implements WebSocketManagerProtocol {
  readonly mode: WebSocketManagerMode;
  /** Unique within its factory; for logs and metrics. */
  readonly id: string;
  /** The context a user-bound manager was created for; null for the unified manager. */
  readonly userContext: UserExecutionContext | null;
  /** Counters of the connections this manager owns. */
  readonly counters = new DeliveryCounters();
  /** Epoch ms of the last call, inbound message or delivery to one of its connections. */
  lastActivity: number;
  /** The connections added through this manager (usually one). */
  private owned: OneOrMany<ManagedConnection> = null;
  private readonly guard: IsolationGuard;
  private readonly host: ManagerHost;
  private closedBy: DisposeReason | null = null;

  /**
   * What the sinks of forUser append through, so a run's sink is one small object: made at the
   * first forUser, since a gateway holds a user-bound manager per connected user that never asks.
   */
  private userAppends: UserAppends | null = null;

  /** Not for direct use: WebSocketManagerFactory creates managers; `new` from anywhere else throws FactoryOnlyError. */
  constructor(access: symbol, host: ManagerHost, id: string, userContext: UserExecutionContext | null) {
    if (access !== FACTORY_ACCESS) throw new FactoryOnlyError();
    this.host = host;
    this.id = id;
    this.userContext = userContext;
    this.mode = userContext === null ? WebSocketManagerMode.Unified : WebSocketManagerMode.Isolated;
    this.lastActivity = host.options.clock.now();
    this.guard = new IsolationGuard(userContext?.userId ?? null, this);
  }

  /** The user a user-bound manager serves; null for the unified manager. */
  get boundUserId(): UserId | null {
    return this.guard.boundUserId;
  }

  /** False once shut down or disposed. */
  get isActive(): boolean {
    return this.closedBy === null;
  }

  /**
   * Registers a connection (of the bound user, for a user-bound manager) and opens its stream
   * in one step: connection_established {connection_id, protocol, last_seq, epoch} first, then the
   * replay after `registration.afterSeq` when given (compacted), then the user's live stream, all
   * in `registration.protocol` (default agentwire.v1: run events translated to v1 events).
   * Rejects with LimitExceededError, DuplicateConnectionError, TransportNotOpenError,
   * InvalidManagerArgumentError (afterSeq, protocol) or InvalidIdError; the caller then still
   * owns (and should close) the transport.
   */
  async addConnection(transport: ConnectionTransport, registration: ConnectionRegistration): Promise<ConnectionInfo> {
    this.assertActive();
    this.guard.user('addConnection', registration.userId);
    if (registration.afterSeq !== undefined) checkResumePosition(registration.afterSeq);
    checkWireProtocol(registration.protocol);
    return this.host.registry.add(this, transport, registration);
  }

  /** Unregisters a connection and closes it with `closeCode` (default 1000); false if unknown. */
  async removeConnection(connectionId: ConnectionId, closeCode?: number): Promise<boolean> {
    this.assertActive();
    const connection = this.find('removeConnection', connectionId);
    if (connection === null) return false;
    this.host.registry.detach(connection, closeCode ?? CloseCode.Normal, 'removed');
    return true;
  }

  /** The record of a connection, or null if unknown. */
  getConnection(connectionId: ConnectionId): ConnectionInfo | null {
    this.assertActive();
    return this.find('getConnection', connectionId)?.info ?? null;
  }

  /** The records of every open connection of a user in this process, whichever manager added them. */
  getUserConnections(userId: UserId): ConnectionInfo[] {
    this.assertActive();
    this.guard.user('getUserConnections', userId);
    return this.host.registry.users.get(userId)?.connections.map((connection) => connection.info) ?? [];
  }

  /**
   * Every user with an open connection in this process and how many, at most `limit` users
   * (default 1000); `total` counts them all. A user-bound manager sees only its own user.
   */
  getConnectedUsers(limit = 1000): { users: { userId: UserId; connections: number }[]; total: number } {
    this.assertActive();
    const bound = this.guard.boundUserId;
    const slots = this.host.registry.users;
    const users: { userId: UserId; connections: number }[] = [];
    if (bound !== null) {
      const connections = slots.get(bound)?.connections.length ?? 0;
      return connections === 0 || limit < 1 ? { users, total: connections === 0 ? 0 : 1 } : { users: [{ userId: bound, connections }], total: 1 };
    }
    for (const [userId, slot] of slots) {
      if (users.length >= limit) break;
      users.push({ userId, connections: slot.connections.length });
    }
    return { users, total: slots.size };
  }

  /** True while the user has at least one open connection in this process. */
  isUserConnected(userId: UserId): boolean {
    this.assertActive();
    this.guard.user('isUserConnected', userId);
    return this.host.registry.users.has(userId);
  }

  /** Resolves true as soon as the user has a connection, false after timeoutMs (or at shutdown). */
  async waitForConnection(userId: UserId, timeoutMs: number): Promise<boolean> {
    this.assertActive();
    this.guard.user('waitForConnection', userId);
    return this.host.registry.waitFor(userId, timeoutMs);
  }

  /** Appends a message to the user's stream (next seq); it reaches all of the user's connections, or is kept for replay. */
  sendToUser(userId: UserId, message: OutboundMessage): Promise<SendResult> {
    return this.append('sendToUser', userId, message);
  }

  /** Sends a connection-scoped message (seq null, not replayed); false if unknown or closed. */
  async sendToConnection(connectionId: ConnectionId, message: OutboundMessage): Promise<boolean> {
    this.assertActive();
    const connection = this.find('sendToConnection', connectionId);
    if (connection === null) return false;
    this.touch();
    return this.host.registry.sendToConnection(connection, message);
  }

  /**
   * Validates a run event (an AG-UI event: validateAgentEvent, against EventSchemas of
   * @ag-ui/core; InvalidAgentEventError) and appends it to the user's stream.
   */
  emitAgentEvent(userId: UserId, event: AgentEvent): Promise<SendResult> {
    return this.append('emitAgentEvent', userId, event);
  }

  /**
   * emitAgentEvent for several events of one user, in order, with one promise for all
   * (AgentEventSink.emitAgentEvents): an invalid event is refused alone (InvalidAgentEventError in
   * its slot of the result) and the others are appended.
   */
  emitAgentEvents(userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures> {
    return this.appendBatch('emitAgentEvent', userId, events);
  }

  /**
   * A sink for the agent events of `userId` only (AgentEventSink.forUser): an event addressed to
   * anyone else is refused with IsolationViolationError and counted, whatever this manager's own
   * mode. The execution tracker emits every run's events through the one of its run's user, with
   * `eventsChecked` (it checks what it emits itself), so they are not validated a second time here.
   * Its calls are methods of the sink (UserEventSink): call them on it, or bind them.
   */
  forUser(userId: UserId, options?: AgentEventSinkOptions): AgentEventSink & Required<Pick<AgentEventSink, 'emitAgentEvents'>> {
    this.guard.user('forUser', userId);
    this.userAppends ??= {
      append: (operation, target, event) => this.append(operation, target, event),
      appendBatch: (operation, target, events) => this.appendBatch(operation, target, events),
    };
    return new UserEventSink(new IsolationGuard(userId, this), options?.eventsChecked === true ? 'emitCheckedAgentEvent' : 'emitAgentEvent', this.userAppends);
  }

  /** Appends a message to the stream of every user connected to any process (unified mode only). */
  async broadcast(message: OutboundMessage): Promise<number> {
    this.assertActive();
    this.guard.processWide('broadcast');
    return this.host.registry.backplane.appendToAll(message);
  }

  /**
   * Adds a connection to a room. By default (stream 'user') its user then receives the room's
   * messages in their own stream, on all of their connections. With stream 'room' the connection
   * receives the room's own stream: room_joined, what it missed after options.afterSeq, then
   * each message as one frame shared by every member (see JoinRoomOptions); it resolves once the
   * connection is live in the room. Joining a room the connection is in does nothing.
   */
  async joinRoom(connectionId: ConnectionId, room: string, options?: JoinRoomOptions): Promise<void> {
    this.assertActive();
    checkRoomName(room);
    checkJoinRoomOptions(options);
    const connection = this.find('joinRoom', connectionId);
    if (connection === null) throw new UnknownConnectionError(connectionId);
    this.touch();
    await this.host.registry.rooms.join(connection, room, options);
  }

  /** Removes a connection from a room; an unknown connection or room does nothing. */
  async leaveRoom(connectionId: ConnectionId, room: string): Promise<void> {
    this.assertActive();
    checkRoomName(room);
    const connection = this.find('leaveRoom', connectionId);
    if (connection === null) return;
    this.touch();
    await this.host.registry.rooms.leave(connection, room);
  }

  /**
   * Appends a message to the room's own stream (one frame for every connection joined with
   * stream 'room', on any process) and to the stream of every user joined with stream 'user',
   * serialized once (unified mode only); resolves with the number of those users.
   */
  async broadcastToRoom(room: string, message: OutboundMessage): Promise<number> {
    this.assertActive();
    this.guard.processWide('broadcastToRoom');
    checkRoomName(room);
    return this.host.registry.backplane.appendToRoom(room, message);
  }

  /**
   * Replays what a connection missed after `afterSeq`, in order, before anything new (a
   * replay_gap first when part was evicted), then delivers live entries with no loss and no
   * duplicate, even when new ones arrive during the replay. Bounded per connection: rejects
   * with ReplayLimitedError (nothing replayed, nothing lost) while another replay of the
   * connection runs or once its replay budget (options replayBurstBytes, replayBytesPerSecond)
   * is spent; the same resume succeeds later.
   */
  async resume(connectionId: ConnectionId, afterSeq: number): Promise<ResumeResult> {
    this.assertActive();
    checkResumePosition(afterSeq);
    const connection = this.find('resume', connectionId);
    if (connection === null) throw new UnknownConnectionError(connectionId);
    this.touch();
    return this.host.registry.resume(connection, afterSeq);
  }

  /** Open connections this manager holds: all of the process for the unified manager, its own for a user-bound one. */
  getConnectionCount(): number {
    return this.guard.boundUserId === null ? this.host.registry.connections.size : countOf(this.owned);
  }

  /** A plain JSON view of a connection, or null if unknown. */
  getConnectionInfo(connectionId: ConnectionId): ConnectionInfoJson | null {
    this.assertActive();
    return this.find('getConnectionInfo', connectionId)?.info.toJSON() ?? null;
  }

  /** Counters for health and metrics (process-wide for the unified manager); readable after shutdown. */
  getStats(): UnifiedManagerStats {
    const registry = this.host.registry;
    const unified = this.guard.boundUserId === null;
    const counters = unified ? registry.counters : this.counters;
    const owned = listOf(this.owned);
    const queued = unified ? registry.queued() : registry.queued(owned);
    return {
      mode: this.mode,
      managerId: this.id,
      boundUserId: this.guard.boundUserId,
      active: this.closedBy === null,
      connections: this.getConnectionCount(),
      users: unified ? registry.users.size : Math.min(1, owned.length),
      rooms: unified ? registry.rooms.size : new Set(owned.flatMap((connection) => [...(connection.rooms?.keys() ?? [])])).size,
      messagesSent: counters.messagesSent,
      messagesQueued: counters.messagesQueued,
      messagesDropped: counters.messagesDropped,
      queuedFrames: queued.frames,
      queuedBytes: queued.bytes,
      slowConsumerCloses: counters.slowConsumerCloses,
      heartbeatTerminations: counters.heartbeatTerminations,
      replays: counters.replays,
      replayedMessages: counters.replayedMessages,
      connectionsAdded: counters.connectionsAdded,
      connectionsRemoved: counters.connectionsRemoved,
      sendErrors: counters.sendErrors,
      isolationViolations: counters.isolationViolations,
      backgroundErrors: unified ? registry.backgroundErrors : 0,
    };
  }

  /**
   * Unified manager: shuts the whole factory down (every socket closed with 1001, timers
   * stopped, state emptied). User-bound manager: closes its own connections with 1001 and
   * disposes it. Later calls throw ManagerShutdownError; calling shutdown again does nothing.
   */
  async shutdown(): Promise<void> {
    if (this.guard.boundUserId === null) return this.host.shutdown();
    this[kCloseManager]('shutdown', CloseCode.GoingAway);
  }

  /** Disposes a user-bound manager: closes its connections with `closeCode` (default 1000). On the unified manager it is shutdown(). */
  async dispose(closeCode: number = CloseCode.Normal): Promise<void> {
    if (this.guard.boundUserId === null) return this.host.shutdown();
    this[kCloseManager]('disposed', closeCode);
  }

  /** The user's newest stream position (0 if none): what connection_established reports as last_seq. */
  async getLastSeq(userId: UserId): Promise<number> {
    this.assertActive();
    this.guard.user('getLastSeq', userId);
    return this.host.registry.backplane.lastSeq(userId);
  }

  /**
   * Records real traffic from a connection (alive for the heartbeat, active for idle disposal).
   * Sockets that are EventEmitters (`ws`) are tracked automatically through their 'message'
   * events; call this for other transports. False if the connection is unknown.
   */
  recordActivity(connectionId: ConnectionId): boolean {
    this.assertActive();
    const connection = this.find('recordActivity', connectionId);
    if (connection === null) return false;
    this.host.registry.touch(connection);
    return true;
  }

  /**
   * Milliseconds until `userId` may receive another replay on this process (the user's budget
   * across all of their connections and reconnections, options userReplayBurstBytes and
   * userReplayBytesPerSecond); 0 when now. The gateway refuses an upgrade with `?after_seq` meanwhile.
   */
  getReplayWaitMs(userId: UserId): number {
    this.assertActive();
    this.guard.user('getReplayWaitMs', userId);
    return this.host.registry.replayWaitMs(userId);
  }

  /** Back-pressure state of one connection, or null if unknown. */
  getSendQueue(connectionId: ConnectionId): SendQueueStats | null {
    this.assertActive();
    const connection = this.find('getSendQueue', connectionId);
    if (connection === null) return null;
    const queue = connection.queue;
    return { frames: queue?.frames ?? 0, bytes: queue?.bytes ?? 0, dropped: queue?.dropped ?? 0, bufferedAmount: connection.transport.bufferedAmount };
  }

  /** @internal A connection was added through this manager. */
  adopt(connection: ManagedConnection): void {
    this.owned = withItem(this.owned, connection);
  }

  /** @internal A connection of this manager was detached; an emptied user-bound manager is disposed (option disposeWhenEmpty). */
  release(connection: ManagedConnection): void {
    this.owned = withoutItem(this.owned, connection);
    if (this.owned === null && this.guard.boundUserId !== null && this.host.options.disposeWhenEmpty) {
      this[kCloseManager]('empty', CloseCode.Normal);
    }
  }

  /** Stops the manager for `reason`, closing its connections with `closeCode`. Used by the factory. */
  [kCloseManager](reason: DisposeReason, closeCode: number): void {
    if (this.closedBy !== null) return;
    this.closedBy = reason;
    for (const connection of listOf(this.owned)) this.host.registry.detach(connection, closeCode, reason);
    this.owned = null;
    this.host.managerClosed(this, reason);
  }

  /** @internal The isolation guard reports a refused breach here: counted for this manager and process-wide. */
  isolationViolated(error: IsolationViolationError): void {
    this.counters.isolationViolations += 1;
    this.host.violation(error);
  }

  private assertActive(): void {
    if (this.closedBy !== null) throw new ManagerShutdownError(this.closedBy);
  }

  /**
   * sendToUser and emitAgentEvent (the hot path): the backplane sequences and serializes the
   * message once, and the registry's subscription writes it to the user's connections. Not an
   * async function: one promise and one callback per message instead of an async frame and its
   * await (allocated per event); a refused call still rejects, never throws.
   */
  private append(operation: 'sendToUser' | 'emitAgentEvent' | 'emitCheckedAgentEvent', userId: UserId, message: OutboundMessage): Promise<SendResult> {
    const registry = this.host.registry;
    let appended: Promise<StreamEntry>;
    try {
      this.assertActive();
      this.guard.user(operation === 'sendToUser' ? operation : 'emitAgentEvent', userId);
      if (operation === 'emitAgentEvent') {
        const problem = validateAgentEvent(message as AgentEvent);
        if (problem !== null) throw new InvalidAgentEventError(problem);
      }
      if (this.guard.boundUserId !== null) this.touch(); // only user-bound managers can go idle
      // Promise.resolve returns the backplane's own promise as it is (and still takes a plain value, as await did).
      appended = Promise.resolve(registry.backplane.appendToUser(userId, message));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return appended.then((entry) => ({ seq: entry.seq, connections: registry.connectionCount(userId) }));
  }

  /**
   * emitAgentEvents: the events go to the backplane in one call (appendBatchToUser, or
   * appendToUser for each where a backplane does not offer it). Not an async function, as append.
   */
  private appendBatch(operation: 'emitAgentEvent' | 'emitCheckedAgentEvent', userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures> {
    const { backplane } = this.host.registry;
    try {
      this.assertActive();
      this.guard.user('emitAgentEvents', userId);
      if (!Array.isArray(events)) throw new InvalidManagerArgumentError('events', 'emitAgentEvents takes an array of agent events');
      let refused: unknown[] | null = null;
      if (operation === 'emitAgentEvent') {
        events.forEach((event, index) => {
          const problem = validateAgentEvent(event);
          if (problem !== null) refused = withAppendFailure(refused, events.length, index, new InvalidAgentEventError(problem));
        });
      }
      if (this.guard.boundUserId !== null) this.touch();
      if (refused === null) return appendEach(backplane, userId, events);
      const invalid: unknown[] = refused;
      const valid = events.filter((_, index) => invalid[index] === undefined);
      if (valid.length === 0) return Promise.resolve(invalid);
      return appendEach(backplane, userId, valid).then((failures) => {
        // Each valid event's outcome goes to its own slot, after the refused ones before it.
        let next = 0;
        for (let index = 0; index < invalid.length; index += 1) if (invalid[index] === undefined) invalid[index] = failures?.[next++];
        return invalid;
      });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private touch(): void {
    this.lastActivity = this.host.options.clock.now();
  }

  /** A connection of this process by id (null if unknown); another user's connection is an isolation violation. */
  private find(operation: string, connectionId: ConnectionId): ManagedConnection | null {
    const connection = this.host.registry.connections.get(connectionId);
    if (connection === undefined) return null;
    this.guard.user(operation, connection.userId);
    return connection;
  }
}

/** Appends `messages` to the user's stream in order with one call where the backplane offers one, else one appendToUser each (called in order, so sequenced in order). */
function appendEach(backplane: Backplane, userId: UserId, messages: readonly OutboundMessage[]): Promise<AppendFailures> {
  if (backplane.appendBatchToUser !== undefined) return backplane.appendBatchToUser(userId, messages);
  return settleEach(
    messages.map((message) => {
      try {
        return Promise.resolve(backplane.appendToUser(userId, message));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }),
  );
}

/**
 * @deprecated The legacy name of UnifiedWebSocketManager (the same class object). Get managers
 * from WebSocketManagerFactory.
 */
export const WebSocketManager = UnifiedWebSocketManager;
/** @deprecated The legacy name of UnifiedWebSocketManager. */
export type WebSocketManager = UnifiedWebSocketManager;
