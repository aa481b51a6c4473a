import { IllegalStateTransitionError } from '@agentwirejs/types';

/** States of an agent run: the first four are live, the rest terminal. */
export const RunState = {
  Pending: 'pending',
  Starting: 'starting',
  Running: 'running',
  Completing: 'completing',
  Completed: 'completed',
  Failed: 'failed',
  TimedOut: 'timed_out',
  Dead: 'dead',
  Cancelled: 'cancelled',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];
export type LiveRunState = 'pending' | 'starting' | 'running' | 'completing';
export type TerminalRunState = Exclude<RunState, LiveRunState>;

export const LIVE_RUN_STATES: readonly LiveRunState[] = ['pending', 'starting', 'running', 'completing'];
export const TERMINAL_RUN_STATES: readonly TerminalRunState[] = ['completed', 'failed', 'timed_out', 'dead', 'cancelled'];
export const RUN_STATES: readonly RunState[] = [...LIVE_RUN_STATES, ...TERMINAL_RUN_STATES];

/** What a run is doing while running, as its agent reports it. */
export const RunPhase = {
  Thinking: 'thinking',
  ToolExecution: 'tool_execution',
  ResultProcessing: 'result_processing',
} as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

const ENDINGS: readonly RunState[] = ['failed', 'timed_out', 'dead', 'cancelled'];

/** pending → starting → running → completing → completed; failed, timed_out, dead, cancelled from any live state. */
const NEXT: Readonly<Record<RunState, ReadonlySet<RunState>>> = {
  pending: new Set(['starting', ...ENDINGS]),
  starting: new Set(['running', ...ENDINGS]),
  running: new Set(['completing', ...ENDINGS]),
  completing: new Set(['completed', ...ENDINGS]),
  completed: new Set(),
  failed: new Set(),
  timed_out: new Set(),
  dead: new Set(),
  cancelled: new Set(),
};

/** True when the table allows moving from `from` to `to`. */
export function canRunTransition(from: RunState, to: RunState): boolean {
  return NEXT[from]?.has(to) ?? false;
}

/** Throws IllegalStateTransitionError (code ILLEGAL_STATE_TRANSITION) unless the move is allowed. */
export function assertRunTransition(from: RunState, to: RunState): void {
  if (!canRunTransition(from, to)) throw new IllegalStateTransitionError('AgentRun', from, to);
}

/** The states nothing leaves, read off the table once. */
const TERMINAL: ReadonlySet<RunState> = new Set(RUN_STATES.filter((state) => NEXT[state].size === 0));

/** True for completed, failed, timed_out, dead and cancelled. */
export function isTerminalRunState(state: RunState): state is TerminalRunState {
  // Asked on every state change and count update: one set lookup, not a table lookup and a size.
  return TERMINAL.has(state);
}
