import type { AgentErrorCode } from '@agentwirejs/protocols';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { RunPhase, RunState } from './run-state';

/** A state the run entered, and when (epoch ms). */
export interface StateChange {
  readonly state: RunState;
  readonly at: number;
}

/** A phase the agent entered while running, and when (epoch ms). */
export interface PhaseChange {
  readonly phase: RunPhase;
  readonly at: number;
}

/**
 * Why a run ended without completing: the code and message of its agent_error. The code is one
 * of AgentErrorCode, or the agent's own (see RUN_ERROR_CODE_PROPERTY in run-engine.ts).
 */
export interface RunError {
  readonly code: AgentErrorCode | (string & {});
  readonly message: string;
}

/** A run as the store keeps it. Only the tracker changes it. */
export interface RunRecord {
  readonly runId: RunId;
  readonly userId: UserId;
  readonly threadId: ThreadId;
  readonly agentName: string;
  state: RunState;
  /** Every state entered, in order (at most five entries). */
  readonly states: StateChange[];
  phase: RunPhase | null;
  /**
   * Phase changes in order; the oldest are dropped beyond maxPhaseHistory. The tracker replaces
   * the list at the first phase (see addPhase): read it from the record, do not keep it.
   */
  phases: PhaseChange[];
  phasesDropped: number;
  readonly createdAt: number;
  /** When the ending was decided (the agent returned, failed, or the run was ended). */
  endedAt: number | null;
  lastHeartbeatAt: number;
  heartbeatCount: number;
  readonly timeoutMs: number;
  /** The run's hang rule: it ends as dead after this long without a report; null = none. */
  readonly hangAfterMs: number | null;
  /** Agent events emitted (or attempted) for the run. */
  eventCount: number;
  /** Emits the sink rejected. */
  emitFailures: number;
  finalResponse: string | null;
  error: RunError | null;
  cancelReason: string | null;
}

// A finished run stays readable (retention), so what its record keeps is kept per run for
// minutes: 1,118 bytes of heap before these two, about 870 after (retained-memory.spec.ts).

/** The states a run can enter: pending, starting, running, completing, and how it ended. */
const MOST_STATES = 5;

/**
 * A run's state history, starting at `first`, with room for every state a run can enter: grown
 * by push, an array reserves 17 slots (152 bytes) at its first growth.
 */
export function stateHistory(first: StateChange): StateChange[] {
  const states = new Array<StateChange>(MOST_STATES).fill(first);
  states.length = 1; // the room stays: V8 trims only when at most half of it, less 8 slots, stays in use
  return states;
}

/**
 * Records a phase change. The first gets a new list of one: a push onto the empty list would
 * reserve 17 slots, which a run with one phase (the common case) would keep; a second phase grows
 * the list as a push does.
 */
export function addPhase(record: RunRecord, change: PhaseChange): void {
  if (record.phases.length === 0) record.phases = [change];
  else record.phases.push(change);
}

/** A read-only copy of a run record, as the tracker hands it out. */
export type RunSnapshot = Readonly<Omit<RunRecord, 'states' | 'phases'>> & {
  readonly states: readonly StateChange[];
  readonly phases: readonly PhaseChange[];
};

/** Copies a record so callers cannot change the tracker's data. */
export function snapshotRun(record: RunRecord): RunSnapshot {
  return Object.freeze({ ...record, states: Object.freeze([...record.states]), phases: Object.freeze([...record.phases]) });
}
