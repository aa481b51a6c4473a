/** What React's useSyncExternalStore reads: a subscription and a snapshot that changes only when the state does. */
export interface ExternalStore<Snapshot> {
  /** Calls `onChange` whenever the snapshot may have changed; returns the function that stops it. */
  subscribe(onChange: () => void): () => void;
  /** The current snapshot: the same value (===) until something changed. */
  getSnapshot(): Snapshot;
}
