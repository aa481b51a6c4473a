import type { RunHandle, StartRunOptions } from '@agentwirejs/client';
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react';
import { useAgentwireClient } from './context';
import { type RunView, runViewStore } from './run-view';

/** useRun's answer: the run's view, and what a user can do to it. */
export interface RunControls extends RunView {
  /** Cancels the run (RunHandle.cancel); does nothing without a run, or for one that has ended. */
  cancel(): Promise<void>;
  /**
   * Answers the run's question `interruptId` (RunHandle.answer); rejects with the client's
   * RequestError (invalid_message: the value does not fit the question's schema; not_found),
   * or a TypeError without a run.
   */
  answer(interruptId: string, value: unknown): Promise<void>;
}

/**
 * Follows `run` (a handle from client.startRun, or null): the component re-renders as the run
 * streams (text, events, questions, gaps) and when it ends. Subscribes once per handle, not per
 * render, and lets go on unmount or when given another handle. Unmounting does not cancel the
 * run: the gateway keeps running it, and another component may follow the same handle.
 */
export function useRun(run: RunHandle | null): RunControls {
  const store = useMemo(() => runViewStore(run), [run]);
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  const cancel = useCallback(() => (run === null ? Promise.resolve() : run.cancel()), [run]);
  const answer = useCallback(
    (interruptId: string, value: unknown) => (run === null ? Promise.reject(new TypeError(`there is no run to answer ${interruptId} of`)) : run.answer(interruptId, value)),
    [run],
  );
  return useMemo(() => controlsOf(view, cancel, answer), [view, cancel, answer]);
}

/** The view's fields (read through, so its events are still copied only when read) and the run's actions. */
function controlsOf(view: RunView, cancel: RunControls['cancel'], answer: RunControls['answer']): RunControls {
  const controls = { cancel, answer };
  for (const key of Object.keys(view) as (keyof RunView)[]) Object.defineProperty(controls, key, { enumerable: true, get: () => view[key] });
  return Object.freeze(controls) as RunControls;
}

/** useStartRun's answer. */
export interface RunStarter {
  /** The run this component started last (null before the first start, and after clear()). */
  readonly run: RunHandle | null;
  /** Starts a run on the provider's client (client.startRun) and makes it `run`. Call it from an event handler, not during render. */
  start(options: StartRunOptions): RunHandle;
  /** Forgets `run` (the run itself goes on; cancel it first to stop it). */
  clear(): void;
}

/**
 * Starts runs from a component: `const { run, start } = useStartRun(); const view = useRun(run);`.
 * A new start replaces `run` without cancelling the previous one.
 */
export function useStartRun(): RunStarter {
  const client = useAgentwireClient();
  const [run, setRun] = useState<RunHandle | null>(null);
  const start = useCallback(
    (options: StartRunOptions) => {
      const started = client.startRun(options);
      setRun(started);
      return started;
    },
    [client],
  );
  const clear = useCallback(() => setRun(null), []);
  return useMemo(() => ({ run, start, clear }), [run, start, clear]);
}
