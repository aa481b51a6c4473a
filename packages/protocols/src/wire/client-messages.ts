import { RunIdSchema, ThreadIdSchema } from '@agentwirejs/types';
import { z } from 'zod';
import { AgentInputSchema } from './agent-events';

/**
 * Client → server messages. Unknown keys are stripped, so a `user_id` a client puts in a
 * message never reaches a handler: identity comes from the verified token only.
 */
/**
 * The deepest nesting of objects and arrays a client message may have; the message object is
 * level 1, so `{"type":"start_agent","input":{"a":[1]}}` is 3 deep. A deeper frame is refused
 * with invalid_message before anything walks it (a recursive walk of a 5,000-level value
 * overflows the stack).
 */
export const MAX_MESSAGE_DEPTH = 64;

/**
 * A client's name for one request (any client message may carry it): the gateway echoes it on
 * the request's one answer, an `ack` when it was taken or an `error` when it was refused, so a
 * client matches answers to requests without relying on order. 1 to 64 visible ASCII characters.
 */
export const RequestIdSchema = z.string().regex(/^[\x21-\x7e]{1,64}$/, { error: 'request_id must be 1 to 64 visible ASCII characters' });

/** The field every client message may carry (see RequestIdSchema). */
const requestId = { request_id: RequestIdSchema.optional() };

export const UserMessageSchema = z.object({
  type: z.literal('user_message'),
  ...requestId,
  text: z.string().min(1, { error: 'text must not be empty' }),
  thread_id: ThreadIdSchema.optional(),
});

export const StartAgentSchema = z.object({
  type: z.literal('start_agent'),
  ...requestId,
  // One pattern, its length included: each check zod runs on a start_agent is allocation of every run.
  agent: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, { error: 'agent must be a lower-case agent name of at most 64 characters' }),
  input: AgentInputSchema,
  thread_id: ThreadIdSchema.optional(),
});

export const CancelRunSchema = z.object({ type: z.literal('cancel_run'), ...requestId, run_id: RunIdSchema });

export const PingSchema = z.object({ type: z.literal('ping'), ...requestId });

export const ResumeSchema = z.object({ type: z.literal('resume'), ...requestId, after_seq: z.number().int().nonnegative() });

/**
 * The longest token a refresh_token may carry: far above any HS256 JWT with ordinary claims, and
 * about the size of the HTTP header a token travels in at the upgrade.
 */
export const MAX_TOKEN_CHARS = 8192;

/**
 * A fresh access token for the open connection, sent before the current one expires. The gateway
 * verifies it as at the upgrade; when it names the same user the connection's expiry moves to it
 * (answered with token_refreshed), so a connection whose tokens keep being refreshed stays open.
 */
export const RefreshTokenSchema = z.object({
  type: z.literal('refresh_token'),
  ...requestId,
  token: z.string().min(1, { error: 'token must not be empty' }).max(MAX_TOKEN_CHARS, { error: `token must be at most ${MAX_TOKEN_CHARS} characters` }),
});

/**
 * The user's answer to a question a run asked (CUSTOM agentwire.interrupt): from any tab and any
 * gateway process. `value` must satisfy the question's responseSchema; the run then goes on.
 */
export const AnswerInterruptSchema = z.object({
  type: z.literal('answer_interrupt'),
  ...requestId,
  run_id: RunIdSchema,
  interrupt_id: z.string().min(1).max(256),
  value: z.unknown().refine((value) => value !== undefined, { error: 'value is required' }),
});

export const ClientMessageSchema = z.discriminatedUnion('type', [
  UserMessageSchema,
  StartAgentSchema,
  CancelRunSchema,
  PingSchema,
  ResumeSchema,
  RefreshTokenSchema,
  AnswerInterruptSchema,
]);

export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;

export const CLIENT_MESSAGE_SCHEMAS = {
  user_message: UserMessageSchema,
  start_agent: StartAgentSchema,
  cancel_run: CancelRunSchema,
  ping: PingSchema,
  resume: ResumeSchema,
  refresh_token: RefreshTokenSchema,
  answer_interrupt: AnswerInterruptSchema,
} as const satisfies { [K in ClientMessageType]: z.ZodType<ClientMessageOf<K>> };

export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT_MESSAGE_SCHEMAS) as ClientMessageType[];
