import { ConnectionState, assertTransition, isActiveState } from './connection-state';
import {
  type ConnectionId,
  type ThreadId,
  type UserId,
  generateConnectionId,
  parseConnectionId,
  parseThreadId,
  parseUserId,
} from './ids';

/** Plain, stable JSON view of a connection (snake_case like the wire protocol; ISO times). */
export interface ConnectionInfoJson {
  connection_id: string;
  user_id: string | null;
  thread_id: string | null;
  state: ConnectionState;
  is_active: boolean;
  created_at: string;
  connected_at: string | null;
  last_activity: string;
  message_count: number;
  error_count: number;
  metadata: Record<string, unknown>;
}

const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The one record of a client connection. `new ConnectionInfo()` makes a connection with a
 * generated id and no user yet; `new ConnectionInfo(connectionId, userId, metadata)` one for a
 * known user. Ids are validated; times are epoch milliseconds (numbers keep the record small,
 * since a gateway holds one per socket), rendered as ISO strings by toJSON().
 */
export class ConnectionInfo {
  readonly connectionId: ConnectionId;
  readonly userId: UserId | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  threadId: ThreadId | null = null;
  connectedAt: number | null = null;
  lastActivity: number;
  messageCount = 0;
  errorCount = 0;
  private currentState: ConnectionState = ConnectionState.Connecting;

  constructor(connectionId?: string, userId?: string | null, metadata?: Record<string, unknown>, now: number = Date.now()) {
    this.connectionId = connectionId === undefined ? generateConnectionId() : parseConnectionId(connectionId);
    this.userId = userId === undefined || userId === null ? null : parseUserId(userId);
    this.metadata = metadata === undefined ? NO_METADATA : Object.freeze({ ...metadata });
    this.createdAt = now;
    this.lastActivity = now;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** True while connecting or connected. */
  get isActive(): boolean {
    return isActiveState(this.currentState);
  }

  /** Moves the life cycle; throws IllegalStateTransitionError for a move the table forbids. */
  transitionTo(next: ConnectionState, now: number = Date.now()): void {
    assertTransition(this.currentState, next);
    this.currentState = next;
    if (next === ConnectionState.Connected) this.connectedAt = now;
  }

  /** Connecting → connected, stamping connectedAt. */
  markConnected(now: number = Date.now()): void {
    this.transitionTo(ConnectionState.Connected, now);
    this.lastActivity = now;
  }

  /** Records traffic or a heartbeat from the peer. */
  updateActivity(now: number = Date.now()): void {
    this.lastActivity = now;
  }

  /** Counts one message through this connection and refreshes its activity. */
  recordMessage(now: number = Date.now()): void {
    this.messageCount += 1;
    this.lastActivity = now;
  }

  /** Counts one error on this connection. */
  recordError(): void {
    this.errorCount += 1;
  }

  /** Sets the thread the connection is currently following. */
  setThread(threadId: string | null): void {
    this.threadId = threadId === null ? null : parseThreadId(threadId);
  }

  /** Marks the connection failed (from any live state). */
  fail(): void {
    this.transitionTo(ConnectionState.Failed);
  }

  /** Ends the connection; calling it on a closed connection does nothing. */
  disconnect(): void {
    if (this.currentState !== ConnectionState.Closed) this.transitionTo(ConnectionState.Closed);
  }

  toJSON(): ConnectionInfoJson {
    return {
      connection_id: this.connectionId,
      user_id: this.userId,
      thread_id: this.threadId,
      state: this.currentState,
      is_active: this.isActive,
      created_at: new Date(this.createdAt).toISOString(),
      connected_at: this.connectedAt === null ? null : new Date(this.connectedAt).toISOString(),
      last_activity: new Date(this.lastActivity).toISOString(),
      message_count: this.messageCount,
      error_count: this.errorCount,
      metadata: { ...this.metadata },
    };
  }
}
