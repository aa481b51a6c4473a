import { AbstractAgent, type AgentConfig, type BaseEvent, EventType, type ResumeEntry, type RunAgentInput } from '@ag-ui/client';
import { type AgentwireClient, type ClientOptions, RequestError, type RunHandle, createClient } from '@agentwirejs/client';
import { Observable } from 'rxjs';
import { type HeldRun, relayRun } from './run-relay';
import { startRequestOf } from './run-input';

/**
 * How a question an agentwire run asks (CUSTOM agentwire.interrupt) reaches the AG-UI consumer.
 * - `finish-run` (default): as AG-UI 1.0 does it. The CUSTOM event is relayed, then the AG-UI run
 *   ends with RUN_FINISHED `outcome: {type: 'interrupt', interrupts: [question]}` (runAgent()
 *   resolves, `agent.pendingInterrupts` holds it) while the agentwire run goes on waiting; the
 *   consumer answers with `runAgent({resume: [{interruptId, status: 'resolved', payload}]})`,
 *   which sends the answer to the waiting run (nothing new is started) and relays the rest of it.
 *   `status: 'cancelled'` cancels the agentwire run (agentwire has no way to decline a question).
 *   A question asked while a message, tool call, reasoning or step is open stays inside the run,
 *   as with `in-run`.
 * - `in-run`: the CUSTOM event is relayed and the run goes on; answer with `agent.answer(id, value)`
 *   while runAgent() is still pending.
 */
export type InterruptHandling = 'finish-run' | 'in-run';

export interface AgentwireAgentConfig extends AgentConfig {
  /**
   * The agentwire client to run through (shared: `close()` leaves it open), or the options to
   * create one with (owned by the agent: `close()` closes it). In Node 20 pass `ws` as `WebSocket`.
   */
  readonly client: AgentwireClient | ClientOptions;
  /** The agentwire agent every run starts (e.g. `demo`), unless a run's `forwardedProps.agent` names another. */
  readonly agent: string;
  /** See InterruptHandling. Default `finish-run`. */
  readonly interrupts?: InterruptHandling;
}

/** Error codes of the adapter's own refusals (the gateway's codes pass through as they are). */
export const AgentwireAgentErrorCode = {
  /** A resume entry names a question no run of this agent (or its clones) is waiting on. */
  UnknownInterrupt: 'unknown_interrupt',
  /** answer() was called for a question that ended its AG-UI run: answer it with runAgent({resume}). */
  AnswerWithResume: 'answer_with_resume',
} as const;

/** Runs held on a question, shared by an agent and its clones (an AG-UI server may clone the agent per request). */
type HeldRuns = Map<string, HeldRun>;

/**
 * An AG-UI agent (`@ag-ui/client`'s AbstractAgent) whose runs are agentwire runs: an AG-UI consumer
 * (CopilotKit, or any code on `runAgent()` / `subscribe()`) uses agentwire as its transport.
 * Unlike AG-UI's HttpAgent, whose stream dies with its HTTP response, a run survives dropped
 * connections: the agentwire client reconnects and resumes the user's stream where it stopped,
 * and the run's events just keep coming, none lost, none repeated.
 *
 * The events are the agentwire run's own (AG-UI events from the gateway), with agentwire's run id
 * (RUN_STARTED.runId is the gateway's, not RunAgentInput.runId) and the AG-UI threadId as the
 * agentwire thread, so a conversation stays on one agentwire thread.
 */
export class AgentwireAgent extends AbstractAgent {
  /** The agentwire agent runs start (see AgentwireAgentConfig.agent). */
  agentName: string;
  /** See InterruptHandling. */
  interruptHandling: InterruptHandling;
  private connection: AgentwireClient;
  private ownsConnection: boolean;
  private held: HeldRuns = new Map();
  /** The agentwire run the current AG-UI run relays, while it does. */
  private live: RunHandle | null = null;

  constructor(config: AgentwireAgentConfig) {
    const { client, agent, interrupts, ...agentConfig } = config;
    super(agentConfig);
    this.agentName = agent;
    this.interruptHandling = interrupts ?? 'finish-run';
    this.ownsConnection = !isClient(client);
    this.connection = isClient(client) ? client : createClient(client);
  }

  /** The agentwire client the runs go through. */
  get client(): AgentwireClient {
    return this.connection;
  }

  /** The agentwire run the current AG-UI run relays (null between runs). */
  get currentRun(): RunHandle | null {
    return this.live;
  }

  /**
   * Starts the agentwire run `input` stands for (see startRequestOf), or, when `input.resume`
   * answers a question a held run waits on, answers it and relays the rest of that run. The
   * Observable emits the run's AG-UI events up to its one terminal event, then completes; it errors
   * (runAgent() rejects) with a RequestError when the gateway refuses the start or the answer.
   * Unsubscribing stops relaying but does not cancel the run (abortRun() does).
   */
  run(input: RunAgentInput): Observable<BaseEvent> {
    return new Observable<BaseEvent>((subscriber) => {
      let stopRelay: (() => void) | null = null;
      let unsubscribed = false;
      const relay = (run: RunHandle, from: number, started: boolean): void => {
        if (unsubscribed) return;
        this.live = run;
        stopRelay = relayRun(subscriber, {
          run,
          from,
          started,
          liftInterrupts: this.interruptHandling === 'finish-run',
          onHeld: (held) => this.held.set(held.interrupt.id, held),
        });
      };
      const resume = input.resume ?? [];
      if (resume.length > 0) {
        this.resumeHeld(resume).then(
          (held) => {
            if (unsubscribed) return;
            subscriber.next({ type: EventType.RUN_STARTED, threadId: held.run.threadId, runId: held.run.runId ?? '' } as BaseEvent);
            relay(held.run, held.resumeAt, true);
          },
          (error: unknown) => subscriber.error(error),
        );
      } else {
        try {
          const request = startRequestOf(input, this.agentName);
          relay(this.connection.startRun({ agent: request.agent, input: request.input, threadId: input.threadId }), 0, false);
        } catch (error) {
          subscriber.error(error);
        }
      }
      return () => {
        unsubscribed = true;
        stopRelay?.();
        this.live = null;
      };
    });
  }

  /** Cancels the agentwire run the current AG-UI run relays; its RUN_FINISHED (outcome cancelled) then ends the AG-UI run. */
  override abortRun(): void {
    const run = this.live;
    // A cancel that fails means the run has already ended (or the client closed): its end arrives anyway.
    if (run !== null) run.cancel().catch(() => undefined);
    super.abortRun();
  }

  /**
   * Answers a question the current run asked inside the run (`in-run`, or one asked while something
   * was open): resolves once the gateway took the answer; rejects with a RequestError (the gateway's
   * invalid_message when `value` does not fit the question's responseSchema; not_found).
   */
  async answer(interruptId: string, value: unknown): Promise<void> {
    if (this.held.has(interruptId)) {
      throw new RequestError(AgentwireAgentErrorCode.AnswerWithResume, `question ${interruptId} ended its AG-UI run; answer it with runAgent({ resume: [{ interruptId, status: 'resolved', payload }] })`);
    }
    const run = this.live;
    if (run === null || !run.interrupts.some((interrupt) => interrupt.id === interruptId)) {
      throw new RequestError('not_found', `no run of this agent asked question ${interruptId}`);
    }
    await run.answer(interruptId, value);
  }

  /** Closes the agentwire client if the agent created it (a client passed in stays open). Runs still open become detached. */
  async close(): Promise<void> {
    this.held.clear();
    if (this.ownsConnection) await this.connection.close();
  }

  /** A copy with the same messages and state, on the same client (never owned by the copy), sharing the runs held on questions. */
  override clone(): AgentwireAgent {
    const copy = super.clone() as AgentwireAgent;
    copy.agentName = this.agentName;
    copy.interruptHandling = this.interruptHandling;
    copy.connection = this.connection;
    copy.ownsConnection = false;
    copy.held = this.held;
    copy.live = null;
    return copy;
  }

  /** Sends the resume entries' answers to the run held on their questions and returns it (with the question no longer held). */
  private async resumeHeld(resume: readonly ResumeEntry[]): Promise<HeldRun> {
    const heldRuns = resume.map((entry) => this.held.get(entry.interruptId));
    const first = heldRuns[0];
    const unknown = resume.filter((_entry, index) => heldRuns[index] === undefined).map((entry) => entry.interruptId);
    if (first === undefined || unknown.length > 0) {
      throw new RequestError(AgentwireAgentErrorCode.UnknownInterrupt, `no run is waiting on question ${unknown.join(', ')}: it was not asked through this agent, or already answered`);
    }
    if (heldRuns.some((held) => held?.run !== first.run)) {
      throw new RequestError('invalid_message', 'the resume entries answer questions of different runs; resume one run at a time');
    }
    // agentwire asks one question at a time: the one the run was held on is the last one.
    const last = heldRuns.reduce<HeldRun>((latest, held) => (held !== undefined && held.resumeAt > latest.resumeAt ? held : latest), first);
    for (const entry of resume) {
      // Answered from another tab, cancelled or expired meanwhile: what became of it is in the run's events.
      if (first.run.interrupts.find((interrupt) => interrupt.id === entry.interruptId)?.status !== 'pending') continue;
      if (entry.status === 'cancelled') await first.run.cancel();
      else await first.run.answer(entry.interruptId, entry.payload === undefined ? null : entry.payload);
    }
    for (const entry of resume) this.held.delete(entry.interruptId);
    return last;
  }
}

function isClient(value: AgentwireClient | ClientOptions): value is AgentwireClient {
  return typeof (value as Partial<AgentwireClient>).startRun === 'function';
}
