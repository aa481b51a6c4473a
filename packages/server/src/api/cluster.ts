import { EventSchemas } from '@ag-ui/core/schemas';
import type { ControlAnswer, ControlAnswers } from '@agentwirejs/backplane-redis';
import type { RunSnapshot } from '@agentwirejs/execution-tracker';
import { ERROR_CODES, ErrorCode } from '@agentwirejs/protocols';
import { RunIdSchema, type RunId, type UserId } from '@agentwirejs/types';
import { z } from 'zod';
import { DeliveryRefusedError, type ExternalRunFeed } from '../agents/external-run';
import type { RemoteEvent } from '../agents/remote-agent-events';
import { ApiError } from './http-io';
import type { ServerApiDeps } from './routes';
import {
  ConnectionSchema,
  DisconnectCloseCodeSchema,
  type LiveRunJson,
  LiveRunsResponseSchema,
  MAX_LISTED,
  type RunSnapshotJson,
  RunSnapshotSchema,
  RunEventsResponseSchema,
  UsersResponseSchema,
} from './schemas';

/**
 * What the server API's calls do across gateway processes: each acts here and, with Redis, asks
 * the other processes (GatewayPeers) for their part, so the effect reaches the user wherever they
 * are connected and the run wherever it runs. An answer missing or refused is `unavailable`
 * (503), never a silent partial result.
 */

/** The requests the API makes of other processes. */
export const PeerRequest = {
  ListConnections: 'api.list_connections',
  Disconnect: 'api.disconnect_user',
  ReadRun: 'api.read_run',
  RunEvents: 'api.run_events',
  ListUsers: 'api.list_users',
  ListLiveRuns: 'api.list_live_runs',
} as const;

type ConnectionJson = z.infer<typeof ConnectionSchema>;
type RunEventsJson = z.infer<typeof RunEventsResponseSchema>;
type UsersJson = z.infer<typeof UsersResponseSchema>;
type LiveRunsJson = z.infer<typeof LiveRunsResponseSchema>;

const iso = (ms: number): string => new Date(ms).toISOString();

export function runJson(run: RunSnapshot): RunSnapshotJson {
  return {
    run_id: run.runId,
    user_id: run.userId,
    thread_id: run.threadId,
    agent: run.agentName,
    state: run.state,
    states: run.states.map((change) => ({ state: change.state, at: iso(change.at) })),
    created_at: iso(run.createdAt),
    ended_at: run.endedAt === null ? null : iso(run.endedAt),
    event_count: run.eventCount,
    final_response: run.finalResponse,
    error: run.error === null ? null : { code: run.error.code, message: run.error.message },
    cancel_reason: run.cancelReason,
  };
}

/** An AG-UI event checked with EventSchemas, or invalid_message naming where it is wrong (`where` e.g. events[3]). */
export function parseAgUiEvent(json: unknown, where: string): RemoteEvent {
  const parsed = EventSchemas.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.map(String).join('.')}`;
  throw new ApiError(ErrorCode.InvalidMessage, `${where}${path}: ${issue?.message ?? 'not an AG-UI event'} (an AG-UI event, checked with @ag-ui/core's EventSchemas)`);
}

/** The value of another process's answer, parsed with `schema`; a refusal is rethrown with its wire code. */
function valueOf<S extends z.ZodType>(answer: ControlAnswer, schema: S, what: string): z.output<S> {
  if (!answer.ok) {
    const code = (ERROR_CODES as readonly string[]).includes(answer.code) ? (answer.code as ErrorCode) : ErrorCode.Unavailable;
    throw new ApiError(code, code === ErrorCode.Unavailable ? `another gateway process could not ${what}: ${answer.message}` : answer.message);
  }
  const parsed = schema.safeParse(answer.value);
  if (!parsed.success) throw new ApiError(ErrorCode.Unavailable, `another gateway process answered ${what} with something this process does not understand (a different version?)`);
  return parsed.data;
}

/** The values of every other process's answer; unavailable when one did not answer in time or refused. */
function valuesOf<S extends z.ZodType>(answers: ControlAnswers, schema: S, what: string, doneHere: string): z.output<S>[] {
  if (answers.answers.length < answers.asked) {
    const missing = answers.asked - answers.answers.length;
    throw new ApiError(ErrorCode.Unavailable, `${missing} of ${answers.asked} other gateway processes did not answer in time to ${what}${doneHere}; try again`);
  }
  return answers.answers.map(({ answer }) => valueOf(answer, schema, what));
}

/**
 * Asks the other processes through `ask`; Redis that does not answer in time (or a bus already
 * closed at shutdown) is `unavailable`, as a process that does not answer is.
 */
async function viaPeers<T>(what: string, ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(ErrorCode.Unavailable, `the other gateway processes could not be asked to ${what} (${error instanceof Error ? error.message : String(error)}); try again`);
  }
}

const ConnectionsAnswerSchema = z.object({ connections: z.array(ConnectionSchema) });
const ClosedAnswerSchema = z.object({ closed: z.number().int().nonnegative() });
const RunAnswerSchema = z.object({ run: RunSnapshotSchema.nullable() });
const DisconnectPayloadSchema = z.object({ code: DisconnectCloseCodeSchema, reason: z.string().max(123).nullable() });
const ReadRunPayloadSchema = z.object({ run_id: RunIdSchema });
const RunEventsPayloadSchema = z.object({ events: z.array(z.unknown()).min(1) });

function localConnections(deps: ServerApiDeps, userId: UserId): ConnectionJson[] {
  return deps.manager().getUserConnections(userId).map((info) => info.toJSON());
}

async function disconnectLocal(deps: ServerApiDeps, userId: UserId, code: number, reason: string | null): Promise<number> {
  const manager = deps.manager();
  const results = await Promise.all(manager.getUserConnections(userId).map((info) => manager.removeConnection(info.connectionId, code)));
  const closed = results.filter(Boolean).length;
  if (closed > 0) deps.logger.info({ event: 'api_disconnect', userId, code, reason, closed }, 'connections closed through the server API');
  return closed;
}

function localRun(deps: ServerApiDeps, userId: UserId, runId: string): RunSnapshotJson | null {
  const run = deps.tracker(userId).getRun(runId);
  return run === null ? null : runJson(run);
}

/** The user's connections on every gateway process. */
export async function connectionsEverywhere(deps: ServerApiDeps, userId: UserId): Promise<ConnectionJson[]> {
  const here = localConnections(deps, userId);
  const asked = await viaPeers("list the user's connections", () => deps.peers.askOthers(PeerRequest.ListConnections, userId));
  const others = valuesOf(asked, ConnectionsAnswerSchema, "list the user's connections", '');
  return [...here, ...others.flatMap((answer) => answer.connections)];
}

/** Closes the user's connections on every gateway process; resolves with how many closed. */
export async function disconnectEverywhere(deps: ServerApiDeps, userId: UserId, code: number, reason: string | null): Promise<number> {
  const here = await disconnectLocal(deps, userId, code, reason);
  const answers = await viaPeers("close the user's connections", () => deps.peers.askOthers(PeerRequest.Disconnect, userId, { code, reason }));
  const others = valuesOf(answers, ClosedAnswerSchema, "close the user's connections", ` (${here} closed on this process; calling again closes the rest)`);
  return others.reduce((sum, answer) => sum + answer.closed, here);
}

/** A run of the user as the process that runs or ran it holds it; null when no process has it. */
export async function runAnywhere(deps: ServerApiDeps, userId: UserId, runId: RunId): Promise<RunSnapshotJson | null> {
  const here = localRun(deps, userId, runId);
  if (here !== null) return here;
  const answers = await viaPeers('read the run', () => deps.peers.askOthers(PeerRequest.ReadRun, userId, { run_id: runId }));
  // a process that holds the run settles it, whoever else was slow
  for (const { answer } of answers.answers) {
    if (answer.ok && answer.value['run'] !== null && answer.value['run'] !== undefined) return valueOf(answer, RunAnswerSchema, 'read the run').run;
  }
  valuesOf(answers, RunAnswerSchema, 'read the run', '');
  return null;
}

function localUsers(deps: ServerApiDeps): UsersJson {
  const { users, total } = deps.manager().getConnectedUsers(MAX_LISTED);
  return { users: users.map(({ userId, connections }) => ({ user_id: userId, connections })), truncated: total > users.length };
}

function localLiveRuns(deps: ServerApiDeps): LiveRunsJson {
  const { runs, total } = deps.runRegistry.liveRuns(MAX_LISTED);
  const listed = runs.map(
    (run): LiveRunJson => ({
      run_id: run.runId,
      user_id: run.userId,
      thread_id: run.threadId,
      agent: run.agentName,
      state: run.state,
      created_at: iso(run.createdAt),
      event_count: run.eventCount,
    }),
  );
  return { runs: listed, truncated: total > runs.length };
}

/** The users with open connections on every gateway process (counts summed), the first MAX_LISTED by user_id. */
export async function usersEverywhere(deps: ServerApiDeps): Promise<UsersJson> {
  const here = localUsers(deps);
  const asked = await viaPeers('list the connected users', () => deps.peers.askOthers(PeerRequest.ListUsers, null));
  const parts = [here, ...valuesOf(asked, UsersResponseSchema, 'list the connected users', '')];
  const counts = new Map<string, number>();
  for (const part of parts) for (const { user_id, connections } of part.users) counts.set(user_id, (counts.get(user_id) ?? 0) + connections);
  const ordered = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    users: ordered.slice(0, MAX_LISTED).map(([user_id, connections]) => ({ user_id: user_id as UserId, connections })),
    truncated: ordered.length > MAX_LISTED || parts.some((part) => part.truncated),
  };
}

/** The runs in flight on every gateway process, the MAX_LISTED oldest. */
export async function liveRunsEverywhere(deps: ServerApiDeps): Promise<LiveRunsJson> {
  const here = localLiveRuns(deps);
  const asked = await viaPeers('list the runs in flight', () => deps.peers.askOthers(PeerRequest.ListLiveRuns, null));
  const parts = [here, ...valuesOf(asked, LiveRunsResponseSchema, 'list the runs in flight', '')];
  const runs = parts.flatMap((part) => part.runs).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  return { runs: runs.slice(0, MAX_LISTED), truncated: runs.length > MAX_LISTED || parts.some((part) => part.truncated) };
}

async function deliverToFeed(feed: ExternalRunFeed, events: readonly RemoteEvent[]): Promise<RunEventsJson> {
  try {
    return await feed.deliver(events);
  } catch (error) {
    if (!(error instanceof DeliveryRefusedError)) throw error;
    const applied = `${error.accepted} event${error.accepted === 1 ? '' : 's'} of this call entered the run`;
    throw new ApiError(error.reason === 'run_ended' ? ErrorCode.RunEnded : ErrorCode.InvalidMessage, `${error.message}; ${applied}`);
  }
}

/**
 * Puts AG-UI events into an external run of the user, on whichever process runs it: in order,
 * with AG-UI's ordering rules and the one-terminal rule enforced by the run's feed.
 */
export async function deliverEverywhere(deps: ServerApiDeps, userId: UserId, runId: RunId, events: readonly RemoteEvent[]): Promise<RunEventsJson> {
  const feed = deps.externalRuns.get(userId, runId);
  if (feed !== null) return deliverToFeed(feed, events);
  const answer = await viaPeers('take the events', () => deps.peers.askRunOwner(PeerRequest.RunEvents, userId, runId, { events }));
  if (answer !== null) return valueOf(answer, RunEventsResponseSchema, 'take the events');
  const run = await runAnywhere(deps, userId, runId);
  if (run !== null && run.ended_at !== null) throw new ApiError(ErrorCode.RunEnded, `run ${runId} has ended (${run.state}); its events are no longer taken`);
  throw new ApiError(ErrorCode.NotFound, `run ${runId} is not an external run of this user (start one with POST /api/v1/external-runs)`);
}

/** Answers the other processes' requests with this process's part. */
export function answerPeers(deps: ServerApiDeps): void {
  const userOf = (userId: UserId | undefined): UserId => {
    if (userId === undefined) throw new ApiError(ErrorCode.InvalidMessage, 'the request names no user');
    return userId;
  };
  deps.peers.answer(PeerRequest.ListConnections, async (command) => ({ connections: localConnections(deps, userOf(command.userId)) }));
  deps.peers.answer(PeerRequest.Disconnect, async (command) => {
    const { code, reason } = DisconnectPayloadSchema.parse(command.payload);
    return { closed: await disconnectLocal(deps, userOf(command.userId), code, reason) };
  });
  deps.peers.answer(PeerRequest.ReadRun, async (command) => ({ run: localRun(deps, userOf(command.userId), ReadRunPayloadSchema.parse(command.payload).run_id) }));
  deps.peers.answer(PeerRequest.ListUsers, async () => ({ ...localUsers(deps) }));
  deps.peers.answer(PeerRequest.ListLiveRuns, async () => ({ ...localLiveRuns(deps) }));
  deps.peers.answer(PeerRequest.RunEvents, async (command) => {
    const userId = userOf(command.userId);
    const runId = command.runId;
    const feed = runId === undefined ? null : deps.externalRuns.get(userId, runId);
    if (feed === null) throw new ApiError(ErrorCode.NotFound, `run ${String(runId)} is not an external run of this user on this process`);
    const events = RunEventsPayloadSchema.parse(command.payload).events.map((json, index) => parseAgUiEvent(json, `events[${index}]`));
    return { ...(await deliverToFeed(feed, events)) };
  });
}
