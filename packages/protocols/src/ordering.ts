import { AGENT_EVENT_TYPES, AgentEventType, TERMINAL_AGENT_EVENT_TYPES } from './wire/agent-events';

/** The parts of an event or envelope the ordering rules look at. */
export interface OrderedEvent {
  readonly type: string;
  readonly seq?: number | null;
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

const agentEventTypes: ReadonlySet<string> = new Set(AGENT_EVENT_TYPES);

/**
 * Checks one run's events against the contract: agent_started first and once; tool_completed
 * only after a tool_executing of the same tool; exactly one terminal event (agent_completed,
 * agent_error or agent_cancelled) and nothing after it; one run_id and thread_id throughout;
 * rising seq where present; no tool left running at agent_completed.
 */
export function checkRunEventOrder(events: readonly OrderedEvent[]): OrderingReport {
  const problems: string[] = [];
  if (events.length === 0) return { ok: false, problems: ['no events'] };
  const first = events[0] as OrderedEvent;
  if (first.type !== AgentEventType.AgentStarted) problems.push(`event 1 is ${first.type}, expected agent_started first`);
  const runId = first.run_id;
  const threadId = first.thread_id;
  if (runId === undefined) problems.push('event 1 has no run_id');
  if (threadId === undefined) problems.push('event 1 has no thread_id');

  const openTools = new Map<string, number>();
  let terminalAt = -1;
  let previousSeq: number | null = null;
  events.forEach((event, index) => {
    const at = `event ${index + 1} (${event.type})`;
    if (!agentEventTypes.has(event.type)) problems.push(`${at} is not an agent event`);
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
    if (event.type === AgentEventType.AgentStarted && index > 0) problems.push(`${at}: agent_started again`);
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
    if (TERMINAL_AGENT_EVENT_TYPES.has(event.type as AgentEventType)) {
      terminalAt = index;
      if (event.type === AgentEventType.AgentCompleted) {
        const running = [...openTools].filter(([, count]) => count > 0).map(([name]) => name);
        if (running.length > 0) problems.push(`${at}: agent_completed while ${running.join(', ')} still executing`);
      }
    }
  });
  if (terminalAt < 0) problems.push('no terminal event (agent_completed, agent_error or agent_cancelled)');
  return { ok: problems.length === 0, problems };
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
 * null) is addressed to `userId` and follows the previous one by exactly 1, starting after
 * `afterSeq` when given. Connection-scoped messages (seq null) must also be the user's.
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
    if (expected !== null && envelope.seq !== expected) problems.push(`${at} has seq ${envelope.seq}, expected ${expected}`);
    expected = envelope.seq + 1;
  });
  return { ok: problems.length === 0, problems };
}
