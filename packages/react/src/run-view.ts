import type { RunEventEnvelope, RunHandle, RunInterrupt, RunOutcome, SeqRange } from '@agentwirejs/client';
import type { ExternalStore } from './external-store';

/**
 * Where a run stands: `idle` (no run), `starting` (sent, no event of it yet), `running`, or how
 * it ended (RunOutcome's status: `completed`, `cancelled`, `failed`, `refused`, `detached`).
 */
export type RunStatus = 'idle' | 'starting' | 'running' | RunOutcome['status'];

/** An immutable picture of a run handle, taken after each of its events. */
export interface RunView {
  /** The handle pictured (null: no run). */
  readonly run: RunHandle | null;
  readonly status: RunStatus;
  /** The gateway's run id once the run's first event arrived. */
  readonly runId: string | null;
  /** The answer so far. */
  readonly text: string;
  /** The run's events so far, in stream order. */
  readonly events: readonly RunEventEnvelope[];
  /** Every question the run asked, with its status. */
  readonly interrupts: readonly RunInterrupt[];
  /** The questions still waiting for an answer (none once the run has ended). */
  readonly pendingInterrupts: readonly RunInterrupt[];
  /** Stream ranges lost while the run was open (its events may be incomplete). */
  readonly gaps: readonly SeqRange[];
  /** How the run ended, once it has. */
  readonly outcome: RunOutcome | null;
}

/** The view of no run. */
export const IDLE_RUN_VIEW: RunView = Object.freeze({
  run: null,
  status: 'idle',
  runId: null,
  text: '',
  events: Object.freeze([]),
  interrupts: Object.freeze([]),
  pendingInterrupts: Object.freeze([]),
  gaps: Object.freeze([]),
  outcome: null,
});

const IDLE_STORE: ExternalStore<RunView> = {
  subscribe: () => () => undefined,
  getSnapshot: () => IDLE_RUN_VIEW,
};

/**
 * A run handle as an external store. The snapshot is taken anew only when the handle changed
 * (an event arrived, a gap was noted, or the run settled without an event: refused or
 * detached), so it stays the same object between changes, as useSyncExternalStore requires.
 * Each subscriber holds one `event` and one `gap` listener on the handle, removed on unsubscribe.
 */
export function runViewStore(run: RunHandle | null): ExternalStore<RunView> {
  if (run === null) return IDLE_STORE;
  let view: RunView | null = null;
  let viewKey = '';
  return {
    subscribe: (onChange) => {
      const stops = [run.on('event', () => onChange()), run.on('gap', () => onChange())];
      let subscribed = true;
      // refused and detached runs settle without an event
      void run.done.then(() => {
        if (subscribed) onChange();
      });
      return () => {
        subscribed = false;
        for (const stop of stops) stop();
      };
    },
    getSnapshot: () => {
      // Everything a view shows changes with one of these: text, interrupts and the run id come with events.
      const key = `${run.events.length}:${run.gaps.length}:${run.outcome === null ? '' : run.outcome.status}`;
      if (view === null || key !== viewKey) {
        view = viewOf(run);
        viewKey = key;
      }
      return view;
    },
  };
}

/**
 * The view of the run as it stands. Its events and gaps are the handle's first n (the handle only
 * appends to them), copied when first read: a component that shows the text pays nothing per
 * event, where copying every event into every view made a long answer cost O(n²).
 */
function viewOf(run: RunHandle): RunView {
  const outcome = run.outcome;
  const interrupts = Object.freeze([...run.interrupts]);
  const eventCount = run.events.length;
  const gapCount = run.gaps.length;
  let events: readonly RunEventEnvelope[] | null = null;
  let gaps: readonly SeqRange[] | null = null;
  const fixed = {
    run,
    status: outcome !== null ? outcome.status : run.runId === null ? 'starting' : 'running',
    runId: run.runId,
    text: run.text,
    interrupts,
    pendingInterrupts: outcome === null ? Object.freeze(interrupts.filter((interrupt) => interrupt.status === 'pending')) : Object.freeze([]),
    outcome,
  } satisfies Omit<RunView, 'events' | 'gaps'>;
  return Object.freeze(
    Object.defineProperties(fixed, {
      events: { enumerable: true, get: () => (events ??= Object.freeze(run.events.slice(0, eventCount))) },
      gaps: { enumerable: true, get: () => (gaps ??= Object.freeze(run.gaps.slice(0, gapCount))) },
    }) as RunView,
  );
}
