/**
 * @agentwirejs/manager: the one WebSocket manager (UnifiedWebSocketManager), created only by
 * WebSocketManagerFactory, which is registered in a tsyringe container.
 */
export { UnifiedWebSocketManager, WebSocketManager } from './unified-manager';
export { WebSocketManagerFactory } from './factory';
export { WEB_SOCKET_MANAGER_OPTIONS, registerWebSocketManagerFactory } from './container';
export { MANAGER_DEFAULTS, managerOptionsFromConfig, resolveManagerOptions } from './options';
export type { ManagerClock, ManagerConfig, ManagerErrorHandler, ResolvedManagerOptions, WebSocketManagerOptions } from './options';
export {
  DuplicateConnectionError,
  FactoryOnlyError,
  InvalidAgentEventError,
  InvalidManagerArgumentError,
  InvalidManagerOptionsError,
  IsolationViolationError,
  LimitExceededError,
  ManagerErrorCode,
  ManagerShutdownError,
  ReplayLimitedError,
  TransportNotOpenError,
  UnknownConnectionError,
} from './errors';
export type { DisposeReason, ManagerLimit, ReplayLimit } from './errors';
export { MAX_ROOM_NAME_LENGTH } from './rooms';
export type { FactoryMetrics, SendQueueStats, UnifiedManagerStats } from './stats';
export { InMemoryBackplane } from './in-memory-backplane';
export type { InMemoryBackplaneOptions } from './in-memory-backplane';
