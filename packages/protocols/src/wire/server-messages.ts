import { ConnectionIdSchema, type RunId, RunIdSchema, type ThreadId, ThreadIdSchema, UserIdSchema } from '@agentwirejs/types';
import { z } from 'zod';
import { EventSchemas } from '@ag-ui/core/schemas';
import { AGENT_EVENT_TYPES, AgentEventPayloadSchemas, type AgentEventType } from './agent-events';
import { ERROR_CODES, WIRE_PROTOCOLS } from './codes';
import { RequestIdSchema } from './client-messages';

/** A position in a user's stream: 1, 2, 3, … with no gaps. */
export const StreamSeqSchema = z.number().int().positive();
const timestamp = z.iso.datetime({ offset: true });

/** Fields every server → client envelope has. */
const envelopeBase = {
  ts: timestamp,
  user_id: UserIdSchema,
  thread_id: ThreadIdSchema.optional(),
  run_id: RunIdSchema.optional(),
};

/**
 * Any server → client envelope: `{type, seq, ts, user_id, thread_id?, run_id?, payload}`.
 * `seq` is the user's stream position, or null for messages that belong to one connection.
 * Clients should ignore types they do not know.
 */
export const ServerEnvelopeSchema = z.object({
  type: z.string().min(1),
  seq: StreamSeqSchema.nullable(),
  ...envelopeBase,
  payload: z.record(z.string(), z.unknown()),
});
export type ServerEnvelope = z.infer<typeof ServerEnvelopeSchema>;

/**
 * A message of a room's own stream, what a connection joined to the room with `stream: 'room'`
 * receives: `{type, seq: null, room, room_seq, ts, thread_id?, run_id?, payload}`. The same frame
 * goes to every member, so it names no user and takes no place in the user's stream (seq null);
 * `room_seq` is the room's position (1, 2, 3, … with no gaps), null on the room's `replay_gap`
 * (payload {from_seq, to_seq} in room positions).
 */
export const RoomEnvelopeSchema = z.object({
  type: z.string().min(1),
  seq: z.null(),
  room: z.string().min(1),
  room_seq: StreamSeqSchema.nullable(),
  ts: timestamp,
  thread_id: ThreadIdSchema.optional(),
  run_id: RunIdSchema.optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type RoomEnvelope = z.infer<typeof RoomEnvelopeSchema>;

/** First message on every connection. Connection-scoped: seq null. */
export const ConnectionEstablishedSchema = z.object({
  type: z.literal('connection_established'),
  seq: z.null(),
  ...envelopeBase,
  payload: z.object({
    connection_id: ConnectionIdSchema,
    protocol: z.enum(WIRE_PROTOCOLS),
    last_seq: z.number().int().nonnegative(),
    /**
     * Names this incarnation of the user's stream; seq positions are comparable only within one
     * epoch. A client that resumes with a position from another epoch (or sees last_seq below its
     * own position) must forget that position: the stream started over.
     */
    epoch: z.string().min(1).max(64),
  }),
});

/** Answer to ping. Connection-scoped: seq null. */
export const PongSchema = z.object({
  type: z.literal('pong'),
  seq: z.null(),
  ...envelopeBase,
  payload: z.object({}),
});

/**
 * A refresh_token was accepted. Connection-scoped: seq null. `expires_at` is when the connection
 * now closes with 1008 unless another refresh comes first: the new token's exp plus the allowed
 * clock skew (never earlier than before the refresh).
 */
export const TokenRefreshedSchema = z.object({
  type: z.literal('token_refreshed'),
  seq: z.null(),
  ...envelopeBase,
  payload: z.object({ expires_at: timestamp }),
});

/**
 * A request that carried a request_id was taken: its one answer when not refused (`error` with the
 * same request_id otherwise). `run_id` and `thread_id` name the run a start_agent or user_message
 * started. Connection-scoped: seq null; only a client that sends request_id ever gets one.
 */
export const AckSchema = z.object({
  type: z.literal('ack'),
  seq: z.null(),
  ...envelopeBase,
  payload: z.object({ request_id: RequestIdSchema, run_id: RunIdSchema.optional(), thread_id: ThreadIdSchema.optional() }),
});

/** A request was refused; the connection stays open. Connection-scoped: seq null. */
export const ErrorMessageSchema = z.object({
  type: z.literal('error'),
  seq: z.null(),
  ...envelopeBase,
  payload: z.object({
    // a built-in code, or an application's own (MessageRejectedError('quota_exceeded', …)): lower-case snake case, at most 64 characters
    code: z.union([z.enum(ERROR_CODES), z.string().max(64).regex(/^[a-z][a-z0-9_]*$/, { error: 'an error code is lower-case snake_case' })]),
    message: z.string(),
    ref: z.string().optional(),
    /** The refused request's request_id, when it carried one. */
    request_id: RequestIdSchema.optional(),
  }),
});

/** Positions from_seq..to_seq of a user's stream: what a replay gap says cannot be delivered. */
const GapRangeSchema = z
  .object({ from_seq: StreamSeqSchema, to_seq: StreamSeqSchema })
  .refine((gap) => gap.to_seq >= gap.from_seq, { error: 'to_seq must not be below from_seq' });
/** The wire's gap range (`replay_gap`'s payload, `agentwire.replay_gap`'s value); StreamGap is the same positions inside the packages. */
export type ReplayGapRange = z.infer<typeof GapRangeSchema>;

/**
 * Events from_seq..to_seq of the user's stream cannot be delivered (evicted from the replay
 * buffer, or dropped for a slow consumer). Sent during a replay for one connection it carries
 * seq null; as part of the stream it carries the stream position it took.
 */
export const ReplayGapSchema = z.object({
  type: z.literal('replay_gap'),
  seq: StreamSeqSchema.nullable(),
  ...envelopeBase,
  payload: GapRangeSchema,
});

function agentEventSchema<K extends AgentEventType>(type: K) {
  return z.object({
    type: z.literal(type),
    seq: StreamSeqSchema,
    ts: timestamp,
    user_id: UserIdSchema,
    thread_id: ThreadIdSchema,
    run_id: RunIdSchema,
    payload: AgentEventPayloadSchemas[type],
  });
}

/** Agent event envelopes of wire contract v1 (what a v1 connection receives): always carry run_id and thread_id. */
export const AgentEventEnvelopeSchemas = {
  agent_started: agentEventSchema('agent_started'),
  agent_thinking: agentEventSchema('agent_thinking'),
  tool_executing: agentEventSchema('tool_executing'),
  tool_completed: agentEventSchema('tool_completed'),
  agent_completed: agentEventSchema('agent_completed'),
  agent_error: agentEventSchema('agent_error'),
  agent_cancelled: agentEventSchema('agent_cancelled'),
} as const;

export const AgentEventEnvelopeSchema = z.discriminatedUnion(
  'type',
  AGENT_EVENT_TYPES.map((type) => AgentEventEnvelopeSchemas[type]) as unknown as [
    (typeof AgentEventEnvelopeSchemas)['agent_started'],
    ...(typeof AgentEventEnvelopeSchemas)[AgentEventType][],
  ],
);
export type AgentEventEnvelope = z.infer<typeof AgentEventEnvelopeSchema>;

/** Every server → client message type of wire contract v1 (agentwire.v1). */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  ConnectionEstablishedSchema,
  PongSchema,
  TokenRefreshedSchema,
  AckSchema,
  ErrorMessageSchema,
  ReplayGapSchema,
  ...Object.values(AgentEventEnvelopeSchemas),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type ServerMessageType = ServerMessage['type'];

/** The messages for one connection only (seq null): every other server message is part of the user's stream. */
export const CONNECTION_SCOPED_MESSAGE_TYPES: readonly string[] = ['connection_established', 'pong', 'token_refreshed', 'ack', 'error'];

export const SERVER_MESSAGE_SCHEMAS = {
  connection_established: ConnectionEstablishedSchema,
  pong: PongSchema,
  token_refreshed: TokenRefreshedSchema,
  ack: AckSchema,
  error: ErrorMessageSchema,
  replay_gap: ReplayGapSchema,
  ...AgentEventEnvelopeSchemas,
} as const satisfies Record<ServerMessageType, z.ZodType>;

/**
 * What a sender hands a manager: the manager adds seq, ts and user_id. `type` is one of the
 * server message types above or an application type the clients agree on.
 */
export interface OutboundMessage {
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly thread_id?: ThreadId;
  readonly run_id?: RunId;
}

/**
 * A run event of agentwire.v2: `type` is the AG-UI event type and `payload` the AG-UI event
 * itself. `first_seq` is present on a compacted delta (one TEXT_MESSAGE_CONTENT,
 * REASONING_MESSAGE_CONTENT or TOOL_CALL_ARGS standing for the deltas first_seq..seq of one key):
 * a client keeps `seq` as its position, as for any envelope.
 */
export const RunEventEnvelopeSchema = z
  .object({
    type: z.string().min(1),
    seq: StreamSeqSchema,
    first_seq: StreamSeqSchema.optional(),
    ts: timestamp,
    user_id: UserIdSchema,
    thread_id: ThreadIdSchema,
    run_id: RunIdSchema,
    payload: EventSchemas,
  })
  .refine((envelope) => envelope.payload.type === envelope.type, { error: "payload.type must be the envelope's type" })
  .refine((envelope) => envelope.first_seq === undefined || envelope.first_seq <= envelope.seq, { error: 'first_seq must not be above seq' });
export type RunEventEnvelope = z.infer<typeof RunEventEnvelopeSchema>;

/**
 * A v2 client's replay gap: AG-UI's CUSTOM event named agentwire.replay_gap, with the positions
 * that cannot be delivered. Its seq is null during one connection's replay, or the position it
 * took in the stream; it belongs to no run.
 */
export const V2ReplayGapSchema = z.object({
  type: z.literal('CUSTOM'),
  seq: StreamSeqSchema.nullable(),
  ...envelopeBase,
  payload: z.object({
    type: z.literal('CUSTOM'),
    name: z.literal('agentwire.replay_gap'),
    value: GapRangeSchema,
  }),
});

/**
 * Every server → client message of agentwire.v2: the connection messages of v1, AG-UI run events
 * and replay gaps. Messages an application sends with sendToUser are generic envelopes (ServerEnvelopeSchema).
 */
export const V2ServerMessageSchema = z.union([ConnectionEstablishedSchema, PongSchema, TokenRefreshedSchema, AckSchema, ErrorMessageSchema, V2ReplayGapSchema, RunEventEnvelopeSchema]);
export type V2ServerMessage = z.infer<typeof V2ServerMessageSchema>;
