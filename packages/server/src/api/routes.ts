import { type AgentExecutionTracker, type ExecutionTrackerRegistry, TrackerErrorCode } from '@agentwirejs/execution-tracker';
import { ErrorCode, type OutboundMessage } from '@agentwirejs/protocols';
import type { ConnectionInfo, RunId, UserId } from '@agentwirejs/types';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { trackerRefusal } from '../handlers';
import type { ExternalRunFeeds } from '../agents/external-run';
import type { GatewayPeers } from '../peers';
import { RunRequestRefusedError, type RunStarterDeps, startCatalogRun, startExternalRun } from '../start-run';
import { connectionsEverywhere, deliverEverywhere, disconnectEverywhere, liveRunsEverywhere, parseAgUiEvent, runAnywhere, usersEverywhere } from './cluster';
import { ApiError } from './http-io';
import { type EventStreamBody, deliverEventStream } from './event-stream';
import {
  CancelRunRequestSchema,
  CancelRunResponseSchema,
  ConnectionsResponseSchema,
  DisconnectRequestSchema,
  LiveRunsResponseSchema,
  MAX_LISTED,
  RunsQuerySchema,
  UsersResponseSchema,
  DisconnectResponseSchema,
  PublishRequestSchema,
  PublishResponseSchema,
  RunPathSchema,
  RunEventsRequestSchema,
  RunEventsResponseSchema,
  RunSnapshotSchema,
  StartExternalRunRequestSchema,
  StartRunRequestSchema,
  StartRunResponseSchema,
  UserPathSchema,
  UserQuerySchema,
} from './schemas';

/** The part of the unified manager the API uses. */
export interface ApiManager {
  sendToUser(userId: UserId, message: OutboundMessage): Promise<{ readonly seq: number }>;
  broadcastToRoom(room: string, message: OutboundMessage): Promise<number>;
  getUserConnections(userId: UserId): ConnectionInfo[];
  getConnectedUsers(limit: number): { users: { userId: UserId; connections: number }[]; total: number };
  removeConnection(connectionId: ConnectionInfo['connectionId'], closeCode?: number): Promise<boolean>;
}

/** What the routes act on. */
export interface ServerApiDeps extends RunStarterDeps {
  /** The unified manager (resolved per call: it throws once the gateway has shut down). */
  manager(): ApiManager;
  tracker(userId: UserId): AgentExecutionTracker;
  /** Every user's runs, for listing the runs in flight (GET /api/v1/runs?state=live). */
  readonly runRegistry: Pick<ExecutionTrackerRegistry, 'liveRuns'>;
  /** The other gateway processes (none without Redis). */
  readonly peers: GatewayPeers;
  /** The external runs this process holds. */
  readonly externalRuns: ExternalRunFeeds;
  /** The largest event of a text/event-stream body (AGENTWIRE_MAX_PAYLOAD_BYTES). */
  readonly maxEventBytes: number;
  readonly logger: Logger;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** One route: its schemas document it (OpenAPI) and validate its calls; `handle` gets what they parsed. */
export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends z.ZodType> {
  readonly method: 'GET' | 'POST';
  /** The OpenAPI path template, e.g. /api/v1/runs/{run_id}. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** The status of a successful call, answered with `response`. */
  readonly status: 200 | 201;
  readonly response: R;
  /** The refusals this route can answer besides the ones every route can (401, 413, 429 rate_limited, 400, 500). */
  readonly refusals: readonly ErrorCode[];
  readonly example: { readonly request?: unknown; readonly response: unknown };
  handle(input: { params: Parsed<P>; query: Parsed<Q>; body: Parsed<B> }, deps: ServerApiDeps): Promise<z.input<R>>;
  /** When set, a body of Content-Type text/event-stream is handed to it unread (the JSON `body` schema is not applied). */
  readonly eventStream?: {
    readonly description: string;
    readonly example: string;
    handle(input: { params: Parsed<P>; query: Parsed<Q> }, body: EventStreamBody, deps: ServerApiDeps): Promise<z.input<R>>;
  };
}

/** A route of the table, its types erased (the table is heterogeneous; defineRoute checked each one). */
export type ApiRoute = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined, z.ZodType>;

function defineRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined, R extends z.ZodType = z.ZodType>(
  route: RouteSpec<P, Q, B, R>,
): ApiRoute {
  return route as unknown as ApiRoute;
}

function refuseTrackerError(error: unknown): never {
  const refusal = trackerRefusal(error);
  if (refusal !== null) throw new ApiError(refusal.code as ErrorCode, refusal.message);
  throw error;
}

const EXAMPLE_USER = 'auth0|5f7c8ec7c33c6c004bbafe82';
const EXAMPLE_RUN = 'run_01JABCDEF0123456789ABCDEFG';
const EXAMPLE_THREAD = 'thread_01JABCDEF0123456789ABCDEFG';

/** Every route of the server API under /api/v1/, in the order the OpenAPI document lists them. */
export const SERVER_API_ROUTES: readonly ApiRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/api/v1/publish',
    operationId: 'publish',
    summary: "Appends a message to one user's stream (answers its seq) or to the stream of every user in a room (answers how many)",
    body: PublishRequestSchema,
    status: 200,
    response: PublishResponseSchema,
    refusals: [],
    example: {
      request: { user_id: EXAMPLE_USER, message: { type: 'invoice_ready', payload: { invoice_id: 'inv_42', total: 1250 } } },
      response: { seq: 17 },
    },
    async handle({ body }, deps) {
      const message: OutboundMessage = body.message;
      if ('room' in body) return { users: await deps.manager().broadcastToRoom(body.room, message) };
      const { seq } = await deps.manager().sendToUser(body.user_id, message);
      return { seq };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/runs',
    operationId: 'startRun',
    summary: "Starts a run of a named agent for a user; it streams to the user's connections like a run started over the socket",
    body: StartRunRequestSchema,
    status: 201,
    response: StartRunResponseSchema,
    refusals: [ErrorCode.LimitExceeded],
    example: { request: { user_id: EXAMPLE_USER, agent: 'demo', input: 'what is (2+3)*4?' }, response: { run_id: EXAMPLE_RUN, thread_id: EXAMPLE_THREAD } },
    async handle({ body }, deps) {
      let started;
      try {
        started = startCatalogRun(deps, deps.tracker(body.user_id), body.user_id, body.agent, body.input, body.thread_id);
      } catch (error) {
        // the same checks and refusals as start_agent on a socket
        if (error instanceof RunRequestRefusedError) throw new ApiError(error.refusal.code as ErrorCode, error.refusal.message);
        refuseTrackerError(error);
      }
      return { run_id: started.runId, thread_id: started.threadId };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/runs/{run_id}/cancel',
    operationId: 'cancelRun',
    summary: "Cancels a user's run, in whichever gateway process runs it (another user's run is not_found)",
    params: RunPathSchema,
    body: CancelRunRequestSchema,
    status: 200,
    response: CancelRunResponseSchema,
    refusals: [ErrorCode.NotFound],
    example: { request: { user_id: EXAMPLE_USER }, response: { cancelled: true } },
    async handle({ params, body }, deps) {
      const runId = params.run_id as RunId;
      try {
        return { cancelled: await deps.tracker(body.user_id).cancel(runId, 'cancelled through the server API') };
      } catch (error) {
        // not here: it may run in another gateway process, which ends it with its one terminal event
        if ((error as { code?: unknown }).code === TrackerErrorCode.RunNotFound && (await deps.runs.routeCancel(body.user_id, runId))) return { cancelled: true };
        refuseTrackerError(error);
      }
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/runs/{run_id}',
    operationId: 'getRun',
    summary: "A user's run, from whichever gateway process runs or ran it (another user's run is not_found)",
    params: RunPathSchema,
    query: UserQuerySchema,
    status: 200,
    response: RunSnapshotSchema,
    refusals: [ErrorCode.NotFound, ErrorCode.Unavailable],
    example: {
      response: {
        run_id: EXAMPLE_RUN,
        user_id: EXAMPLE_USER,
        thread_id: EXAMPLE_THREAD,
        agent: 'demo',
        state: 'completed',
        states: [
          { state: 'pending', at: '2025-01-01T12:00:00.000Z' },
          { state: 'completed', at: '2025-01-01T12:00:01.200Z' },
        ],
        created_at: '2025-01-01T12:00:00.000Z',
        ended_at: '2025-01-01T12:00:01.200Z',
        event_count: 14,
        final_response: '(2+3)*4 = 20',
        error: null,
        cancel_reason: null,
      },
    },
    async handle({ params, query }, deps) {
      const run = await runAnywhere(deps, query.user_id, params.run_id as RunId);
      if (run === null) throw new ApiError(ErrorCode.NotFound, `run ${params.run_id} is not a run of this user (finished runs are kept AGENTWIRE_RUN_RETENTION_MS)`);
      return run;
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/runs',
    operationId: 'listLiveRuns',
    summary: `The runs in flight (not ended) of every user, on every gateway process, oldest first (at most ${MAX_LISTED}; truncated says when there are more)`,
    query: RunsQuerySchema,
    status: 200,
    response: LiveRunsResponseSchema,
    refusals: [ErrorCode.Unavailable],
    example: {
      response: {
        runs: [
          {
            run_id: EXAMPLE_RUN,
            user_id: EXAMPLE_USER,
            thread_id: EXAMPLE_THREAD,
            agent: 'demo',
            state: 'running',
            created_at: '2025-01-01T12:00:00.000Z',
            event_count: 6,
          },
        ],
        truncated: false,
      },
    },
    async handle(_input, deps) {
      return liveRunsEverywhere(deps);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/users',
    operationId: 'listUsers',
    summary: `The users with open connections and how many, on every gateway process, by user_id (at most ${MAX_LISTED}; truncated says when there are more)`,
    status: 200,
    response: UsersResponseSchema,
    refusals: [ErrorCode.Unavailable],
    example: { response: { users: [{ user_id: EXAMPLE_USER, connections: 2 }], truncated: false } },
    async handle(_input, deps) {
      return usersEverywhere(deps);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/users/{user_id}/connections',
    operationId: 'listConnections',
    summary: "The user's open connections, on every gateway process",
    params: UserPathSchema,
    status: 200,
    response: ConnectionsResponseSchema,
    refusals: [ErrorCode.Unavailable],
    example: {
      response: {
        connections: [
          {
            connection_id: 'conn_01JABCDEF0123456789ABCDEFG',
            user_id: EXAMPLE_USER,
            thread_id: null,
            state: 'connected',
            is_active: true,
            created_at: '2025-01-01T12:00:00.000Z',
            connected_at: '2025-01-01T12:00:00.010Z',
            last_activity: '2025-01-01T12:03:10.500Z',
            message_count: 12,
            error_count: 0,
            metadata: {},
          },
        ],
      },
    },
    async handle({ params }, deps) {
      return { connections: await connectionsEverywhere(deps, params.user_id) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/users/{user_id}/disconnect',
    operationId: 'disconnectUser',
    summary: "Closes the user's connections on every gateway process with a close code (default 1000); answers how many were closed",
    params: UserPathSchema,
    body: DisconnectRequestSchema,
    status: 200,
    response: DisconnectResponseSchema,
    refusals: [ErrorCode.Unavailable],
    example: { request: { code: 4001, reason: 'account suspended' }, response: { closed: 2 } },
    async handle({ params, body }, deps) {
      return { closed: await disconnectEverywhere(deps, params.user_id, body.code ?? 1000, body.reason ?? null) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/external-runs',
    operationId: 'startExternalRun',
    summary: "Starts a run whose AG-UI events a backend sends (POST /api/v1/runs/{run_id}/events); it streams to the user's connections like any run",
    body: StartExternalRunRequestSchema,
    status: 201,
    response: StartRunResponseSchema,
    refusals: [ErrorCode.LimitExceeded],
    example: { request: { user_id: EXAMPLE_USER, name: 'billing-agent', timeout_ms: 120000 }, response: { run_id: EXAMPLE_RUN, thread_id: EXAMPLE_THREAD } },
    async handle({ body }, deps) {
      let started;
      try {
        started = startExternalRun(deps, deps.tracker(body.user_id), body.user_id, deps.externalRuns, {
          name: body.name ?? 'external',
          ...(body.thread_id === undefined ? {} : { threadId: body.thread_id }),
          ...(body.timeout_ms === undefined ? {} : { timeoutMs: body.timeout_ms }),
        });
      } catch (error) {
        refuseTrackerError(error);
      }
      return { run_id: started.runId, thread_id: started.threadId };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/runs/{run_id}/events',
    operationId: 'sendRunEvents',
    summary:
      "Puts AG-UI events into an external run, in order, on whichever process runs it: as JSON {events: [...]}, or as an AG-UI SSE body (text/event-stream) applied while it arrives. The run ends with the events' RUN_FINISHED or RUN_ERROR (or cancel, or its timeout); an event that breaks AG-UI's order ends it with remote_protocol_error",
    params: RunPathSchema,
    query: UserQuerySchema,
    body: RunEventsRequestSchema,
    status: 200,
    response: RunEventsResponseSchema,
    refusals: [ErrorCode.NotFound, ErrorCode.RunEnded, ErrorCode.Unavailable],
    example: {
      request: {
        events: [
          { type: 'TEXT_MESSAGE_START', messageId: 'msg_1', role: 'assistant' },
          { type: 'TEXT_MESSAGE_CONTENT', messageId: 'msg_1', delta: 'Your invoice is ready.' },
          { type: 'TEXT_MESSAGE_END', messageId: 'msg_1' },
          { type: 'RUN_FINISHED', threadId: EXAMPLE_THREAD, runId: EXAMPLE_RUN },
        ],
      },
      response: { accepted: 4, finished: true },
    },
    async handle({ params, query, body }, deps) {
      const events = body.events.map((json, index) => parseAgUiEvent(json, `body.events[${index}]`));
      return deliverEverywhere(deps, query.user_id, params.run_id as RunId, events);
    },
    eventStream: {
      description: 'AG-UI events as server-sent events (`data: {json}` and a blank line each); comments are ignored; applied as they arrive, answered when the body ends',
      example: 'data: {"type":"TEXT_MESSAGE_START","messageId":"msg_1","role":"assistant"}\n\ndata: {"type":"TEXT_MESSAGE_CONTENT","messageId":"msg_1","delta":"Hi"}\n\n',
      handle({ params, query }, body, deps) {
        return deliverEventStream(body, deps.maxEventBytes, (events) => deliverEverywhere(deps, query.user_id, params.run_id as RunId, events));
      },
    },
  }),
];
