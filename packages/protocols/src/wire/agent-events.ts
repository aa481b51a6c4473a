import { z } from 'zod';

/** The one list of agent event types, in the order a run emits them. */
export const AgentEventType = {
  AgentStarted: 'agent_started',
  AgentThinking: 'agent_thinking',
  ToolExecuting: 'tool_executing',
  ToolCompleted: 'tool_completed',
  AgentCompleted: 'agent_completed',
  AgentError: 'agent_error',
  AgentCancelled: 'agent_cancelled',
} as const;
export type AgentEventType = (typeof AgentEventType)[keyof typeof AgentEventType];
export const AGENT_EVENT_TYPES = Object.values(AgentEventType) as [AgentEventType, ...AgentEventType[]];

/** Events that end a run: exactly one per run, and nothing of the run after it. */
export const TERMINAL_AGENT_EVENT_TYPES: ReadonlySet<AgentEventType> = new Set([
  AgentEventType.AgentCompleted,
  AgentEventType.AgentError,
  AgentEventType.AgentCancelled,
]);

/**
 * Events a slow consumer may lose (and is told so with replay_gap): only reasoning text.
 * Lifecycle events, tool events and errors are never dropped.
 */
export const DROPPABLE_MESSAGE_TYPES: ReadonlySet<string> = new Set([AgentEventType.AgentThinking]);

/** What an agent is asked: text for conversational agents, an object of options for others. */
export type AgentInput = string | Record<string, unknown>;

/**
 * True for an agent's input: text, or an object made as JSON makes one (a prototype of
 * Object.prototype or null) with no own `__proto__` key. AgentInputSchema's check, and the
 * execution tracker's for a run started in process.
 */
export function isAgentInput(value: unknown): value is AgentInput {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && !Object.hasOwn(value, '__proto__');
}

/**
 * The schema of AgentInput. It is one check, not z.union([z.string(), z.record(z.string(),
 * z.unknown())]): that record copies the object and runs a schema on every key and every value,
 * about 1.5 KB allocated for an input of three keys, most of what zod allocated to check a
 * start_agent (allocation spec in wire-schemas.spec.ts). For a parsed JSON value both accept the
 * same inputs, except an own `__proto__` key, which the record dropped and this refuses; the
 * value passes as it is, not copied. The JSON Schema stays the record's (meta).
 */
export const AgentInputSchema = z
  .custom<AgentInput>(isAgentInput, { error: 'input must be text or a JSON object (without a __proto__ key)' })
  .meta({ anyOf: [{ type: 'string' }, { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} }] });

const nonEmpty = z.string().min(1);
const durationMs = z.number().nonnegative();

/** Payload schema of each agent event type (DESIGN.md, wire contract v1). */
export const AgentEventPayloadSchemas = {
  agent_started: z.object({ agent_name: nonEmpty, input: AgentInputSchema }),
  agent_thinking: z.object({ reasoning: z.string() }),
  tool_executing: z.object({ tool_name: nonEmpty, parameters: z.record(z.string(), z.unknown()) }),
  tool_completed: z.object({ tool_name: nonEmpty, results: z.unknown(), duration_ms: durationMs, success: z.boolean() }),
  agent_completed: z.object({
    status: z.literal('completed'),
    final_response: z.string(),
    duration_ms: durationMs,
    event_count: z.number().int().nonnegative(),
  }),
  agent_error: z.object({ code: nonEmpty, message: z.string() }),
  agent_cancelled: z.object({ reason: z.string().optional() }),
} as const satisfies Record<AgentEventType, z.ZodType>;

export type AgentEventPayloads = { [K in AgentEventType]: z.infer<(typeof AgentEventPayloadSchemas)[K]> };
