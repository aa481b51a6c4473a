import { EventType } from '@ag-ui/core';
import type { Event as AgUiEvent } from '@ag-ui/core';
import { EventSchemas } from '@ag-ui/core/schemas';
import type { RunId, ThreadId } from '@agentwirejs/types';

/**
 * Run events are AG-UI events (the open Agent–User Interaction protocol): the envelope's `type`
 * is the AG-UI event type and its `payload` is the AG-UI event object itself, valid against
 * `EventSchemas` from `@ag-ui/core/schemas`, so a client can hand it to any AG-UI consumer.
 */
export { EventType };

/** An AG-UI event object: the payload of a run event envelope. */
export type RunEventPayload = AgUiEvent;

/**
 * AG-UI events that open and close nothing and that no other reporter call makes: an agent
 * emits them as they are (AgentRunReporter.standaloneEvent), e.g. a remote agent's.
 */
export const STANDALONE_EVENT_TYPES = [EventType.MESSAGES_SNAPSHOT, EventType.ACTIVITY_SNAPSHOT, EventType.ACTIVITY_DELTA, EventType.RAW, EventType.REASONING_ENCRYPTED_VALUE] as const;
export type StandaloneRunEvent = Extract<RunEventPayload, { type: (typeof STANDALONE_EVENT_TYPES)[number] }>;

/** A run's event before the manager sequences it (see AgentEventSink). */
export interface AgentEvent {
  readonly type: EventType;
  readonly run_id: RunId;
  readonly thread_id: ThreadId;
  readonly payload: RunEventPayload;
}

/** Every AG-UI event type, as a set of strings (what a stream entry's type is compared with). */
export const RUN_EVENT_TYPES: ReadonlySet<string> = new Set<string>(Object.values(EventType));

/** Events that end a run: exactly one per run, and nothing of the run after it. */
export const TERMINAL_RUN_EVENT_TYPES: ReadonlySet<string> = new Set<string>([EventType.RUN_FINISHED, EventType.RUN_ERROR]);

/**
 * The key under which agentwire puts what AG-UI has no field for (a run's duration, a cancel
 * reason, a tool's success) in an event's `metadata`, the place AG-UI leaves open for producers.
 */
export const AGENTWIRE_METADATA_KEY = 'agentwire';

/** Names of the CUSTOM events agentwire itself emits; the `agentwire.` prefix is reserved. */
export const AgentwireCustomEvent = {
  /** value `{from_seq, to_seq}`: positions of the stream that cannot be delivered (a v2 client's replay_gap). */
  ReplayGap: 'agentwire.replay_gap',
  /** value: an AG-UI Interrupt `{id, reason, message?, responseSchema?, expiresAt?}`: the run waits for its user's answer. */
  Interrupt: 'agentwire.interrupt',
  /** value `{interruptId, status: 'resolved' | 'cancelled' | 'expired'}`: the interrupt no longer waits. */
  InterruptResolved: 'agentwire.interrupt_resolved',
} as const;
export type AgentwireCustomEvent = (typeof AgentwireCustomEvent)[keyof typeof AgentwireCustomEvent];
export const RESERVED_CUSTOM_EVENT_PREFIX = 'agentwire.';

/**
 * Delta events append text to something streamed (a message, a reasoning message, a tool call's
 * arguments). Consecutive deltas of one key may be merged into one by concatenating `delta`:
 * before they are sequenced (coalescing), on a replay (compaction) and in a slow consumer's queue.
 */
const DELTA_KEY_FIELD: Readonly<Record<string, 'messageId' | 'toolCallId'>> = {
  [EventType.TEXT_MESSAGE_CONTENT]: 'messageId',
  [EventType.REASONING_MESSAGE_CONTENT]: 'messageId',
  [EventType.TOOL_CALL_ARGS]: 'toolCallId',
};
export const DELTA_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(DELTA_KEY_FIELD));

/**
 * The merge key of a delta event (`<type>:<id>`), or null for any other event. Two deltas merge
 * only when their keys and run ids are equal.
 */
export function deltaKeyOf(type: string, payload: Readonly<Record<string, unknown>>): string | null {
  const field = DELTA_KEY_FIELD[type];
  if (field === undefined) return null;
  const id = payload[field];
  return typeof id === 'string' && typeof payload['delta'] === 'string' ? `${type}:${id}` : null;
}

/**
 * Events that state the whole of something (state, an activity, the messages): a newer one of
 * the same key makes an older one useless, so only these may be superseded in a slow consumer's
 * queue. The key: the type, plus the activity's messageId.
 */
export function replaceKeyOf(type: string, payload: Readonly<Record<string, unknown>>): string | null {
  if (type === EventType.STATE_SNAPSHOT || type === EventType.MESSAGES_SNAPSHOT) return type;
  if (type === EventType.ACTIVITY_SNAPSHOT && payload['replace'] !== false && typeof payload['messageId'] === 'string') {
    return `${type}:${payload['messageId']}`;
  }
  return null;
}

/** Checks an AG-UI event object against `EventSchemas`; returns the problem or null. */
export function validateRunEventPayload(payload: unknown): string | null {
  const result = EventSchemas.safeParse(payload);
  if (result.success) return null;
  const issue = result.error.issues[0];
  const where = issue !== undefined && issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : '';
  const type = typeof payload === 'object' && payload !== null ? String((payload as { type?: unknown }).type) : typeof payload;
  return `${type}${where}: ${issue?.message ?? 'invalid'}`;
}

/**
 * Checks a run event before it is sequenced: its payload is a valid AG-UI event of the envelope's
 * type, and the ids a RUN_STARTED or RUN_FINISHED names are the envelope's. Returns the problem or null.
 */
export function validateAgentEvent(event: AgentEvent): string | null {
  if (typeof event !== 'object' || event === null) return 'an agent event must be an object';
  const { payload } = event;
  if (typeof payload !== 'object' || payload === null) return `${String(event.type)}: payload must be an AG-UI event object`;
  if (payload.type !== event.type) return `${String(event.type)}: payload.type is ${String(payload.type)}, not the envelope's type`;
  const problem = validateRunEventPayload(payload);
  if (problem !== null) return problem;
  if (payload.type === EventType.RUN_STARTED || payload.type === EventType.RUN_FINISHED) {
    if (payload.runId !== event.run_id) return `${payload.type}.runId ${payload.runId} is not the envelope's run_id ${event.run_id}`;
    if (payload.threadId !== event.thread_id) return `${payload.type}.threadId ${payload.threadId} is not the envelope's thread_id ${event.thread_id}`;
  }
  return null;
}
