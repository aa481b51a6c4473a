import type { RunEventEnvelope } from '@agentwirejs/protocols';
import { ClientErrorCode, RequestError } from './errors';
import { Listeners, type Unsubscribe } from './listeners';
import type { SeqRange } from './resume-cursor';
import { WireEventName } from './wire-names';

/** How a run ended, as far as this client knows. `done` resolves with one of these and never rejects. */
export type RunOutcome =
  /** RUN_FINISHED with outcome success (or none): `result` is the event's, if the agent gave one. */
  | { readonly status: 'completed'; readonly runId: string; readonly result: unknown }
  /** RUN_FINISHED with outcome cancelled; `reason` from its metadata.agentwire, if given. */
  | { readonly status: 'cancelled'; readonly runId: string; readonly reason: string | null }
  /** RUN_ERROR: code agent_failed, timed_out, dead, shutdown, internal_error or interrupt_expired. */
  | { readonly status: 'failed'; readonly runId: string; readonly code: string; readonly message: string }
  /**
   * The run never started: the gateway refused the start_agent (its error code: invalid_message,
   * payload_too_large, limit_exceeded, rate_limited, …), or the connection closed before the
   * gateway confirmed it and no event of it came after the reconnect (connection_lost), or the
   * client was closed first (client_closed).
   */
  | { readonly status: 'refused'; readonly runId: null; readonly code: string; readonly message: string }
  /** The client was closed (or gave up reconnecting) while the run went on: the gateway may still be running it. */
  | { readonly status: 'detached'; readonly runId: string; readonly code: 'client_closed'; readonly message: string };

/** A question the run asked its user (CUSTOM agentwire.interrupt) and where it stands. */
export interface RunInterrupt {
  readonly id: string;
  readonly reason: string;
  readonly message?: string;
  /** JSON Schema the answer must satisfy. */
  readonly responseSchema?: Readonly<Record<string, unknown>>;
  /** ISO time after which the question no longer waits. */
  readonly expiresAt?: string;
  /** pending until CUSTOM agentwire.interrupt_resolved says otherwise (an answer from any tab resolves it). */
  readonly status: 'pending' | 'resolved' | 'cancelled' | 'expired';
}

/** What a run handle tells its listeners. */
export interface RunEvents {
  /** Every event of the run, in stream order (each once). */
  event: RunEventEnvelope;
  /** Text was added to `text`. */
  text: string;
  /** A question was asked, or its status changed. */
  interrupt: RunInterrupt;
  /** Positions of the user's stream were lost while the run was open: its events may be incomplete. */
  gap: SeqRange;
}

/**
 * One run started with client.startRun. Iterate it (`for await (const event of run)`) for the
 * run's events: the envelopes `{type, seq, ts, user_id, thread_id, run_id, payload}` whose
 * `payload` is the AG-UI event; every iteration starts at the run's first event and ends after
 * its terminal one (or when the run is refused or detached).
 */
export interface RunHandle extends AsyncIterable<RunEventEnvelope> {
  /** The thread the run belongs to: the one asked for, or one the client made up for it. */
  readonly threadId: string;
  readonly agent: string;
  /** The gateway's run id, once the run's first event has arrived (null before, and for a refused run). */
  readonly runId: string | null;
  /** Resolves with the run id once the run started, or with null if it never did. */
  readonly started: Promise<string | null>;
  /** The answer so far: every text delta of the run (TEXT_MESSAGE_CONTENT, TEXT_MESSAGE_CHUNK) in order. */
  readonly text: string;
  /** The run's events so far, in stream order. */
  readonly events: readonly RunEventEnvelope[];
  /** Questions the run asked, in order, with their status. */
  readonly interrupts: readonly RunInterrupt[];
  /** Ranges of the stream lost while the run was open (replay_gap). Empty for a complete run. */
  readonly gaps: readonly SeqRange[];
  /** The outcome once known, else null. */
  readonly outcome: RunOutcome | null;
  /** Resolves once the run has ended (or was refused or detached); never rejects. */
  readonly done: Promise<RunOutcome>;
  /**
   * Asks the gateway to cancel the run (cancel_run); the outcome then arrives as `cancelled` (or
   * as whatever ended the run first). Resolves once the gateway took the request; does nothing
   * for a run that has ended or never started.
   */
  cancel(): Promise<void>;
  /**
   * Answers the question `interruptId` with `value` (answer_interrupt). Resolves once the gateway
   * took the answer; rejects with a RequestError (invalid_message: the value does not fit the
   * question's responseSchema, which stays open; not_found: no such open question).
   */
  answer(interruptId: string, value: unknown): Promise<void>;
  on<K extends keyof RunEvents>(name: K, listener: (value: RunEvents[K]) => void): Unsubscribe;
}

/** What a run needs of its client: sending a request and learning whether the gateway refused it. */
export interface RunRequester {
  request(message: { readonly type: string; readonly [field: string]: unknown }): Promise<void>;
}

interface InterruptValue {
  readonly id?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
  readonly responseSchema?: unknown;
  readonly expiresAt?: unknown;
}

/** How many times a cancel is sent again after its connection dropped before the gateway confirmed it. */
const CANCEL_ATTEMPTS = 3;

/** The run handle: fed by the client with the run's envelopes, in stream order, each once. */
export class AgentRun implements RunHandle {
  runId: string | null = null;
  text = '';
  outcome: RunOutcome | null = null;
  readonly events: RunEventEnvelope[] = [];
  readonly interrupts: RunInterrupt[] = [];
  readonly gaps: SeqRange[] = [];
  readonly started: Promise<string | null>;
  readonly done: Promise<RunOutcome>;
  private readonly listeners = new Listeners<RunEvents>();
  /** Iterators waiting for the next event or the end. */
  private readonly waiting = new Set<() => void>();
  private resolveStarted!: (runId: string | null) => void;
  private resolveDone!: (outcome: RunOutcome) => void;

  constructor(
    readonly agent: string,
    readonly threadId: string,
    private readonly requester: RunRequester,
  ) {
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  on<K extends keyof RunEvents>(name: K, listener: (value: RunEvents[K]) => void): Unsubscribe {
    return this.listeners.on(name, listener);
  }

  /** The run's id became known (its first event arrived). */
  bind(runId: string): void {
    if (this.runId !== null || this.outcome !== null) return;
    this.runId = runId;
    this.resolveStarted(runId);
  }

  /** The next event of the run (the client has dropped repeats and checked it is this run's). */
  receive(envelope: RunEventEnvelope): void {
    if (this.outcome !== null) return;
    this.events.push(envelope);
    const payload = envelope.payload as { readonly type: string; readonly [field: string]: unknown };
    let addedText: string | null = null;
    let interrupt: RunInterrupt | null = null;
    switch (envelope.type) {
      case 'TEXT_MESSAGE_CONTENT':
      case 'TEXT_MESSAGE_CHUNK':
        if (typeof payload['delta'] === 'string' && payload['delta'] !== '') addedText = payload['delta'];
        break;
      case 'CUSTOM':
        interrupt = this.noteInterrupt(payload['name'], payload['value']);
        break;
      case 'RUN_FINISHED':
      case 'RUN_ERROR':
        this.outcome = outcomeOf(envelope.run_id, envelope.type, payload);
        break;
    }
    if (addedText !== null) this.text += addedText;
    this.listeners.emit('event', envelope);
    if (addedText !== null) this.listeners.emit('text', addedText);
    if (interrupt !== null) this.listeners.emit('interrupt', interrupt);
    if (this.outcome !== null) this.settle(this.outcome);
    else this.wake();
  }

  /** Stream positions were lost while the run was open. */
  noteGap(gap: SeqRange): void {
    if (this.outcome !== null) return;
    this.gaps.push(gap);
    this.listeners.emit('gap', gap);
  }

  /** The run never started (see RunOutcome `refused`). */
  refuse(code: string, message: string): void {
    if (this.outcome !== null || this.runId !== null) return;
    this.settle({ status: 'refused', runId: null, code, message });
  }

  /** The client closed while the run was open. */
  detach(message: string): void {
    if (this.outcome !== null) return;
    if (this.runId === null) this.settle({ status: 'refused', runId: null, code: ClientErrorCode.ClientClosed, message });
    else this.settle({ status: 'detached', runId: this.runId, code: ClientErrorCode.ClientClosed, message });
  }

  async cancel(): Promise<void> {
    const runId = await this.started;
    for (let attempt = 1; attempt <= CANCEL_ATTEMPTS && runId !== null && this.outcome === null; attempt += 1) {
      try {
        await this.requester.request({ type: 'cancel_run', run_id: runId });
        return;
      } catch (error) {
        // The run ended while the cancel was on its way (not_found), or the client closed: nothing left to cancel.
        if (this.outcome !== null) return;
        // The connection dropped before the gateway confirmed the cancel: send it again on the next one.
        if (!(error instanceof RequestError && error.code === ClientErrorCode.ConnectionLost) || attempt === CANCEL_ATTEMPTS) throw error;
      }
    }
  }

  async answer(interruptId: string, value: unknown): Promise<void> {
    const runId = await this.started;
    if (runId === null) throw new RequestError(ClientErrorCode.NotStarted, `the run never started, so it has no question ${interruptId} to answer`);
    await this.requester.request({ type: 'answer_interrupt', run_id: runId, interrupt_id: interruptId, value });
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEventEnvelope> {
    let index = 0;
    const next = async (): Promise<IteratorResult<RunEventEnvelope>> => {
      const event = this.events[index];
      if (event !== undefined) {
        index += 1;
        return { value: event, done: false };
      }
      if (this.outcome !== null) return { value: undefined, done: true };
      await new Promise<void>((resolve) => this.waiting.add(resolve));
      return next();
    };
    return {
      next,
      return: async () => {
        index = Number.POSITIVE_INFINITY;
        return { value: undefined, done: true };
      },
    };
  }

  private noteInterrupt(name: unknown, value: unknown): RunInterrupt | null {
    if (typeof value !== 'object' || value === null) return null;
    if (name === WireEventName.Interrupt) {
      const question = value as InterruptValue;
      if (typeof question.id !== 'string') return null;
      const interrupt: RunInterrupt = {
        id: question.id,
        reason: typeof question.reason === 'string' ? question.reason : '',
        ...(typeof question.message === 'string' ? { message: question.message } : {}),
        ...(typeof question.responseSchema === 'object' && question.responseSchema !== null ? { responseSchema: question.responseSchema as Record<string, unknown> } : {}),
        ...(typeof question.expiresAt === 'string' ? { expiresAt: question.expiresAt } : {}),
        status: 'pending',
      };
      this.interrupts.push(interrupt);
      return interrupt;
    }
    if (name === WireEventName.InterruptResolved) {
      const { interruptId, status } = value as { interruptId?: unknown; status?: unknown };
      const index = this.interrupts.findIndex((interrupt) => interrupt.id === interruptId);
      const known = this.interrupts[index];
      if (known === undefined || (status !== 'resolved' && status !== 'cancelled' && status !== 'expired')) return null;
      const changed: RunInterrupt = { ...known, status };
      this.interrupts[index] = changed;
      return changed;
    }
    return null;
  }

  private settle(outcome: RunOutcome): void {
    this.outcome = outcome;
    if (outcome.runId === null) this.resolveStarted(null);
    this.resolveDone(outcome);
    this.wake();
  }

  private wake(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const resolve of waiting) resolve();
  }
}

/** The outcome a terminal event states (README, wire contract v2: how runs end). */
function outcomeOf(runId: string, type: 'RUN_FINISHED' | 'RUN_ERROR', payload: { readonly [field: string]: unknown }): RunOutcome {
  if (type === 'RUN_ERROR') {
    return { status: 'failed', runId, code: typeof payload['code'] === 'string' ? payload['code'] : 'unknown', message: typeof payload['message'] === 'string' ? payload['message'] : '' };
  }
  const outcome = payload['outcome'] as { type?: unknown } | undefined;
  if (outcome?.type === 'cancelled') {
    const detail = (payload['metadata'] as { agentwire?: { reason?: unknown } } | undefined)?.agentwire;
    return { status: 'cancelled', runId, reason: typeof detail?.reason === 'string' ? detail.reason : null };
  }
  return { status: 'completed', runId, result: payload['result'] };
}
