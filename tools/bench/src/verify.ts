import { AGENT_EVENT_TYPES, type OrderedEvent, RUN_EVENT_TYPES, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';

/** What the load generator reads of each received envelope: its header, and of the payload only n and t. */
export interface SlimEnvelope extends OrderedEvent {
  readonly type: string;
  readonly seq: number | null;
  readonly user_id?: string;
  readonly thread_id?: string;
  readonly run_id?: string;
  /** payload.n: the number of a room message or latency probe. */
  readonly n?: number;
  /** payload.t: a latency probe's publish time (CLOCK_MONOTONIC, µs). */
  readonly t?: number;
}

/** The outcome of checking one client or a whole run. */
export interface Verdict {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

const AGENT_EVENTS: ReadonlySet<string> = new Set([...AGENT_EVENT_TYPES, ...RUN_EVENT_TYPES]);

/** True for the agent event types of the wire contract, v1's and AG-UI's run events (the lists of @agentwirejs/protocols). */
export function isAgentEvent(type: string): boolean {
  return AGENT_EVENTS.has(type);
}

/**
 * One client's share of a unicast run: exactly `runs` runs of `eventsPerRun` agent events each,
 * every envelope addressed to `userId`, stream positions consecutive after `afterSeq` (no loss,
 * no duplicate, no reorder), every run in contract order (checkUserStream and checkEventStreams
 * of @agentwirejs/protocols).
 */
export function verifyRuns(records: readonly SlimEnvelope[], expected: { userId: string; afterSeq: number; runs: number; eventsPerRun: number }): Verdict {
  const problems: string[] = [...checkUserStream(records, expected.userId, { afterSeq: expected.afterSeq }).problems];
  const streams = checkEventStreams(records);
  problems.push(...streams.problems);
  if (streams.runs !== expected.runs) problems.push(`${streams.runs} runs received, expected ${expected.runs}`);
  const events = records.filter((record) => isAgentEvent(record.type)).length;
  if (events !== expected.runs * expected.eventsPerRun) problems.push(`${events} agent events received, expected ${expected.runs * expected.eventsPerRun}`);
  return { ok: problems.length === 0, problems };
}

/**
 * One client's share of a room broadcast: messages numbered 1..count (payload.n) in order, each
 * once; with `sequenced` (agentwire, where a room message enters each member's own stream) also
 * addressed to `userId` with consecutive stream positions; without it (the baselines send one
 * shared frame) carrying no other user's id.
 */
export function verifyBroadcast(records: readonly SlimEnvelope[], expected: { userId: string; afterSeq: number; count: number; sequenced: boolean }): Verdict {
  const problems: string[] = [];
  const numbers = records.map((record) => record.n);
  if (numbers.length !== expected.count) problems.push(`${numbers.length} room messages received, expected ${expected.count}`);
  const outOfOrder = numbers.findIndex((n, index) => n !== index + 1);
  if (outOfOrder >= 0) problems.push(`room message ${outOfOrder + 1} has n ${String(numbers[outOfOrder])}, expected ${outOfOrder + 1}`);
  if (expected.sequenced) {
    problems.push(...checkUserStream(records, expected.userId, { afterSeq: expected.afterSeq }).problems);
    const unsequenced = records.filter((record) => record.seq === null).length;
    if (unsequenced > 0) problems.push(`${unsequenced} room messages without a stream position`);
  } else {
    const foreign = records.filter((record) => record.user_id !== undefined && record.user_id !== expected.userId);
    if (foreign.length > 0) problems.push(`${foreign.length} room messages addressed to another user (${String(foreign[0]?.user_id)})`);
  }
  return { ok: problems.length === 0, problems };
}

/** One client's stream of latency probes: its own, consecutive after afterSeq, `count` of them. */
export function verifyProbes(records: readonly SlimEnvelope[], expected: { userId: string; afterSeq: number; count: number }): Verdict {
  const problems = [...checkUserStream(records, expected.userId, { afterSeq: expected.afterSeq }).problems];
  if (records.length !== expected.count) problems.push(`${records.length} probes received, expected ${expected.count}`);
  return { ok: problems.length === 0, problems };
}

/** The verdicts of every client of a run: ok only when every client is; problems prefixed by the client, at most `limit`. */
export function combineVerdicts(verdicts: readonly { readonly client: string; readonly verdict: Verdict }[], limit = 10): Verdict & { clients: number; failedClients: number } {
  const failed = verdicts.filter((entry) => !entry.verdict.ok);
  const problems = failed.flatMap((entry) => entry.verdict.problems.slice(0, 3).map((problem) => `${entry.client}: ${problem}`)).slice(0, limit);
  return { ok: failed.length === 0, problems, clients: verdicts.length, failedClients: failed.length };
}
