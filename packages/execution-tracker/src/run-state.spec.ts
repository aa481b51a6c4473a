import { IllegalStateTransitionError } from '@agentwirejs/types';
import { RUN_STATES, TERMINAL_RUN_STATES, type RunState, assertRunTransition, canRunTransition, isTerminalRunState } from './run-state';

const allowed: [RunState, RunState][] = [
  ['pending', 'starting'],
  ['starting', 'running'],
  ['running', 'completing'],
  ['completing', 'completed'],
  ...(['pending', 'starting', 'running', 'completing'] as const).flatMap((from) =>
    (['failed', 'timed_out', 'dead', 'cancelled'] as const).map((to): [RunState, RunState] => [from, to]),
  ),
];

describe('the run state machine', () => {
  it.each(allowed)('allows %s → %s', (from, to) => {
    expect(canRunTransition(from, to)).toBe(true);
    expect(() => assertRunTransition(from, to)).not.toThrow();
  });

  it('refuses every other move with IllegalStateTransitionError (code ILLEGAL_STATE_TRANSITION)', () => {
    const refused = RUN_STATES.flatMap((from) => RUN_STATES.map((to): [RunState, RunState] => [from, to])).filter(
      ([from, to]) => !allowed.some(([a, b]) => a === from && b === to),
    );
    expect(refused).toHaveLength(RUN_STATES.length ** 2 - allowed.length);
    for (const [from, to] of refused) {
      expect(canRunTransition(from, to)).toBe(false);
      expect(() => assertRunTransition(from, to)).toThrow(IllegalStateTransitionError);
    }
    expect(() => assertRunTransition('completed', 'running')).toThrow("AgentRun cannot move from 'completed' to 'running'");
    expect(() => assertRunTransition('pending', 'completed')).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE_TRANSITION' }));
  });

  it('knows the terminal states: nothing leaves them', () => {
    expect(RUN_STATES.filter(isTerminalRunState)).toEqual(TERMINAL_RUN_STATES);
    expect(TERMINAL_RUN_STATES).toEqual(['completed', 'failed', 'timed_out', 'dead', 'cancelled']);
  });
});
