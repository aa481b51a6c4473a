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
export const AgentInputSchema = z.union([z.string(), z.record(z.string(), z.unknown())]);
export type AgentInput = z.infer<typeof AgentInputSchema>;

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
