export { AgentwireError, IllegalStateTransitionError, InvalidIdError, TypesErrorCode, describeValue } from './errors';
export { flatString } from './strings';
export { IsoTimeText } from './iso-time';
export {
  ID_MAX_LENGTH,
  USER_ID_MAX_BYTES,
  ConnectionIdSchema,
  RequestIdSchema,
  RunIdSchema,
  ThreadIdSchema,
  UserIdSchema,
  generateConnectionId,
  generateRequestId,
  generateRunId,
  generateThreadId,
  generateUserId,
  parseConnectionId,
  parseRequestId,
  parseRunId,
  parseThreadId,
  parseUserId,
} from './ids';
export type { ConnectionId, RequestId, RunId, ThreadId, UserId } from './ids';
export { ConnectionState, assertTransition, canTransition, isActiveState } from './connection-state';
export { WebSocketManagerMode } from './manager-mode';
export { ConnectionInfo } from './connection-info';
export type { ConnectionInfoJson } from './connection-info';
export {
  ContextDepthExceededError,
  InvalidContextError,
  MAX_CONTEXT_DEPTH,
  UserExecutionContext,
} from './user-execution-context';
export type { UserExecutionContextInit, UserExecutionContextJson } from './user-execution-context';
