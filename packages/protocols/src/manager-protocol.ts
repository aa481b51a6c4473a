import type { ConnectionId, ConnectionInfo, ConnectionInfoJson, ThreadId, UserId, WebSocketManagerMode } from '@agentwirejs/types';
import type { AgentEventSink, AgentEventSinkOptions, SendResult } from './agent-event-sink';
import type { AppendFailures } from './backplane';
import type { StreamGap } from './stream-entry';
import type { WireProtocol } from './wire/codes';
import type { AgentEvent } from './wire/run-events';
import type { OutboundMessage } from './wire/server-messages';

/**
 * The part of a socket a manager needs. A `ws` WebSocket satisfies it; the manager uses
 * ping/terminate/on when present for heartbeats, close detection and counting inbound traffic.
 * When the manager closes a transport itself (slow consumer, send failure, removal, dispose,
 * shutdown) it calls close(code, reason) and, if terminate is present, terminates the transport
 * when it has not closed within a short bound: a peer that never reads or never answers the
 * close frame does not keep its socket.
 */
export interface ConnectionTransport {
  /** 1 while open (WebSocket.OPEN). */
  readonly readyState: number;
  /** Bytes queued in the socket and not yet written. */
  readonly bufferedAmount: number;
  send(data: string, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  ping?(): void;
  terminate?(): void;
  on?(event: 'close' | 'pong' | 'error' | 'message', listener: () => void): unknown;
}

/** Who a new connection belongs to. The user id comes from the verified token. */
export interface ConnectionRegistration {
  readonly userId: UserId;
  /** Generated when absent. */
  readonly connectionId?: ConnectionId;
  readonly threadId?: ThreadId;
  readonly metadata?: Record<string, unknown>;
  /**
   * Replay position the client asked for when connecting (`?after_seq=`). When set, the manager
   * replays what came after it right after connection_established and before any live message,
   * as one step, so nothing is lost or reordered in between.
   */
  readonly afterSeq?: number;
  /**
   * The stream epoch `afterSeq` was counted in (`?epoch=`). When it is not the stream's current
   * epoch the stream started over since, so the position means nothing: everything kept of the
   * new stream is replayed (as for afterSeq 0).
   */
  readonly afterEpoch?: string;
  /**
   * The wire protocol the connection speaks (the subprotocol the gateway negotiated; default
   * agentwire.v1). A v2 connection receives the stored run events (AG-UI) as they are; a v1
   * connection receives them translated to v1 events, with the same seq.
   */
  readonly protocol?: WireProtocol;
  /**
   * Called once if the manager itself closes the connection, with the code and reason it sent
   * (the peer may never echo them: its own close event then reports 1006). Not called when the
   * peer closes, the transport closes on its own, or a heartbeat terminates it. Called with the
   * connection's transport as `this`, so one function can serve every connection (a closure per
   * connection would cost memory on every idle one).
   */
  readonly onManagerClose?: (this: ConnectionTransport, code: number, reason: string) => void;
}

/** How a connection joins a room (UnifiedWebSocketManager.joinRoom). */
export interface JoinRoomOptions {
  /**
   * 'user' (the default; wire contract v1): a room message enters the stream of each member's
   * user (the user's next seq, their user_id) and reaches all of that user's connections.
   * 'room': this connection receives the room's own stream: each message as one frame built
   * once for every member, `{type, seq: null, room, room_seq, ts, payload}`, in room_seq order,
   * after a connection-scoped `room_joined` (payload {room, last_seq, epoch}); members' user
   * streams are left as they are.
   */
  readonly stream?: 'user' | 'room';
  /**
   * With stream 'room': the last room_seq the client has. What it missed after it is written
   * first (the room's replay_gap first when part of it was evicted), then the live stream.
   * Without it the connection starts at the room's current position.
   */
  readonly afterSeq?: number;
  /** The room stream's epoch (room_joined's) that afterSeq belongs to; another epoch replays the room from its start. */
  readonly afterEpoch?: string;
}

/** What a resume delivered to one connection. */
export interface ResumeResult {
  /** Stream messages replayed, in order. */
  readonly replayed: number;
  /** The part that could not be replayed (evicted), announced first with replay_gap; null if none. */
  readonly gap: StreamGap | null;
}

/** Counters every manager reports; implementations may add their own fields. */
export interface ManagerStats {
  readonly mode: WebSocketManagerMode;
  readonly connections: number;
  readonly users: number;
  readonly rooms: number;
  readonly messagesSent: number;
  readonly messagesDropped: number;
  readonly isolationViolations: number;
}

/**
 * The one contract every WebSocket manager implements: the real one, the mock, any future one.
 * A manager in isolated mode is bound to one user and throws IsolationViolationError for any
 * attempt to reach another user; process-wide operations need a unified-mode manager.
 */
export interface WebSocketManagerProtocol extends AgentEventSink {
  /** unified (process-wide) or isolated (bound to one user). */
  readonly mode: WebSocketManagerMode;
  /**
   * Registers a connection of a user and sends it `connection_established` (seq null, payload
   * {connection_id, protocol, last_seq}) as its first message, then the replay after
   * `registration.afterSeq` if given, then its user's live stream. Resolves with its record.
   */
  addConnection(transport: ConnectionTransport, registration: ConnectionRegistration): Promise<ConnectionInfo>;
  /** Unregisters a connection and closes it with `closeCode` (default 1000); false if unknown. */
  removeConnection(connectionId: ConnectionId, closeCode?: number): Promise<boolean>;
  /** The record of a connection, or null if unknown. */
  getConnection(connectionId: ConnectionId): ConnectionInfo | null;
  /** The records of every open connection of a user (empty if none). */
  getUserConnections(userId: UserId): ConnectionInfo[];
  /** True while the user has at least one open connection. */
  isUserConnected(userId: UserId): boolean;
  /** Resolves true as soon as the user has a connection, false after timeoutMs. */
  waitForConnection(userId: UserId, timeoutMs: number): Promise<boolean>;
  /** Appends a message to the user's stream (next seq) and sends it to all of the user's connections. */
  sendToUser(userId: UserId, message: OutboundMessage): Promise<SendResult>;
  /** Sends a connection-scoped message (seq null, not replayed) to one connection; false if unknown or closed. */
  sendToConnection(connectionId: ConnectionId, message: OutboundMessage): Promise<boolean>;
  /** Sends one agent event of a run to its user's stream (validated against the event schemas). */
  emitAgentEvent(userId: UserId, event: AgentEvent): Promise<SendResult>;
  /**
   * emitAgentEvent for several events of one user, in order, with one promise for all: an invalid
   * event is refused alone (InvalidAgentEventError in its slot of the AppendFailures) and the
   * others are sent. What the execution tracker hands a run's queued events to.
   */
  emitAgentEvents(userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures>;
  /**
   * A sink for the agent events of `userId` only: an event for another user is refused
   * (IsolationViolationError) and counted. An isolated manager gives one for its own user only.
   * With options.eventsChecked its events are not validated again (see AgentEventSinkOptions).
   */
  forUser(userId: UserId, options?: AgentEventSinkOptions): AgentEventSink;
  /** Appends a message to the stream of every connected user; resolves with the number of users. */
  broadcast(message: OutboundMessage): Promise<number>;
  /**
   * Adds a connection to a room. By default (stream 'user', wire contract v1) its user then
   * receives the room's messages in their own stream, on all of their connections; with stream
   * 'room' the connection receives the room's own stream (see JoinRoomOptions).
   */
  joinRoom(connectionId: ConnectionId, room: string, options?: JoinRoomOptions): Promise<void>;
  /** Removes a connection from a room (closing a connection leaves all its rooms). */
  leaveRoom(connectionId: ConnectionId, room: string): Promise<void>;
  /**
   * Appends a message to the room's own stream (delivered to connections joined with stream
   * 'room') and to the stream of every user joined with stream 'user'; resolves with the number
   * of those users.
   */
  broadcastToRoom(room: string, message: OutboundMessage): Promise<number>;
  /** Replays what a connection missed after `afterSeq`, in order, before anything new (replay_gap first if some was evicted). */
  resume(connectionId: ConnectionId, afterSeq: number): Promise<ResumeResult>;
  /** Open connections this manager holds. */
  getConnectionCount(): number;
  /** A plain JSON view of a connection, or null if unknown. */
  getConnectionInfo(connectionId: ConnectionId): ConnectionInfoJson | null;
  /** Counters for health and metrics. */
  getStats(): ManagerStats;
  /** Closes every connection with 1001, stops timers and empties state; later calls throw. */
  shutdown(): Promise<void>;
}
