import { AgentwireError, TypesErrorCode } from './errors';
import {
  type ConnectionId,
  type RequestId,
  type RunId,
  type ThreadId,
  type UserId,
  generateRequestId,
  parseConnectionId,
  parseRequestId,
  parseRunId,
  parseThreadId,
  parseUserId,
} from './ids';

/** A context was built from missing or malformed values. */
export class InvalidContextError extends AgentwireError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(TypesErrorCode.InvalidContext, `Invalid UserExecutionContext.${field}: ${reason}`);
  }
}

/** child() was called past the nesting limit. */
export class ContextDepthExceededError extends AgentwireError {
  constructor(readonly limit: number) {
    super(TypesErrorCode.ContextDepthExceeded, `UserExecutionContext.child() is limited to ${limit} levels`);
  }
}

export const MAX_CONTEXT_DEPTH = 10;

export interface UserExecutionContextInit {
  userId: string;
  /** The thread the work belongs to, when there is one (a connection has none: its runs own their ids). */
  threadId?: string | null;
  /** The run the work belongs to, when there is one. */
  runId?: string | null;
  /** Generated when absent. */
  requestId?: string;
  connectionId?: string | null;
  /** Epoch ms; now when absent. */
  createdAt?: number;
}

export interface UserExecutionContextJson {
  user_id: string;
  thread_id: string | null;
  run_id: string | null;
  request_id: string;
  connection_id: string | null;
  created_at: string;
  operation: string | null;
  depth: number;
  parent_request_id: string | null;
}

interface Lineage {
  operation: string | null;
  depth: number;
  parentRequestId: RequestId | null;
}

const ROOT: Lineage = { operation: null, depth: 0, parentRequestId: null };

function checked<T>(field: string, value: unknown, parse: (v: unknown) => T): T {
  // Ids are what their parser accepts and nothing else: a user id is what auth verified, so
  // `test`, `1` or `default` are real users (a list of "placeholder" names refused them, and a
  // signed token naming one crashed the gateway).
  if (value === undefined || value === null) throw new InvalidContextError(field, 'is required');
  try {
    return parse(value);
  } catch (error) {
    throw new InvalidContextError(field, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Who is acting (the verified user), in which request, and for which thread and run when the work has them (a connection does not: runs own their ids). Immutable: derive a new one with
 * child() or withConnection(). Every component that holds per-user state keys it by this
 * context, so two users can never share a slot by accident.
 */
export class UserExecutionContext {
  readonly userId: UserId;
  readonly threadId: ThreadId | null;
  readonly runId: RunId | null;
  readonly requestId: RequestId;
  readonly connectionId: ConnectionId | null;
  readonly createdAt: number;
  /** The operation this context was derived for by child(); null at the root. */
  readonly operation: string | null;
  /** 0 at the root; child() adds one, up to MAX_CONTEXT_DEPTH. */
  readonly depth: number;
  readonly parentRequestId: RequestId | null;

  constructor(init: UserExecutionContextInit, lineage: Lineage = ROOT) {
    if (init === null || typeof init !== 'object') throw new InvalidContextError('init', 'must be an object');
    this.userId = checked('userId', init.userId, parseUserId);
    this.threadId = init.threadId === undefined || init.threadId === null ? null : checked('threadId', init.threadId, parseThreadId);
    this.runId = init.runId === undefined || init.runId === null ? null : checked('runId', init.runId, parseRunId);
    this.requestId = init.requestId === undefined ? generateRequestId() : checked('requestId', init.requestId, parseRequestId);
    this.connectionId =
      init.connectionId === undefined || init.connectionId === null
        ? null
        : checked('connectionId', init.connectionId, parseConnectionId);
    const createdAt = init.createdAt ?? Date.now();
    if (!Number.isFinite(createdAt)) throw new InvalidContextError('createdAt', 'must be a finite epoch time in ms');
    this.createdAt = createdAt;
    this.operation = lineage.operation;
    this.depth = lineage.depth;
    this.parentRequestId = lineage.parentRequestId;
    Object.freeze(this);
  }

  /** Builds a context; the same as `new UserExecutionContext(init)`. */
  static create(init: UserExecutionContextInit): UserExecutionContext {
    return new UserExecutionContext(init);
  }

  /** True for a real UserExecutionContext instance (not a look-alike object). */
  static isContext(value: unknown): value is UserExecutionContext {
    return value instanceof UserExecutionContext;
  }

  /** A context for a sub-operation: new request id, depth + 1 (at most MAX_CONTEXT_DEPTH). */
  child(operation: string): UserExecutionContext {
    if (typeof operation !== 'string' || operation.trim() === '') {
      throw new InvalidContextError('operation', 'child() needs a non-empty operation name');
    }
    if (this.depth + 1 > MAX_CONTEXT_DEPTH) throw new ContextDepthExceededError(MAX_CONTEXT_DEPTH);
    return new UserExecutionContext(
      { ...this.init(), requestId: generateRequestId(), createdAt: Date.now() },
      { operation, depth: this.depth + 1, parentRequestId: this.requestId },
    );
  }

  /** The same context, attached to one connection. */
  withConnection(connectionId: string): UserExecutionContext {
    return new UserExecutionContext({ ...this.init(), connectionId }, this);
  }

  /** A key for per-user, per-request state in a component: `component:userId:requestId`. */
  scopedKey(component: string): string {
    if (typeof component !== 'string' || component.trim() === '') {
      throw new InvalidContextError('component', 'scopedKey() needs a non-empty component name');
    }
    return `${component}:${this.userId}:${this.requestId}`;
  }

  toJSON(): UserExecutionContextJson {
    return {
      user_id: this.userId,
      thread_id: this.threadId,
      run_id: this.runId,
      request_id: this.requestId,
      connection_id: this.connectionId,
      created_at: new Date(this.createdAt).toISOString(),
      operation: this.operation,
      depth: this.depth,
      parent_request_id: this.parentRequestId,
    };
  }

  private init(): UserExecutionContextInit {
    return {
      userId: this.userId,
      threadId: this.threadId,
      runId: this.runId,
      requestId: this.requestId,
      connectionId: this.connectionId,
      createdAt: this.createdAt,
    };
  }
}
