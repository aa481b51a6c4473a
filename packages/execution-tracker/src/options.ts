import type { AppConfig } from '@agentwirejs/config';
import type { AgentErrorCode, AgentEventSink } from '@agentwirejs/protocols';
import { InvalidTrackerOptionError } from './errors';
import type { TerminalRunState } from './run-state';
import { InMemoryRunStore, type RunStore } from './run-store';

/** Every default of the tracker, in one place. */
export const TRACKER_DEFAULTS = {
  /** Live runs one user may have at once. */
  maxRunsPerUser: 5,
  /** A run older than this ends as timed_out (per run overridable). */
  timeoutMs: 30_000,
  /**
   * The hang rule of runs whose agent and request declare none: a run that reports nothing for
   * this long ends as dead. 0 = none: a waiting agent is ended only by its timeout.
   */
  hangAfterMs: 0,
  /** Events of one run waiting for the sink at which its agent's reporter calls start to wait (until half have gone out). */
  eventHighWater: 64,
  /** Events of one run waiting for the sink at most: an agent that keeps reporting past it without awaiting is ended as failed. */
  maxQueuedEvents: 1_024,
  /**
   * Events of one run handed to the sink before the earlier ones have settled. Above 1 only for
   * a sink that sequences its calls in call order (the manager does: it appends when called), so
   * a run's events can share backplane round trips. For a sink that takes batches
   * (emitAgentEvents), the largest batch: one batch of a run is at the sink at a time.
   */
  maxEventsInFlight: 1,
  /**
   * Batches of one run at a sink that takes batches (emitAgentEvents) at once. Above 1 only for a
   * sink that sequences its calls in call order (the manager does); then a run's events are
   * handed over at the end of the turn that reported them (process.nextTick; RUN_STARTED at once), up to
   * maxEventsInFlight events at the sink in all, rather than waiting in the run's queue for the
   * batch out to settle.
   */
  maxBatchesInFlight: 1,
  /** How long a finished run stays readable. */
  retentionMs: 600_000,
  /** Finished runs kept at most (the oldest go first). */
  maxRetainedRuns: 10_000,
  /** Phase changes kept per run (the oldest go first). */
  maxPhaseHistory: 50,
  /** How often the production timer sweeps deadlines and retention; 0 = no timer (call sweep()). */
  sweepIntervalMs: 250,
  /**
   * How long a streamed delta (text, reasoning, tool arguments) waits for the next ones of the
   * same message before it takes a stream position: deltas within the window go out as one
   * envelope (at most about 1000/coalesceMs envelopes a second per message). A message's end, or
   * any other event of the run, sends what waits at once. 0 = every delta is its own envelope.
   */
  coalesceMs: 40,
  /** How long a question an agent asks (reporter.ask) waits for its answer unless it says otherwise. */
  interruptExpiresMs: 300_000,
} as const;

/** The logger the tracker reports problems to; pino's logger fits. */
export interface TrackerLogger {
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

/** One finished run, for a duration histogram (e.g. prom-client's observe). */
export interface RunEndedObservation {
  readonly agentName: string;
  readonly state: TerminalRunState;
  /** From start to the decision that ended it. */
  readonly durationMs: number;
  /** The agent_error code, or null for completed and cancelled runs. */
  readonly errorCode: AgentErrorCode | (string & {}) | null;
}

/** Options of registerExecutionTracker; only `sink` is required. */
export interface ExecutionTrackerOptions {
  /** Where every agent event goes: the gateway passes its manager. */
  readonly sink: AgentEventSink;
  /** Clock in epoch ms (default Date.now); tests inject a fake one. */
  readonly now?: () => number;
  /** Default: console. */
  readonly logger?: TrackerLogger;
  /** Default: a new InMemoryRunStore. */
  readonly store?: RunStore;
  /** Called once per run when it reaches its terminal state; errors it throws are logged. */
  readonly onRunEnded?: (observation: RunEndedObservation) => void;
  readonly maxRunsPerUser?: number;
  readonly timeoutMs?: number;
  readonly hangAfterMs?: number;
  readonly eventHighWater?: number;
  readonly maxQueuedEvents?: number;
  readonly maxEventsInFlight?: number;
  readonly maxBatchesInFlight?: number;
  readonly retentionMs?: number;
  readonly maxRetainedRuns?: number;
  readonly maxPhaseHistory?: number;
  readonly sweepIntervalMs?: number;
  readonly coalesceMs?: number;
  readonly interruptExpiresMs?: number;
  /**
   * Checks an app-defined CUSTOM event (reporter.custom): returns the problem or null. The
   * gateway passes the check of its protocol extensions; without one every name outside the
   * reserved `agentwire.` prefix is accepted.
   */
  readonly checkCustomEvent?: (name: string, value: unknown) => string | null;
}

export type TrackerLimits = { readonly [K in keyof typeof TRACKER_DEFAULTS]: number };

export interface ResolvedTrackerOptions {
  readonly limits: TrackerLimits;
  readonly sink: AgentEventSink;
  readonly now: () => number;
  readonly logger: TrackerLogger;
  readonly store: RunStore;
  readonly onRunEnded: ((observation: RunEndedObservation) => void) | null;
  readonly checkCustomEvent: ((name: string, value: unknown) => string | null) | null;
}

const consoleLogger: TrackerLogger = {
  warn: (context, message) => console.warn(`[execution-tracker] ${message}`, context),
  error: (context, message) => console.error(`[execution-tracker] ${message}`, context),
};

/** The smallest value each limit accepts. */
const MINIMUM: TrackerLimits = {
  maxRunsPerUser: 1,
  timeoutMs: 1,
  hangAfterMs: 0,
  eventHighWater: 1,
  maxQueuedEvents: 1,
  maxEventsInFlight: 1,
  maxBatchesInFlight: 1,
  retentionMs: 0,
  maxRetainedRuns: 0,
  maxPhaseHistory: 0,
  sweepIntervalMs: 0,
  coalesceMs: 0,
  interruptExpiresMs: 1,
};

/** Checks that a limit is a whole number ≥ its minimum; throws InvalidTrackerOptionError. */
export function checkLimit(option: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidTrackerOptionError(option, `must be a whole number ≥ ${minimum} (received ${String(value)})`);
  }
  return value;
}

/** Fills in defaults and checks every option. */
export function resolveTrackerOptions(options: ExecutionTrackerOptions): ResolvedTrackerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidTrackerOptionError('options', 'must be an object');
  if (typeof options.sink?.emitAgentEvent !== 'function') {
    throw new InvalidTrackerOptionError('sink', 'must be an AgentEventSink (an object with emitAgentEvent)');
  }
  const limits = {} as Record<keyof TrackerLimits, number>;
  for (const key of Object.keys(TRACKER_DEFAULTS) as (keyof TrackerLimits)[]) {
    limits[key] = checkLimit(key, options[key] ?? TRACKER_DEFAULTS[key], MINIMUM[key]);
  }
  if (limits.maxQueuedEvents < limits.eventHighWater) {
    throw new InvalidTrackerOptionError('maxQueuedEvents', `must be ≥ eventHighWater (${limits.eventHighWater})`);
  }
  return {
    limits: Object.freeze(limits),
    sink: options.sink,
    now: options.now ?? Date.now,
    logger: options.logger ?? consoleLogger,
    store: options.store ?? new InMemoryRunStore(),
    onRunEnded: options.onRunEnded ?? null,
    checkCustomEvent: options.checkCustomEvent ?? null,
  };
}

/**
 * The limits @agentwirejs/config reads from AGENTWIRE_* settings, as tracker options.
 * AGENTWIRE_RUN_DEAD_AFTER_MS is not one of them: it is about gateway processes that die (the
 * Redis run directory), not about agents that wait; an agent declares its own hang rule.
 */
export function trackerOptionsFromConfig(
  config: AppConfig,
): Pick<ExecutionTrackerOptions, 'maxRunsPerUser' | 'timeoutMs' | 'retentionMs' | 'coalesceMs'> {
  return {
    maxRunsPerUser: config.limits.maxRunsPerUser,
    timeoutMs: config.runs.timeoutMs,
    retentionMs: config.runs.retentionMs,
    coalesceMs: config.stream.coalesceMs,
  };
}
