import { RunEndedError } from '@agentwirejs/execution-tracker';
import type { AgentRunRequest, AgentRunResult, AgentRunner } from '@agentwirejs/protocols';
import { type RunId, type UserId, generateRequestId } from '@agentwirejs/types';
import { RemoteAgentError, RemoteAgentErrorCode } from './remote-agent-errors';
import { type RemoteEvent, RemoteEventMapper, RemoteProtocolViolation, RemoteRunFailure } from './remote-agent-events';
import type { RemoteAgentLogger } from './remote-agent';

/** What one delivery of events did to its run. */
export interface DeliveryOutcome {
  /** Events of the delivery that entered the run (all of them, unless it ended part-way). */
  readonly accepted: number;
  /** True once the run has ended (its RUN_FINISHED or RUN_ERROR came, or it broke AG-UI's order). */
  readonly finished: boolean;
}

/** Why a delivery was refused; the run is unchanged by the refused events. */
export class DeliveryRefusedError extends Error {
  constructor(
    readonly reason: 'run_ended' | 'order_violation',
    message: string,
    /** Events of the delivery that entered the run before the refusal. */
    readonly accepted: number,
  ) {
    super(message);
    this.name = 'DeliveryRefusedError';
  }
}

interface Attached {
  readonly request: AgentRunRequest;
  readonly mapper: RemoteEventMapper;
  readonly log: Readonly<Record<string, string>>;
}

/**
 * The events of one external run, pushed by a backend (POST /api/v1/runs/{run_id}/events) instead
 * of read from an HTTP response: the same mapping as a remote agent's stream (RemoteEventMapper),
 * so the same ordering and terminal rules hold. Deliveries apply one after another in arrival
 * order; each resolves once its events went through the run's reporter (paced like any agent).
 */
export class ExternalRunFeed implements AgentRunner {
  private attached: Attached | null = null;
  private readonly attachedSignal: Promise<Attached>;
  private signalAttached: (attached: Attached) => void = () => undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private ended = false;
  private finish: { resolve(result: AgentRunResult): void; reject(error: unknown): void } | null = null;

  constructor(
    readonly name: string,
    private readonly logger: RemoteAgentLogger,
  ) {
    this.attachedSignal = new Promise((resolve) => (this.signalAttached = resolve));
  }

  /** Called by the tracker: the run waits here until its events end it, or it is cancelled, timed out or shut down. */
  run(request: AgentRunRequest): Promise<AgentRunResult> {
    const log = { agent: this.name, runId: request.runId, userId: request.userId, source: 'external' };
    const attached: Attached = { request, mapper: new RemoteEventMapper(request.reporter, `${request.runId}-`), log };
    this.attached = attached;
    return new Promise<AgentRunResult>((resolve, reject) => {
      this.finish = { resolve, reject };
      const onAbort = (): void => {
        this.end();
        reject(request.signal.reason);
      };
      if (request.signal.aborted) return onAbort();
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.signalAttached(attached);
    });
  }

  /** True once the run has ended (no delivery is taken any more). */
  get hasEnded(): boolean {
    return this.ended;
  }

  /**
   * Applies `events` in order after every earlier delivery. Rejects with DeliveryRefusedError
   * when the run has ended (before or part-way) or an event breaks AG-UI's order (which ends
   * the run with remote_protocol_error, as a remote agent's stream would).
   */
  deliver(events: readonly RemoteEvent[]): Promise<DeliveryOutcome> {
    const delivery = this.chain.then(() => this.apply(events));
    this.chain = delivery.catch(() => undefined);
    return delivery;
  }

  private async apply(events: readonly RemoteEvent[]): Promise<DeliveryOutcome> {
    const { mapper, log } = this.attached ?? (await this.attachedSignal);
    let accepted = 0;
    for (const [index, event] of events.entries()) {
      if (this.ended) {
        if (index > 0) {
          this.logger.warn({ ...log, code: RemoteAgentErrorCode.ProtocolError, ignored: events.length - index }, 'External run events after its end were ignored');
        }
        throw new DeliveryRefusedError('run_ended', `the run has ended; events[${index}] and after were not applied`, accepted);
      }
      try {
        const mapped = await mapper.handle(event);
        accepted += 1;
        if (mapped.finished) this.complete(mapped.result === undefined ? {} : { finalResponse: mapped.result });
      } catch (error) {
        // cancelled, timed out or shut down while this delivery was going through the reporter
        if (this.ended || error instanceof RunEndedError) throw new DeliveryRefusedError('run_ended', `the run has ended; events[${index}] and after were not applied`, accepted);
        if (error instanceof RemoteRunFailure) {
          accepted += 1;
          this.fail(RemoteAgentErrorCode.RunError, error.message, { remoteCode: error.remoteCode });
          continue;
        }
        if (error instanceof RemoteProtocolViolation) {
          this.fail(RemoteAgentErrorCode.ProtocolError, 'The external run broke the AG-UI event order', { detail: error.message });
          throw new DeliveryRefusedError('order_violation', `events[${index}] broke AG-UI's event order (${error.message}); the run ended with ${RemoteAgentErrorCode.ProtocolError}`, accepted);
        }
        throw error;
      }
    }
    return { accepted, finished: this.ended };
  }

  private complete(result: AgentRunResult): void {
    this.end();
    this.finish?.resolve(result);
  }

  private fail(code: RemoteAgentErrorCode, message: string, details: Readonly<Record<string, unknown>>): void {
    const ref = generateRequestId();
    this.logger.warn({ ...this.attached?.log, ref, code, ...details }, message);
    this.end();
    this.finish?.reject(new RemoteAgentError(code, message, ref));
  }

  private end(): void {
    this.ended = true;
  }
}

/**
 * The external runs this gateway process holds, by run id (one registry per gateway, made by the
 * composition root). A run's feed is registered as soon as the run is accepted, so events that
 * arrive before the tracker started the agent wait for it instead of being refused.
 */
export class ExternalRunFeeds {
  private readonly feeds = new Map<RunId, { readonly userId: UserId; readonly feed: ExternalRunFeed }>();

  constructor(private readonly logger: RemoteAgentLogger) {}

  /** A feed for a run about to start; `register` it under the run's id once the tracker accepted it. */
  create(name: string): ExternalRunFeed {
    return new ExternalRunFeed(name, this.logger);
  }

  register(userId: UserId, runId: RunId, feed: ExternalRunFeed, outcome: Promise<unknown>): void {
    this.feeds.set(runId, { userId, feed });
    void outcome.finally(() => this.feeds.delete(runId));
  }

  /** The feed of a live external run of `userId` on this process (another user's run is as unknown as none). */
  get(userId: UserId, runId: RunId): ExternalRunFeed | null {
    const held = this.feeds.get(runId);
    return held !== undefined && held.userId === userId ? held.feed : null;
  }

  get size(): number {
    return this.feeds.size;
  }
}
