import { AGENT_EVENT_TYPES, AgentEventType, TERMINAL_AGENT_EVENT_TYPES } from './wire/agent-events';
import { EventType, RUN_EVENT_TYPES, TERMINAL_RUN_EVENT_TYPES } from './wire/run-events';

/** The parts of an event or envelope the ordering rules look at. */
export interface OrderedEvent {
  readonly type: string;
  readonly seq?: number | null;
  /** On a compacted delta (agentwire.v2): the first of the positions first_seq..seq it stands for. */
  readonly first_seq?: number;
  readonly user_id?: string;
  readonly run_id?: string;
  readonly thread_id?: string;
  readonly payload?: Readonly<Record<string, unknown>>;
}

export interface OrderingReport {
  readonly ok: boolean;
  /** Every rule broken, in the order found; empty when ok. */
  readonly problems: readonly string[];
}

const agentEventTypes: ReadonlySet<string> = new Set([...AGENT_EVENT_TYPES, ...RUN_EVENT_TYPES]);

/** The rules of one vocabulary for one run, with the state they keep while the run's events go by. */
interface RunRules {
  /** The event that opens a run. */
  readonly started: string;
  readonly known: ReadonlySet<string>;
  /** What an event of `known` is called, for "is not …". */
  readonly kind: string;
  readonly terminal: ReadonlySet<string>;
  /** Checks an event before the terminal one (and the terminal one itself). */
  follow(event: OrderedEvent, at: string, problems: string[]): void;
}

/**
 * The rules both vocabularies share: the run's first event opens it and nothing opens it again;
 * one run_id and thread_id throughout; rising seq where present; exactly one terminal event and
 * nothing after it.
 */
function checkRun(events: readonly OrderedEvent[], rules: RunRules): OrderingReport {
  const problems: string[] = [];
  const first = events[0] as OrderedEvent;
  if (first.type !== rules.started) problems.push(`event 1 is ${first.type}, expected ${rules.started} first`);
  const runId = first.run_id;
  const threadId = first.thread_id;
  if (runId === undefined) problems.push('event 1 has no run_id');
  if (threadId === undefined) problems.push('event 1 has no thread_id');
  let terminalAt = -1;
  let previousSeq: number | null = null;
  events.forEach((event, index) => {
    const at = `event ${index + 1} (${event.type})`;
    if (!rules.known.has(event.type)) problems.push(`${at} is not ${rules.kind}`);
    if (event.run_id !== runId) problems.push(`${at} has run_id ${String(event.run_id)}, expected ${String(runId)}`);
    if (event.thread_id !== threadId) problems.push(`${at} has thread_id ${String(event.thread_id)}, expected ${String(threadId)}`);
    if (typeof event.seq === 'number') {
      if (previousSeq !== null && event.seq <= previousSeq) problems.push(`${at} has seq ${event.seq} after ${previousSeq}`);
      previousSeq = event.seq;
    }
    if (terminalAt >= 0) {
      problems.push(`${at} follows the terminal event ${(events[terminalAt] as OrderedEvent).type} (event ${terminalAt + 1})`);
      return;
    }
    if (event.type === rules.started && index > 0) problems.push(`${at}: ${rules.started} again`);
    rules.follow(event, at, problems);
    if (rules.terminal.has(event.type)) terminalAt = index;
  });
  if (terminalAt < 0) problems.push(`no terminal event (${[...rules.terminal].join(' or ')})`);
  return { ok: problems.length === 0, problems };
}

/**
 * Checks one run's events against the contract, in either vocabulary (by its first event).
 * v1: agent_started first and once; tool_completed only after a tool_executing of the same
 * tool; exactly one terminal event (agent_completed, agent_error or agent_cancelled) and nothing
 * after it; one run_id and thread_id throughout; rising seq where present; no tool left running
 * at agent_completed. agentwire.v2: see agUiRules.
 */
export function checkRunEventOrder(events: readonly OrderedEvent[]): OrderingReport {
  if (events.length === 0) return { ok: false, problems: ['no events'] };
  return checkRun(events, RUN_EVENT_TYPES.has((events[0] as OrderedEvent).type) ? agUiRules() : v1Rules());
}

const V1_EVENT_TYPES: ReadonlySet<string> = new Set(AGENT_EVENT_TYPES);

function v1Rules(): RunRules {
  const openTools = new Map<string, number>();
  return {
    started: AgentEventType.AgentStarted,
    known: V1_EVENT_TYPES,
    kind: 'an agent event',
    terminal: TERMINAL_AGENT_EVENT_TYPES,
    follow(event, at, problems) {
      const toolName = typeof event.payload?.['tool_name'] === 'string' ? (event.payload['tool_name'] as string) : undefined;
      if (event.type === AgentEventType.ToolExecuting) {
        if (toolName === undefined) problems.push(`${at} has no tool_name`);
        else openTools.set(toolName, (openTools.get(toolName) ?? 0) + 1);
      }
      if (event.type === AgentEventType.ToolCompleted) {
        const open = toolName === undefined ? 0 : (openTools.get(toolName) ?? 0);
        if (open === 0) problems.push(`${at}: tool_completed for ${String(toolName)} without a tool_executing before it`);
        else if (toolName !== undefined) openTools.set(toolName, open - 1);
      }
      if (event.type === AgentEventType.AgentCompleted) {
        const running = [...openTools].filter(([, count]) => count > 0).map(([name]) => name);
        if (running.length > 0) problems.push(`${at}: agent_completed while ${running.join(', ')} still executing`);
      }
    },
  };
}

function idOf(event: OrderedEvent, field: string): string | undefined {
  const value = event.payload?.[field];
  return typeof value === 'string' ? value : undefined;
}

/** What must open a streamed thing before its other events, by the event types that continue and close it. */
const OPENED_BY: Readonly<Record<string, { readonly opener: string; readonly field: string; readonly closes: boolean }>> = {
  [EventType.TEXT_MESSAGE_CONTENT]: { opener: EventType.TEXT_MESSAGE_START, field: 'messageId', closes: false },
  [EventType.TEXT_MESSAGE_END]: { opener: EventType.TEXT_MESSAGE_START, field: 'messageId', closes: true },
  [EventType.REASONING_MESSAGE_CONTENT]: { opener: EventType.REASONING_MESSAGE_START, field: 'messageId', closes: false },
  [EventType.REASONING_MESSAGE_END]: { opener: EventType.REASONING_MESSAGE_START, field: 'messageId', closes: true },
  [EventType.TOOL_CALL_ARGS]: { opener: EventType.TOOL_CALL_START, field: 'toolCallId', closes: false },
  [EventType.TOOL_CALL_END]: { opener: EventType.TOOL_CALL_START, field: 'toolCallId', closes: true },
  [EventType.STEP_FINISHED]: { opener: EventType.STEP_STARTED, field: 'stepName', closes: true },
};
const OPENERS: Readonly<Record<string, string>> = {
  [EventType.TEXT_MESSAGE_START]: 'messageId',
  [EventType.REASONING_MESSAGE_START]: 'messageId',
  [EventType.TOOL_CALL_START]: 'toolCallId',
  [EventType.STEP_STARTED]: 'stepName',
};

/**
 * The agentwire.v2 rules for one run's AG-UI events: RUN_STARTED first and once, with the
 * envelope's ids; each payload's type is its envelope's; a message's, tool call's or step's
 * continuation and end only after its start and nothing of it after its end; a tool result
 * only after the call's end; exactly one terminal event (RUN_FINISHED or RUN_ERROR) and nothing
 * after it; RUN_FINISHED only when every message, tool call and step it opened has ended.
 */
function agUiRules(): RunRules {
  const open = new Map<string, boolean>(); // `${opener}:${id}` → still open
  const endedToolCalls = new Set<string>();
  return {
    started: EventType.RUN_STARTED,
    known: RUN_EVENT_TYPES,
    kind: 'an AG-UI event',
    terminal: TERMINAL_RUN_EVENT_TYPES,
    follow(event, at, problems) {
      if (event.payload !== undefined && event.payload['type'] !== event.type) problems.push(`${at} has payload.type ${String(event.payload['type'])}`);
      const openerField = OPENERS[event.type];
      if (openerField !== undefined) {
        const key = `${event.type}:${String(idOf(event, openerField))}`;
        if (open.get(key) === true) problems.push(`${at}: ${key} started again`);
        open.set(key, true);
      }
      const continues = OPENED_BY[event.type];
      if (continues !== undefined) {
        const id = idOf(event, continues.field);
        const key = `${continues.opener}:${String(id)}`;
        if (open.get(key) !== true) problems.push(`${at}: ${continues.field} ${String(id)} is not open`);
        else if (continues.closes) {
          open.set(key, false);
          if (event.type === EventType.TOOL_CALL_END && id !== undefined) endedToolCalls.add(id);
        }
      }
      if (event.type === EventType.TOOL_CALL_RESULT) {
        const id = idOf(event, 'toolCallId');
        if (id === undefined || !endedToolCalls.has(id)) problems.push(`${at}: result of tool call ${String(id)} before its TOOL_CALL_END`);
      }
      if (event.type === EventType.RUN_FINISHED) {
        const still = [...open].filter(([, isOpen]) => isOpen).map(([key]) => key);
        if (still.length > 0) problems.push(`${at}: RUN_FINISHED while ${still.join(', ')} still open`);
      }
    },
  };
}

/**
 * Groups the agent events of a stream by run_id and checks each run; other messages are
 * skipped. Problems are prefixed with the run id.
 */
export function checkEventStreams(events: readonly OrderedEvent[]): OrderingReport & { runs: number } {
  const runs = new Map<string, OrderedEvent[]>();
  const problems: string[] = [];
  for (const event of events) {
    if (!agentEventTypes.has(event.type)) continue;
    if (event.type === EventType.CUSTOM && event.run_id === undefined) continue; // a v2 replay gap
    if (event.run_id === undefined) {
      problems.push(`${event.type} without run_id`);
      continue;
    }
    let list = runs.get(event.run_id);
    if (list === undefined) runs.set(event.run_id, (list = []));
    list.push(event);
  }
  for (const [runId, list] of runs) {
    for (const problem of checkRunEventOrder(list).problems) problems.push(`${runId}: ${problem}`);
  }
  return { ok: problems.length === 0, problems, runs: runs.size };
}

/**
 * Checks what one connection received of its user's stream: every stream message (seq not
 * null) is addressed to `userId` and follows the previous one by exactly 1 (a compacted delta
 * covers first_seq..seq: its first_seq follows), starting after `afterSeq` when given.
 * Connection-scoped messages (seq null) must also be the user's.
 */
export function checkUserStream(
  envelopes: readonly OrderedEvent[],
  userId: string,
  options: { afterSeq?: number } = {},
): OrderingReport {
  const problems: string[] = [];
  let expected = options.afterSeq === undefined ? null : options.afterSeq + 1;
  envelopes.forEach((envelope, index) => {
    const at = `message ${index + 1} (${envelope.type})`;
    if (envelope.user_id !== userId) problems.push(`${at} is addressed to ${String(envelope.user_id)}, not ${userId}`);
    if (typeof envelope.seq !== 'number') return;
    const first = envelope.first_seq ?? envelope.seq;
    if (first > envelope.seq) problems.push(`${at} has first_seq ${first} above its seq ${envelope.seq}`);
    if (expected !== null && first !== expected) {
      problems.push(envelope.first_seq === undefined ? `${at} has seq ${envelope.seq}, expected ${expected}` : `${at} covers ${first}..${envelope.seq}, expected it to start at ${expected}`);
    }
    expected = envelope.seq + 1;
  });
  return { ok: problems.length === 0, problems };
}
