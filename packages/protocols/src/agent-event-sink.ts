import type { UserId } from '@agentwirejs/types';
import type { AppendFailures } from './backplane';
import type { AgentEvent } from './wire/run-events';

/** What a send did: the stream position the message took and how many local connections got it. */
export interface SendResult {
  /** The user's stream position assigned to the message (1, 2, 3, …). */
  readonly seq: number;
  /** Connections of this process the message was written or queued to (0: kept for replay only). */
  readonly connections: number;
}

/**
 * Where the execution tracker emits a run's agent events. The manager implements it: each
 * event takes the next position of the user's stream and goes to all of the user's connections
 * (and is kept for replay when there are none).
 */
export interface AgentEventSink {
  emitAgentEvent(userId: UserId, event: AgentEvent): Promise<SendResult>;
  /**
   * Optional: emits several events of one user in order, as emitAgentEvent called for each in
   * turn would, with one promise for all of them. Resolves once each is emitted or refused
   * (AppendFailures: null when every one was emitted); rejects when the call is refused as a
   * whole (none was emitted: another user's sink, a closed manager). Where a sink offers it, the
   * execution tracker hands it a run's queued events together, one batch at a time (or several
   * at once, with its maxBatchesInFlight, for a sink that sequences its calls in call order as
   * the manager does), instead of holding a promise and its handlers for every event out.
   */
  emitAgentEvents?(userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures>;
  /**
   * A sink bound to `userId`: it emits that user's events and refuses any other user's (the
   * manager's: IsolationViolationError, counted as an isolation violation). When a sink offers
   * it, the execution tracker emits each run's events through the sink bound to the run's user,
   * so the isolation guard sits on the path agent events take. A bound sink that offers
   * emitAgentEvents refuses another user's batch there as well (the tracker sends its batches
   * through it).
   */
  forUser?(userId: UserId, options?: AgentEventSinkOptions): AgentEventSink;
}

/** How a bound sink (AgentEventSink.forUser) is used. */
export interface AgentEventSinkOptions {
  /**
   * True when the caller emits only events it has checked against EventSchemas itself, so the
   * sink may skip its own check of each one (default false). Nothing enforces it: a caller that
   * passes it answers for its events. The execution tracker asks for it: it builds its events from
   * reports it has checked and copies and validates the ones an agent builds when they are
   * reported (its specs check every event it emits), so the manager's check would be a second
   * one, on the hot path. The isolation guard still applies.
   */
  readonly eventsChecked?: boolean;
}
