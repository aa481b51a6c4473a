import { RUN_STATES } from '@agentwirejs/execution-tracker';
import { AGENT_EVENT_TYPES, AgentInputSchema, CONNECTION_SCOPED_MESSAGE_TYPES, ERROR_CODES, RUN_EVENT_TYPES, StartAgentSchema, StreamSeqSchema } from '@agentwirejs/protocols';
import { MAX_ROOM_NAME_LENGTH } from '@agentwirejs/manager';
import { RunIdSchema, ThreadIdSchema, UserIdSchema } from '@agentwirejs/types';
import { z } from 'zod';

/**
 * The server API's requests and answers as zod schemas: the routes validate with them, the
 * handlers work on what they parse, and the OpenAPI document is generated from them.
 */

/** Types the gateway itself sends: a published message may not pose as one of them (run events go through runs). */
export const RESERVED_MESSAGE_TYPES: ReadonlySet<string> = new Set<string>([
  ...CONNECTION_SCOPED_MESSAGE_TYPES,
  'replay_gap',
  ...AGENT_EVENT_TYPES,
  ...RUN_EVENT_TYPES,
]);

const isoTime = z.iso.datetime({ offset: true });

/** The message a backend publishes (the request's `message`): the gateway adds seq, ts and user_id, as for sendToUser. */
export const PublicationSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(64)
      .refine((type) => !RESERVED_MESSAGE_TYPES.has(type), {
        error: 'type must not be a type the gateway sends itself (an AG-UI run event, a v1 agent event, connection_established, pong, ack, error, token_refreshed, replay_gap); start runs with POST /api/v1/runs',
      })
      .meta({ description: 'an application message type; not an AG-UI run event type nor a type the gateway reserves' }),
    payload: z.record(z.string(), z.unknown()),
    thread_id: ThreadIdSchema.optional(),
    run_id: RunIdSchema.optional(),
  })
  .strict();

export const PublishToUserRequestSchema = z.object({ user_id: UserIdSchema, message: PublicationSchema }).strict().meta({ title: 'PublishToUser' });
export const PublishToRoomRequestSchema = z
  .object({ room: z.string().min(1).max(MAX_ROOM_NAME_LENGTH), message: PublicationSchema })
  .strict()
  .meta({ title: 'PublishToRoom' });
export const PublishRequestSchema = z.union([PublishToUserRequestSchema, PublishToRoomRequestSchema]);
export type PublishRequest = z.infer<typeof PublishRequestSchema>;

export const PublishResponseSchema = z.union([
  z.object({ seq: StreamSeqSchema.meta({ description: "the message's position in the user's stream" }) }).strict(),
  z.object({ users: z.number().int().nonnegative().meta({ description: 'users in the room whose streams the message entered' }) }).strict(),
]);

export const StartRunRequestSchema = z
  .object({
    user_id: UserIdSchema,
    agent: StartAgentSchema.shape.agent,
    input: AgentInputSchema,
    thread_id: ThreadIdSchema.optional(),
  })
  .strict();
export const StartRunResponseSchema = z.object({ run_id: RunIdSchema, thread_id: ThreadIdSchema }).strict();

export const RunPathSchema = z.object({ run_id: RunIdSchema }).strict();
export const UserPathSchema = z.object({ user_id: UserIdSchema }).strict();
export const UserQuerySchema = z.object({ user_id: UserIdSchema }).strict();

export const CancelRunRequestSchema = z.object({ user_id: UserIdSchema }).strict();
export const CancelRunResponseSchema = z
  .object({ cancelled: z.boolean().meta({ description: 'true when this call ended the run; false when it had already ended' }) })
  .strict();

/** A run as the API shows it (the tracker's snapshot, in the wire's snake_case). */
export const RunSnapshotSchema = z
  .object({
    run_id: RunIdSchema,
    user_id: UserIdSchema,
    thread_id: ThreadIdSchema,
    agent: z.string(),
    state: z.enum(RUN_STATES as [string, ...string[]]),
    states: z.array(z.object({ state: z.enum(RUN_STATES as [string, ...string[]]), at: isoTime }).strict()),
    created_at: isoTime,
    ended_at: isoTime.nullable(),
    event_count: z.number().int().nonnegative(),
    final_response: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).strict().nullable(),
    cancel_reason: z.string().nullable(),
  })
  .strict();
export type RunSnapshotJson = z.infer<typeof RunSnapshotSchema>;

export const ConnectionSchema = z
  .object({
    connection_id: z.string(),
    user_id: z.string().nullable(),
    thread_id: z.string().nullable(),
    state: z.string(),
    is_active: z.boolean(),
    created_at: isoTime,
    connected_at: isoTime.nullable(),
    last_activity: isoTime,
    message_count: z.number().int().nonnegative(),
    error_count: z.number().int().nonnegative(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .strict();
export const ConnectionsResponseSchema = z.object({ connections: z.array(ConnectionSchema) }).strict();

/** The most entries a listing of every user or every run answers (`truncated` says when there were more). */
export const MAX_LISTED = 1000;

export const UsersResponseSchema = z
  .object({
    users: z
      .array(
        z
          .object({
            user_id: UserIdSchema,
            connections: z.number().int().positive().meta({ description: 'open connections of the user, on every gateway process' }),
          })
          .strict(),
      )
      .max(MAX_LISTED)
      .meta({ description: 'ordered by user_id' }),
    truncated: z.boolean().meta({ description: `true when more than ${MAX_LISTED} users are connected (the first ${MAX_LISTED} by user_id are listed)` }),
  })
  .strict();

export const RunsQuerySchema = z
  .object({ state: z.literal('live').meta({ description: 'live: the runs in flight (not ended), on every gateway process' }) })
  .strict();

/** A run in flight as a listing shows it (GET /api/v1/runs/{run_id} has the rest). */
export const LiveRunSchema = z
  .object({
    run_id: RunIdSchema,
    user_id: UserIdSchema,
    thread_id: ThreadIdSchema,
    agent: z.string(),
    state: z.enum(RUN_STATES as [string, ...string[]]),
    created_at: isoTime,
    event_count: z.number().int().nonnegative(),
  })
  .strict();
export type LiveRunJson = z.infer<typeof LiveRunSchema>;

export const LiveRunsResponseSchema = z
  .object({
    runs: z.array(LiveRunSchema).max(MAX_LISTED).meta({ description: 'oldest first' }),
    truncated: z.boolean().meta({ description: `true when more than ${MAX_LISTED} runs are in flight (the ${MAX_LISTED} oldest are listed)` }),
  })
  .strict();

/** Close codes a backend may ask for: normal, going away, policy violation, or an application's 4000–4999. */
export const DisconnectCloseCodeSchema = z.union([z.literal(1000), z.literal(1001), z.literal(1008), z.number().int().min(4000).max(4999)]);
export const DisconnectRequestSchema = z
  .object({
    code: DisconnectCloseCodeSchema.optional().meta({ description: 'the WebSocket close code (default 1000)' }),
    reason: z.string().max(123).optional().meta({ description: 'logged with the disconnect (the close frame carries the reason "removed")' }),
  })
  .strict();
export const DisconnectResponseSchema = z.object({ closed: z.number().int().nonnegative() }).strict();

/** The most events one JSON delivery may carry (a stream, text/event-stream, has no such bound: each event is bounded instead). */
export const MAX_EVENTS_PER_DELIVERY = 1000;

export const StartExternalRunRequestSchema = z
  .object({
    user_id: UserIdSchema,
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'name is 1 to 64 letters, digits, _ . - (starting with a letter or digit)' })
      .optional()
      .meta({ description: "what the run's agent is called in logs and the run's snapshot (default external)" }),
    thread_id: ThreadIdSchema.optional(),
    timeout_ms: z
      .number()
      .int()
      .min(1_000)
      .max(86_400_000)
      .optional()
      .meta({ description: 'the run ends as timed_out this long after it started unless its RUN_FINISHED or RUN_ERROR came (default AGENTWIRE_RUN_TIMEOUT_MS)' }),
  })
  .strict();

/** An AG-UI event as JSON; each is validated with @ag-ui/core's EventSchemas when it arrives. */
const AgUiEventJsonSchema = z
  .object({ type: z.string() })
  .loose()
  .meta({ description: "an AG-UI event (https://docs.ag-ui.com/concepts/events), checked with @ag-ui/core's EventSchemas" });

export const RunEventsRequestSchema = z
  .object({
    events: z.array(AgUiEventJsonSchema).min(1).max(MAX_EVENTS_PER_DELIVERY),
  })
  .strict();

export const RunEventsResponseSchema = z
  .object({
    accepted: z.number().int().nonnegative().meta({ description: 'events of this call that entered the run' }),
    finished: z.boolean().meta({ description: 'true once the run has ended (its RUN_FINISHED or RUN_ERROR arrived)' }),
  })
  .strict();

/** Every refusal: the same codes as the socket's `error` messages. */
export const ApiErrorSchema = z
  .object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), ref: z.string().optional() }).strict() })
  .strict();
