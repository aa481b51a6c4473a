import { AgentwireError, type ConnectionId, type UserId } from '@agentwirejs/types';
import type { ReplayBudgetPolicy } from './replay-budget';

/** The codes of this package's errors, one per error class below. */
export const ManagerErrorCode = {
  IsolationViolation: 'ISOLATION_VIOLATION',
  LimitExceeded: 'LIMIT_EXCEEDED',
  ManagerShutDown: 'MANAGER_SHUT_DOWN',
  FactoryOnly: 'FACTORY_ONLY',
  DuplicateConnection: 'DUPLICATE_CONNECTION',
  TransportNotOpen: 'TRANSPORT_NOT_OPEN',
  UnknownConnection: 'UNKNOWN_CONNECTION',
  InvalidAgentEvent: 'INVALID_AGENT_EVENT',
  InvalidArgument: 'INVALID_ARGUMENT',
  InvalidManagerOptions: 'INVALID_MANAGER_OPTIONS',
  ReplayLimited: 'REPLAY_LIMITED',
} as const;
export type ManagerErrorCode = (typeof ManagerErrorCode)[keyof typeof ManagerErrorCode];

/** The limits a factory enforces; each is an option of WebSocketManagerOptions. */
export type ManagerLimit = 'maxManagersPerUser' | 'maxConnectionsPerUser' | 'maxConnections';

/** Why a manager stopped: shut down with the process, disposed by its owner, idle, or its last connection closed. */
export type DisposeReason = 'shutdown' | 'disposed' | 'idle' | 'empty';

/**
 * A user-bound manager was asked to reach another user (add, read, send to or remove their
 * connections) or to do something process-wide (broadcast). Nothing was done; it is counted.
 */
export class IsolationViolationError extends AgentwireError {
  constructor(
    readonly boundUserId: UserId,
    /** The other user, or null for a process-wide operation. */
    readonly attemptedUserId: UserId | null,
    readonly operation: string,
  ) {
    super(
      ManagerErrorCode.IsolationViolation,
      attemptedUserId === null
        ? `The WebSocket manager bound to user '${boundUserId}' refused ${operation}: it reaches every user; use the unified manager of WebSocketManagerFactory`
        : `The WebSocket manager bound to user '${boundUserId}' refused ${operation} for user '${attemptedUserId}'`,
    );
  }
}

/** A configured limit was reached; `limit` names it and `max` is its value. */
export class LimitExceededError extends AgentwireError {
  constructor(
    readonly limit: ManagerLimit,
    readonly max: number,
    readonly userId: UserId | null,
  ) {
    super(ManagerErrorCode.LimitExceeded, limitMessage(limit, max, userId));
  }
}

function limitMessage(limit: ManagerLimit, max: number, userId: UserId | null): string {
  switch (limit) {
    case 'maxManagersPerUser':
      return `User '${String(userId)}' has reached the maximum number of WebSocket managers (${max}; limit maxManagersPerUser)`;
    case 'maxConnectionsPerUser':
      return `User '${String(userId)}' has reached the maximum number of connections (${max}; limit maxConnectionsPerUser)`;
    case 'maxConnections':
      return `This process has reached the maximum number of connections (${max}; limit maxConnections)`;
  }
}

/** The manager (or its factory) was shut down or disposed; it refuses every further call. */
export class ManagerShutdownError extends AgentwireError {
  constructor(readonly reason: DisposeReason) {
    super(ManagerErrorCode.ManagerShutDown, reason === 'shutdown' ? 'The WebSocket manager has shut down' : `The WebSocket manager was disposed (${reason})`);
  }
}

/** `new UnifiedWebSocketManager()` outside WebSocketManagerFactory. */
export class FactoryOnlyError extends AgentwireError {
  constructor() {
    super(
      ManagerErrorCode.FactoryOnly,
      'UnifiedWebSocketManager is created only by WebSocketManagerFactory: use factory.createManager(userContext) or factory.getUnifiedManager()',
    );
  }
}

/** addConnection with a connection id that is already registered in this process. */
export class DuplicateConnectionError extends AgentwireError {
  constructor(readonly connectionId: ConnectionId) {
    super(ManagerErrorCode.DuplicateConnection, `Connection '${connectionId}' is already registered`);
  }
}

/** addConnection with a transport that is not open (readyState is not 1). */
export class TransportNotOpenError extends AgentwireError {
  constructor(readonly readyState: number) {
    super(ManagerErrorCode.TransportNotOpen, `Cannot register a connection whose transport is not open (readyState ${readyState})`);
  }
}

/** joinRoom or resume for a connection this process does not hold. */
export class UnknownConnectionError extends AgentwireError {
  constructor(readonly connectionId: ConnectionId) {
    super(ManagerErrorCode.UnknownConnection, `Connection '${connectionId}' is not registered`);
  }
}

/** An agent event whose payload does not match its type's schema; nothing was sent. */
export class InvalidAgentEventError extends AgentwireError {
  constructor(readonly problem: string) {
    super(ManagerErrorCode.InvalidAgentEvent, `Invalid agent event: ${problem}`);
  }
}

/** A bad argument to a manager method (room name, resume position). */
export class InvalidManagerArgumentError extends AgentwireError {
  constructor(
    readonly argument: string,
    reason: string,
  ) {
    super(ManagerErrorCode.InvalidArgument, `Invalid ${argument}: ${reason}`);
  }
}

/** A WebSocketManagerOptions value is out of range; `option` names it. */
export class InvalidManagerOptionsError extends AgentwireError {
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(ManagerErrorCode.InvalidManagerOptions, `Invalid WebSocketManagerOptions.${option}: ${reason}`);
  }
}

/** Why a resume was refused: another replay of the connection is still running, or its replay budget is spent. */
export type ReplayLimit = 'in_progress' | 'budget' | 'user_budget';

/**
 * A resume was refused and nothing was replayed; the connection stays live and loses nothing,
 * so the same resume succeeds later (after `retryAfterMs`, or once the running replay ends).
 */
export class ReplayLimitedError extends AgentwireError {
  constructor(
    readonly connectionId: ConnectionId,
    readonly limit: ReplayLimit,
    /** How long to wait before trying again (0: as soon as the running replay ends). */
    readonly retryAfterMs: number,
    policy: ReplayBudgetPolicy,
  ) {
    super(
      ManagerErrorCode.ReplayLimited,
      limit === 'in_progress'
        ? 'a replay is already in progress on this connection; resume again once it has ended'
        : `${limit === 'budget' ? 'this connection' : "this user's connections"} used the replay budget (${policy.burstBytes} bytes at once, then ${policy.bytesPerSecond} bytes a second); resume again in ${Math.ceil(retryAfterMs / 1000)} s`,
    );
  }
}
