import { type BaseEvent, EventType, type Interrupt } from '@ag-ui/client';
import { RequestError, type RunEventEnvelope, type RunHandle, type Unsubscribe, WireEventName } from '@agentwirejs/client';
import type { Subscriber } from 'rxjs';


/** An agentwire run that asked a question and was handed to AG-UI as a run finished with an interrupt outcome. */
export interface HeldRun {
  readonly run: RunHandle;
  /** The index in run.events of the first event not relayed yet (the one after the question). */
  readonly resumeAt: number;
  readonly interrupt: Interrupt;
}

export interface RelayOptions {
  readonly run: RunHandle;
  /** Index in run.events of the first event to relay. */
  readonly from: number;
  /** Whether a question ends the AG-UI run with an interrupt outcome (when nothing is open at that point). */
  readonly liftInterrupts: boolean;
  /** The run asked a question and the AG-UI run ended with it (liftInterrupts). */
  readonly onHeld: (held: HeldRun) => void;
  /** A RUN_STARTED was relayed before (a resumed segment): a run ending without its terminal event then gets a RUN_ERROR. */
  readonly started: boolean;
}

/**
 * Relays the AG-UI events of an agentwire run, from `from` on, to `subscriber`: each once and in
 * order, as the client hands them over (across reconnects: the client resumes the stream, so the
 * relay just keeps going), until the run's terminal event, then completes. Returns the teardown.
 */
export function relayRun(subscriber: Subscriber<BaseEvent>, options: RelayOptions): () => void {
  const { run } = options;
  const open = new OpenSpans();
  let index = options.from;
  let started = options.started;
  let ended = false;
  const listeners: Unsubscribe[] = [];
  const stop = (): void => {
    ended = true;
    for (const unsubscribe of listeners.splice(0)) unsubscribe();
  };

  const take = (envelope: RunEventEnvelope): void => {
    if (ended) return;
    index += 1;
    const event = envelope.payload as BaseEvent;
    switch (envelope.type) {
      case EventType.RUN_STARTED:
        started = true;
        subscriber.next(withoutInputEcho(event));
        return;
      case EventType.RUN_FINISHED:
      case EventType.RUN_ERROR:
        stop();
        subscriber.next(event);
        subscriber.complete();
        return;
      case EventType.CUSTOM: {
        subscriber.next(event);
        const interrupt = options.liftInterrupts && open.isEmpty ? interruptOf(event) : null;
        if (interrupt === null || run.runId === null) return;
        stop();
        options.onHeld({ run, resumeAt: index, interrupt });
        subscriber.next({ type: EventType.RUN_FINISHED, threadId: run.threadId, runId: run.runId, outcome: { type: 'interrupt', interrupts: [interrupt] } } as BaseEvent);
        subscriber.complete();
        return;
      }
      default:
        open.note(event);
        subscriber.next(event);
    }
  };

  while (!ended && index < run.events.length) {
    const envelope = run.events[index];
    if (envelope !== undefined) take(envelope);
  }
  if (ended) return stop;
  listeners.push(run.on('event', take));
  // A run that ends without a terminal event: refused (never started) or detached (the client closed).
  void run.done.then((outcome) => {
    if (ended) return;
    stop();
    if (outcome.status !== 'refused' && outcome.status !== 'detached') return;
    // Never started: no AG-UI run to end, the start was refused (runAgent rejects with the gateway's code).
    if (!started) subscriber.error(new RequestError(outcome.code, outcome.message));
    else {
      subscriber.next({ type: EventType.RUN_ERROR, code: outcome.code, message: outcome.message } as BaseEvent);
      subscriber.complete();
    }
  });
  return stop;
}

/**
 * The gateway's RUN_STARTED echoes the start it ran, with the user message under an id of its own;
 * AbstractAgent would add that message a second time beside the caller's, so the echo is left out.
 */
function withoutInputEcho(event: BaseEvent): BaseEvent {
  if (!('input' in event)) return event;
  const { input: _echo, ...rest } = event as BaseEvent & { input?: unknown };
  return rest as BaseEvent;
}

/** The question a CUSTOM agentwire.interrupt asks, as an AG-UI Interrupt, or null for any other CUSTOM event. */
function interruptOf(event: BaseEvent): Interrupt | null {
  const { name, value } = event as BaseEvent & { name?: unknown; value?: unknown };
  if (name !== WireEventName.Interrupt || typeof value !== 'object' || value === null) return null;
  const question = value as Record<string, unknown>;
  if (typeof question['id'] !== 'string') return null;
  return {
    id: question['id'],
    reason: typeof question['reason'] === 'string' ? question['reason'] : 'input_required',
    ...(typeof question['message'] === 'string' ? { message: question['message'] } : {}),
    ...(typeof question['responseSchema'] === 'object' && question['responseSchema'] !== null ? { responseSchema: question['responseSchema'] as Record<string, unknown> } : {}),
    ...(typeof question['expiresAt'] === 'string' ? { expiresAt: question['expiresAt'] } : {}),
  };
}

/**
 * What a run has opened and not closed yet (messages, tool calls, reasoning, steps). AG-UI refuses
 * a RUN_FINISHED while any is open, so a question asked in the middle of one stays inside the run.
 * (Chunk events need no tracking: AG-UI's chunk transform closes them itself.)
 */
class OpenSpans {
  private readonly keys = new Set<string>();

  get isEmpty(): boolean {
    return this.keys.size === 0;
  }

  note(event: BaseEvent): void {
    const fields = event as BaseEvent & { messageId?: unknown; toolCallId?: unknown; stepName?: unknown };
    const span = SPAN_OF[event.type];
    if (span === undefined) return;
    const key = `${span.kind}:${String(fields[span.field])}`;
    if (span.opens) this.keys.add(key);
    else this.keys.delete(key);
  }
}

const SPAN_OF: Readonly<Record<string, { readonly kind: string; readonly field: 'messageId' | 'toolCallId' | 'stepName'; readonly opens: boolean }>> = {
  [EventType.TEXT_MESSAGE_START]: { kind: 'text', field: 'messageId', opens: true },
  [EventType.TEXT_MESSAGE_END]: { kind: 'text', field: 'messageId', opens: false },
  [EventType.TOOL_CALL_START]: { kind: 'tool', field: 'toolCallId', opens: true },
  [EventType.TOOL_CALL_END]: { kind: 'tool', field: 'toolCallId', opens: false },
  [EventType.REASONING_START]: { kind: 'reasoning', field: 'messageId', opens: true },
  [EventType.REASONING_END]: { kind: 'reasoning', field: 'messageId', opens: false },
  [EventType.REASONING_MESSAGE_START]: { kind: 'reasoning-message', field: 'messageId', opens: true },
  [EventType.REASONING_MESSAGE_END]: { kind: 'reasoning-message', field: 'messageId', opens: false },
  [EventType.STEP_STARTED]: { kind: 'step', field: 'stepName', opens: true },
  [EventType.STEP_FINISHED]: { kind: 'step', field: 'stepName', opens: false },
};
