import type { AgentEvent, AgentEventSink, AppendFailures, SendResult } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import type { IsolationGuard } from './isolation';

/** How a user's sink emits: validating each event, or trusting the caller's check (AgentEventSinkOptions.eventsChecked). */
export type UserSinkOperation = 'emitAgentEvent' | 'emitCheckedAgentEvent';

/** The manager's appends a UserEventSink goes through, made once per manager. */
export interface UserAppends {
  append(operation: UserSinkOperation, userId: UserId, event: AgentEvent): Promise<SendResult>;
  appendBatch(operation: UserSinkOperation, userId: UserId, events: readonly AgentEvent[]): Promise<AppendFailures>;
}

/**
 * The sink of one user's agent events (UnifiedWebSocketManager.forUser): anyone else's are refused by its
 * guard. The execution tracker asks for one per run, so it is one object whose calls are methods
 * of its prototype (call them on the sink, or bind them), not closures made for every run.
 */
export class UserEventSink implements AgentEventSink, Required<Pick<AgentEventSink, 'emitAgentEvents'>> {
  constructor(
    private readonly guard: IsolationGuard,
    private readonly operation: UserSinkOperation,
    private readonly appends: UserAppends,
  ) {}

  emitAgentEvent(target: UserId, event: AgentEvent): Promise<SendResult> {
    return this.refused('emitAgentEvent', target) ?? this.appends.append(this.operation, target, event);
  }

  emitAgentEvents(target: UserId, events: readonly AgentEvent[]): Promise<AppendFailures> {
    return this.refused('emitAgentEvents', target) ?? this.appends.appendBatch(this.operation, target, events);
  }

  /** The rejection of a call for anyone but the sink's user (counted by the guard), or null. */
  private refused(name: string, target: UserId): Promise<never> | null {
    try {
      this.guard.user(name, target);
      return null;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}
