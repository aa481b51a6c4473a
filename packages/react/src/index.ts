/**
 * @agentwirejs/react: React bindings of @agentwirejs/client. A provider that hands a client to the
 * components below it, and hooks over useSyncExternalStore for the connection state and for a
 * run (streaming text, events, questions, outcome, cancel, answer), subscribed once per client
 * or run and let go on unmount (StrictMode's double effects included).
 */
export { AgentwireContext, AgentwireProvider, useAgentwireClient, type AgentwireProviderProps, type ClientProviderProps, type OwnClientProviderProps } from './context';
export { connectionStateStore, useConnectionState } from './connection-state';
export { IDLE_RUN_VIEW, runViewStore, type RunStatus, type RunView } from './run-view';
export { useRun, useStartRun, type RunControls, type RunStarter } from './use-run';
export type { ExternalStore } from './external-store';
