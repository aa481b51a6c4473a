/** @agentwirejs/execution-tracker: agent runs per user, with heartbeats, timeouts and exactly one ending. */
export { AgentExecutionTracker, getExecutionTracker } from './tracker';
export {
  EXECUTION_TRACKER_REGISTRY,
  registerExecutionTracker,
  resolveExecutionTrackerRegistry,
} from './registry';
export type { ExecutionTrackerRegistry } from './registry';
export type { StartRunRequest, StartedRun, UserRunCounts, SweepReport, ShutdownReport } from './run-engine';
export type { RunOutcome } from './live-run';
export type { RunSnapshot, RunRecord, RunError, StateChange, PhaseChange } from './run-record';
export { InMemoryRunStore } from './run-store';
export type { RunStore } from './run-store';
export {
  RunState,
  RunPhase,
  RUN_STATES,
  LIVE_RUN_STATES,
  TERMINAL_RUN_STATES,
  canRunTransition,
  assertRunTransition,
  isTerminalRunState,
} from './run-state';
export type { LiveRunState, TerminalRunState } from './run-state';
export type { TrackerMetrics } from './metrics';
export { TRACKER_DEFAULTS, resolveTrackerOptions, trackerOptionsFromConfig } from './options';
export type { ExecutionTrackerOptions, ResolvedTrackerOptions, TrackerLogger, TrackerLimits, RunEndedObservation } from './options';
export {
  DirectConstructionError,
  RunNotFoundError,
  RunLimitExceededError,
  TrackerShutDownError,
  TrackerNotRegisteredError,
  TrackerAlreadyRegisteredError,
  InvalidTrackerOptionError,
  RunAbortedError,
  RunEndedError,
  StreamClosedError,
  InvalidReportError,
  InterruptNotFoundError,
  InvalidAnswerError,
  TrackerErrorCode,
} from './errors';
