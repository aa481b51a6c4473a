import type { AgentExecutionTracker, RunOutcome, StartRunRequest, StartedRun } from '@agentwirejs/execution-tracker';
import { type AgentInput, ErrorCode } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import type { AgentCatalog } from './agents/catalog';
import { AgentInputError } from './errors';
import type { ExternalRunFeeds } from './agents/external-run';
import type { RunCoordination, WireRefusal } from './run-coordination';

/** What starting a run of a catalog agent needs, whoever asks (a socket's start_agent, the server API). */
export interface RunStarterDeps {
  readonly catalog: AgentCatalog;
  /** Claims the run for this process (Redis: so cancel_run and answers are routed here, and a death is noticed). */
  readonly runs: RunCoordination;
  readonly maxInputChars: number;
  /**
   * Takes the settled outcome of every run started: made once by runSettledHandler, which
   * releases the run's claim, and handed to each run's outcome as it is (no closure per run).
   */
  readonly onRunSettled: (outcome: RunOutcome) => void;
}

/**
 * The handler of every run's settled outcome (RunStarterDeps.onRunSettled): releases the claim
 * startClaimedRun made, then tells `onRunEnded`. Made once per starter.
 */
export function runSettledHandler(runs: RunCoordination, onRunEnded: (outcome: RunOutcome) => void): (outcome: RunOutcome) => void {
  return (outcome) => {
    runs.release(outcome.runId);
    onRunEnded(outcome);
  };
}

/** A run request refused before it started (unknown agent, input too long or malformed): the wire error to answer. */
export class RunRequestRefusedError extends Error {
  constructor(readonly refusal: WireRefusal) {
    super(refusal.message);
  }
}

/**
 * True when the input is longer than `max` characters: a text's code points, or the length of an
 * object's JSON text. They are counted only when an upper bound says the input may be that long
 * (a text's UTF-16 length; jsonLengthBound for an object): counting spread every text into an
 * array of code points and wrote every object's JSON text, for every run. The router and the
 * server API have refused anything nested deeper than MAX_MESSAGE_DEPTH.
 */
export function inputExceeds(input: AgentInput, max: number): boolean {
  if (typeof input === 'string') return input.length > max && [...input].length > max;
  return jsonLengthBound(input, max) > max && JSON.stringify(input).length > max;
}

/** The longest text JSON.stringify writes for a finite number: sign, 17 digits, point, exponent. */
const MAX_NUMBER_CHARS = 25;
/** The most characters JSON.stringify writes for one UTF-16 unit of a string (`\uXXXX`). */
const MAX_CHARS_PER_UNIT = 6;

/**
 * A number of characters JSON.stringify(value) does not exceed, or Infinity where this does not
 * say (a toJSON method, a value that is not a string, number, boolean, null, array or plain
 * object); once past `budget` it stops and returns what it has counted. Allocates nothing.
 */
export function jsonLengthBound(value: unknown, budget: number): number {
  if (typeof value === 'string') return 2 + MAX_CHARS_PER_UNIT * value.length;
  if (typeof value === 'number') return Number.isFinite(value) ? MAX_NUMBER_CHARS : 4;
  if (typeof value === 'boolean' || value === null) return 5;
  // Left out of an object, null in an array: at most "null".
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return 4;
  if (typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let total = 2; // the brackets or braces
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length && total <= budget; index += 1) total += 1 + jsonLengthBound(value[index], budget - total);
    return total;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return Infinity;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // the key, its colon and a comma, then its value
    total += 4 + MAX_CHARS_PER_UNIT * key.length + jsonLengthBound((value as Record<string, unknown>)[key], budget - total);
    if (total > budget) return total;
  }
  return total;
}

/**
 * Starts a run of the catalog's agent `agentName` for `userId` through the user's tracker view:
 * checks the agent, the input's length and the agent's own input check (RunRequestRefusedError),
 * starts it with the agent's timeout (tracker errors propagate: the caller maps them with
 * trackerRefusal), claims it for this process and releases it with a summary once it has ended.
 */
export function startCatalogRun(
  deps: RunStarterDeps,
  tracker: AgentExecutionTracker,
  userId: UserId,
  agentName: string,
  input: AgentInput,
  threadId: string | undefined,
): StartedRun {
  const entry = deps.catalog.get(agentName);
  if (entry === null) throw new RunRequestRefusedError({ code: ErrorCode.InvalidMessage, message: `unknown agent '${agentName}' (this gateway runs: ${deps.catalog.names.join(', ')})` });
  if (inputExceeds(input, deps.maxInputChars)) {
    throw new RunRequestRefusedError({ code: ErrorCode.PayloadTooLarge, message: `the input is longer than ${deps.maxInputChars} characters` });
  }
  try {
    entry.checkInput?.(input);
  } catch (error) {
    if (error instanceof AgentInputError) throw new RunRequestRefusedError({ code: error.wireCode, message: error.message });
    throw error;
  }
  // One literal, undefined where not given (the tracker's defaults then apply): spreading
  // conditional objects built two more objects and a copy for every run.
  return startClaimedRun(deps, tracker, userId, agentName, { agent: entry.runner, input, tools: entry.tools, threadId, timeoutMs: entry.timeoutMs });
}

/**
 * Starts an external run for `userId`: its events come from a backend through the server API
 * (ExternalRunFeed) rather than from an agent of the catalog. Claimed and released like any run.
 */
export function startExternalRun(
  deps: Pick<RunStarterDeps, 'runs' | 'onRunSettled'>,
  tracker: AgentExecutionTracker,
  userId: UserId,
  feeds: ExternalRunFeeds,
  options: { readonly name: string; readonly threadId?: string; readonly timeoutMs?: number },
): StartedRun {
  const feed = feeds.create(options.name);
  const started = startClaimedRun(deps, tracker, userId, options.name, {
    agent: feed,
    input: {},
    ...(options.threadId === undefined ? {} : { threadId: options.threadId }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  feeds.register(userId, started.runId, feed, started.outcome);
  return started;
}

/** Starts a run, claims it for this process; onRunSettled releases it once it has ended. */
function startClaimedRun(
  deps: Pick<RunStarterDeps, 'runs' | 'onRunSettled'>,
  tracker: AgentExecutionTracker,
  userId: UserId,
  agentName: string,
  request: StartRunRequest,
): StartedRun {
  const started = tracker.startRun(request);
  deps.runs.claim({ runId: started.runId, userId, threadId: started.threadId, agentName });
  void started.outcome.then(deps.onRunSettled);
  return started;
}

/** What the server logs of a run that ended (event run_ended). */
export function runEndedSummary(outcome: RunOutcome): { runId: string; userId: string; agent: string; outcome: string; durationMs: number; errorCode: string | null } {
  return { runId: outcome.runId, userId: outcome.userId, agent: outcome.agentName, outcome: outcome.state, durationMs: outcome.durationMs, errorCode: outcome.error?.code ?? null };
}
