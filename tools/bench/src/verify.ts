import { AGENT_EVENT_TYPES, type OrderedEvent, RUN_EVENT_TYPES, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';

/** What the load generator reads of each received envelope: its header, and of the payload only n and t. */
export interface SlimEnvelope extends OrderedEvent {
  readonly type: string;
  readonly seq: number | null;
  readonly user_id?: string;
  /** A room frame's room (a room's own stream) and position in it. */
  readonly room?: string;
  readonly room_seq?: number | null;
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
 * How a room message reaches a member: 'shared' (the baselines: one frame for all, no position),
 * 'room' (agentwire's room stream: one frame for all, with the room and consecutive room_seq),
 * 'user' (agentwire's user-stream membership: each member's own stream, seq and user_id).
 */
export type BroadcastFraming = 'shared' | 'room' | 'user';

/**
 * One client's share of a room broadcast: messages numbered 1..count (payload.n) in order, each
 * once; framed as `framing` says: for 'user' addressed to `userId` with consecutive stream
 * positions after afterSeq; for 'room' in `room` with consecutive room positions (no user
 * stream position, no user id); for 'shared' carrying no other user's id.
 */
export function verifyBroadcast(records: readonly SlimEnvelope[], expected: { userId: string; afterSeq: number; count: number; framing: BroadcastFraming; room?: string }): Verdict {
  const problems: string[] = [];
  const numbers = records.map((record) => record.n);
  if (numbers.length !== expected.count) problems.push(`${numbers.length} room messages received, expected ${expected.count}`);
  const outOfOrder = numbers.findIndex((n, index) => n !== index + 1);
  if (outOfOrder >= 0) problems.push(`room message ${outOfOrder + 1} has n ${String(numbers[outOfOrder])}, expected ${outOfOrder + 1}`);
  if (expected.framing === 'user') {
    problems.push(...checkUserStream(records, expected.userId, { afterSeq: expected.afterSeq }).problems);
    const unsequenced = records.filter((record) => record.seq === null).length;
    if (unsequenced > 0) problems.push(`${unsequenced} room messages without a stream position`);
  } else if (expected.framing === 'room') {
    const foreign = records.filter((record) => record.room !== expected.room || record.seq !== null || record.user_id !== undefined);
    if (foreign.length > 0) problems.push(`${foreign.length} room messages not framed as ${String(expected.room)}'s stream (room, no seq, no user_id)`);
    const first = records[0]?.room_seq;
    const jump = records.findIndex((record, index) => typeof first !== 'number' || record.room_seq !== first + index);
    if (jump >= 0) problems.push(`room message ${jump + 1} has room_seq ${String(records[jump]?.room_seq)}, expected consecutive room positions`);
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
