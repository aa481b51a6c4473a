/**
 * How a WebSocket manager is scoped. There are exactly two modes; the legacy `emergency` and
 * `degraded` modes rewrote or dropped messages silently and have no equivalent here.
 */
export enum WebSocketManagerMode {
  /**
   * Process-wide: one manager that may address every connection of the process. Only the
   * gateway's own operations use it (broadcast to all, shutdown, metrics).
   */
  Unified = 'unified',
  /**
   * Bound to one user's UserExecutionContext: it accepts only that user's connections and
   * sends only to that user; reaching any other user is an IsolationViolationError.
   */
  Isolated = 'isolated',
}
