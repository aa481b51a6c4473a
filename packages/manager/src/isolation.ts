import type { UserId } from '@agentwirejs/types';
import { IsolationViolationError } from './errors';

/** Who counts a guard's refusals (the manager itself, so a guard costs no closure). */
export interface IsolationViolationSink {
  isolationViolated(error: IsolationViolationError): void;
}

/**
 * The one isolation check of a manager: unbound (unified) managers may reach every user; a
 * bound one only its user. Every refusal is reported before it is thrown, so it is counted.
 */
export class IsolationGuard {
  constructor(
    readonly boundUserId: UserId | null,
    private readonly sink: IsolationViolationSink,
  ) {}

  /** Throws IsolationViolationError unless `userId` is the bound user (or the guard is unbound). */
  user(operation: string, userId: UserId): void {
    if (this.boundUserId !== null && userId !== this.boundUserId) this.refuse(new IsolationViolationError(this.boundUserId, userId, operation));
  }

  /** Throws IsolationViolationError when bound: the operation reaches every user. */
  processWide(operation: string): void {
    if (this.boundUserId !== null) this.refuse(new IsolationViolationError(this.boundUserId, null, operation));
  }

  private refuse(error: IsolationViolationError): never {
    this.sink.isolationViolated(error);
    throw error;
  }
}
