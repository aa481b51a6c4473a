import type { ControlAnswer, ControlAnswers, RedisControlBus, RedisRunDirectory, RequestHandler } from '@agentwirejs/backplane-redis';
import type { RunId, UserId } from '@agentwirejs/types';

/**
 * Requests this gateway process makes of the others, and answers it gives them (the server API's
 * calls that must act wherever a user is connected or a run runs). One process has no others.
 */
export interface GatewayPeers {
  /** Asks every other live gateway process, about `userId` or (null) about no user in particular; `asked` says how many should answer. */
  askOthers(type: string, userId: UserId | null, payload?: Record<string, unknown>): Promise<ControlAnswers>;
  /** Asks the process that runs `runId` of `userId`; null when no other live process runs it. */
  askRunOwner(type: string, userId: UserId, runId: RunId, payload?: Record<string, unknown>): Promise<ControlAnswer | null>;
  /** Answers the requests of `type` other processes make (one handler per type). */
  answer(type: string, handler: RequestHandler): void;
}

/** A single gateway process: nobody to ask, nobody asks. */
export class NoPeers implements GatewayPeers {
  async askOthers(): Promise<ControlAnswers> {
    return { asked: 0, answers: [] };
  }
  async askRunOwner(): Promise<ControlAnswer | null> {
    return null;
  }
  answer(): void {
    // no other process sends requests
  }
}

/** The other processes sharing a Redis: requests over the control bus, run owners from the run directory. */
export class RedisPeers implements GatewayPeers {
  constructor(
    private readonly control: RedisControlBus,
    private readonly runs: RedisRunDirectory,
  ) {}

  askOthers(type: string, userId: UserId | null, payload?: Record<string, unknown>): Promise<ControlAnswers> {
    return this.control.requestOthers({ type, ...(userId === null ? {} : { userId }), ...(payload === undefined ? {} : { payload }) });
  }

  async askRunOwner(type: string, userId: UserId, runId: RunId, payload?: Record<string, unknown>): Promise<ControlAnswer | null> {
    const owner = await this.runs.owner(runId);
    // another user's run looks exactly like an unknown one
    if (owner === null || owner.userId !== userId || owner.processId === this.runs.processId) return null;
    return this.control.request(owner.processId, { type, userId, runId, ...(payload === undefined ? {} : { payload }) });
  }

  answer(type: string, handler: RequestHandler): void {
    this.control.onRequest(type, handler);
  }
}
