import {
  AGENTWIRE_METADATA_KEY,
  AgentwireCustomEvent,
  type AgentRunReporter,
  EventType,
  type InterruptRequest,
  RESERVED_CUSTOM_EVENT_PREFIX,
  type RunEventPayload,
  STANDALONE_EVENT_TYPES,
  type StandaloneRunEvent,
  type StreamOptions,
  type TextStream,
  type ToolCallReport,
  type ToolCallStream,
  validateRunEventPayload,
} from '@agentwirejs/protocols';
import { InvalidReportError, RunEndedError, StreamClosedError } from './errors';
import type { LiveRun, PendingInterrupt } from './live-run';
import { RunPhase } from './run-state';

/** What a reporter needs from the tracker. */
export interface ReporterHost {
  /** Agent activity: a heartbeat, plus a phase change when given. False once the run has ended. */
  activity(run: LiveRun, phase: RunPhase | null): boolean;
  /** Queues an event; the promise resolves when the run's queue has room (never rejects). */
  emit(run: LiveRun, payload: RunEventPayload): Promise<void>;
  now(): number;
  /** A bug of ours while handling a report: logged, never thrown into the agent. */
  internalError(run: LiveRun, error: unknown): void;
  /** The problem with an app-defined CUSTOM event, or null (see ExecutionTrackerOptions.checkCustomEvent). */
  checkCustomEvent(name: string, value: unknown): string | null;
  /** Builds the check of answers against a JSON Schema; throws InvalidReportError for a schema that is not one. */
  answerCheck(schema: Readonly<Record<string, unknown>> | undefined): (value: unknown) => string | null;
  /** The default expiry of a question, in ms. */
  readonly interruptExpiresMs: number;
  /** Registers a question the run now waits on; its hang rule and timeout pause until it is answered. */
  waitFor(run: LiveRun, interrupt: PendingInterrupt): void;
}

const READY: Promise<void> = Promise.resolve();
const ignore = (): void => undefined;

/** A rejected promise that is already handled: awaiting it throws, dropping it crashes nothing. */
function refusal<T>(error: Error): Promise<T> {
  const refused = Promise.reject(error);
  refused.catch(ignore);
  return refused;
}

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}

/** The kinds of id the tracker makes: `<runId>-<kind><n>`, n counting up in the run. */
const GENERATED_ID_KINDS = ['msg', 'reasoning', 'call', 'tool-result', 'ask'] as const;
type GeneratedIdKind = (typeof GENERATED_ID_KINDS)[number];
/** What follows `<runId>-` in an id the tracker makes; reserved, so an id the agent chooses never equals one. */
const GENERATED_ID_TAIL = new RegExp(`^(?:${GENERATED_ID_KINDS.join('|')})\\d+$`);

function checkId(kind: string, id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) throw new InvalidReportError(`${kind} must be a non-empty string of at most 256 characters`);
  return id;
}

/**
 * The reporter one run's agent gets. Every call counts as a heartbeat; emitting calls return the
 * run's pacing promise (see AgentRunReporter). After the run's terminal event every emitting call
 * is refused with RunEndedError (a handled rejection), and a call on a message or tool call that
 * has ended with StreamClosedError. A bug of ours never throws into the agent.
 *
 * A class, its calls methods of its prototype: every run gets a reporter, and one made of
 * closures (a function per call plus their shared context) allocated about 1.7 KB per run,
 * the largest piece of starting one after the envelopes (sampling heap profiler, the gateway's
 * latency workload); this one is a few fields. The streams and handles its calls return are
 * still closures: they are made only when an agent opens one. As AgentRunReporter declares,
 * its calls are methods: call them on the reporter (or bind them).
 */
export class RunReporter implements AgentRunReporter {
  private readonly runId: string;
  /** `<runId>-`, made at the first id the run needs. */
  private prefix: string | null = null;
  private created = 0;
  /**
   * The `<kind>:<id>` of every message and tool call the agent started under an id of its own:
   * AG-UI consumers refuse a second START of one id. Made ids need no entry (see nextId), so a
   * run's thinking and toolStarted reports, however many, add nothing here; made at the first.
   */
  private chosenIds: Set<string> | null = null;

  constructor(
    private readonly run: LiveRun,
    private readonly host: ReporterHost,
  ) {
    this.runId = run.record.runId;
  }

  thinking(reasoning: string): Promise<void> {
    try {
      if (this.run.ending !== null) return refusal(new RunEndedError(this.runId));
      const delta = String(reasoning); // before an id is taken: a report that cannot be rendered emits nothing
      // One report, one event: AG-UI's chunk shorthand stands for a whole reasoning message
      // (start, content, end), so a thinking report costs one stream position, as in v1.
      return this.send(RunPhase.Thinking, { type: EventType.REASONING_MESSAGE_CHUNK, messageId: this.nextId('reasoning'), delta });
    } catch (error) {
      return this.guarded(error, READY);
    }
  }

  toolStarted(toolName: string, parameters: Record<string, unknown>): ToolCallReport {
    try {
      const call = this.openToolCall(toolName, undefined, jsonText(parameters ?? {}));
      return {
        ready: call.started.catch(ignore),
        toolCallId: call.toolCallId,
        complete: (results: unknown, success: boolean): Promise<void> => {
          // Completing twice stays the no-op it always was; after the run ended the call is refused.
          const completed = call.result(results, success).catch((error: unknown) => {
            if (error instanceof StreamClosedError) return undefined;
            throw error;
          });
          completed.catch(ignore);
          return completed;
        },
      };
    } catch (error) {
      return this.guarded(error, { ready: READY, toolCallId: '', complete: () => READY });
    }
  }

  heartbeat(): void {
    try {
      this.host.activity(this.run, null);
    } catch (error) {
      this.guarded(error, undefined);
    }
  }

  startText(options?: StreamOptions): TextStream {
    return this.openMessage('text', options);
  }

  startReasoning(options?: StreamOptions): TextStream {
    return this.openMessage('reasoning', options);
  }

  startToolCall(toolName: string, options?: { readonly toolCallId?: string }): ToolCallStream {
    const call = this.openToolCall(toolName, options?.toolCallId);
    return { toolCallId: call.toolCallId, appendArgs: call.appendArgs, end: call.end, result: call.result };
  }

  stateSnapshot(snapshot: unknown): Promise<void> {
    return this.checked({ type: EventType.STATE_SNAPSHOT, snapshot });
  }

  stateDelta(patch: readonly Readonly<Record<string, unknown>>[]): Promise<void> {
    return this.checked({ type: EventType.STATE_DELTA, delta: patch } as unknown as RunEventPayload);
  }

  standaloneEvent(event: StandaloneRunEvent): Promise<void> {
    if (this.run.ending !== null) return refusal(new RunEndedError(this.runId));
    const type = (event as { type?: unknown } | null)?.type;
    if (!(STANDALONE_EVENT_TYPES as readonly unknown[]).includes(type)) {
      return refusal(new InvalidReportError(`standaloneEvent takes ${STANDALONE_EVENT_TYPES.join(', ')}, not ${String(type)}`));
    }
    return this.checked(event);
  }

  startStep(stepName: string): () => Promise<void> {
    const { run, runId } = this;
    const name = checkId('stepName', stepName);
    const streamKey = `step:${name}`;
    // AG-UI consumers refuse a step started while one of the same name is active.
    if (run.hasOpenStream(streamKey)) throw new InvalidReportError(`Step ${name} is already active`);
    void this.send(null, { type: EventType.STEP_STARTED, stepName: name }).catch(ignore);
    if (run.ending === null) run.openStream(streamKey, { kind: 'step', id: name });
    let finished = false;
    return (): Promise<void> => {
      if (run.ending !== null) return refusal(new RunEndedError(runId));
      if (finished) return READY;
      finished = true;
      run.closeStream(streamKey);
      return this.send(null, { type: EventType.STEP_FINISHED, stepName: name });
    };
  }

  custom(name: string, value: unknown): Promise<void> {
    if (this.run.ending !== null) return refusal(new RunEndedError(this.runId));
    if (typeof name !== 'string' || name === '') return refusal(new InvalidReportError('a custom event needs a name'));
    if (name.startsWith(RESERVED_CUSTOM_EVENT_PREFIX)) return refusal(new InvalidReportError(`custom event names starting with ${RESERVED_CUSTOM_EVENT_PREFIX} are reserved`));
    let problem: string | null;
    try {
      problem = this.host.checkCustomEvent(name, value);
    } catch (error) {
      problem = `the custom event check failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (problem !== null) return refusal(new InvalidReportError(problem));
    // AG-UI refuses a CUSTOM event without a value (and the sink does not check it again).
    if (value === undefined) return refusal(new InvalidReportError('a custom event needs a value'));
    return this.send(null, { type: EventType.CUSTOM, name, value });
  }

  ask(question: InterruptRequest): Promise<unknown> {
    const { run, host, runId } = this;
    if (run.ending !== null) return refusal(new RunEndedError(runId));
    if (typeof question !== 'object' || question === null) return refusal(new InvalidReportError('ask needs a question object'));
    if (typeof question.reason !== 'string' || question.reason === '') return refusal(new InvalidReportError('a question needs a reason'));
    let check: (value: unknown) => string | null;
    try {
      check = host.answerCheck(question.responseSchema);
    } catch (error) {
      return refusal(error instanceof Error ? error : new InvalidReportError(String(error)));
    }
    const expiresInMs = question.expiresInMs ?? host.interruptExpiresMs;
    const expiresAt = host.now() + expiresInMs;
    // Past 8.64e15 ms a Date (expiresAt's ISO text) cannot be built.
    if (typeof expiresInMs !== 'number' || !(expiresInMs > 0) || !(expiresAt <= 8.64e15)) {
      return refusal(new InvalidReportError('expiresInMs must be a positive number of milliseconds'));
    }
    const id = this.nextId('ask');
    const value: Record<string, unknown> = { id, reason: question.reason, expiresAt: new Date(expiresAt).toISOString() };
    if (question.message !== undefined) value['message'] = String(question.message);
    if (question.responseSchema !== undefined) value['responseSchema'] = question.responseSchema;
    const answered = new Promise<unknown>((resolve, reject) => {
      void this.send(null, { type: EventType.CUSTOM, name: AgentwireCustomEvent.Interrupt, value });
      if (run.ending !== null) {
        reject(new RunEndedError(runId));
        return;
      }
      host.waitFor(run, { id, expiresAt, check, resolve, reject });
    });
    answered.catch(ignore);
    return answered;
  }

  // ---- internals ----

  /** What a guarded call does with what it caught: the agent's mistake is thrown to it; a bug of ours is logged, and the call returns `fallback`. */
  private guarded<R>(error: unknown, fallback: R): R {
    if (error instanceof InvalidReportError) throw error; // the agent's mistake: it should see it
    this.host.internalError(this.run, error);
    return fallback;
  }

  /** `<runId>-`, the start of every id the tracker makes in this run. */
  private get idPrefix(): string {
    return (this.prefix ??= `${this.runId}-`);
  }

  /** An id unique in the run by construction: made ids never repeat, and the agent cannot choose one (chosenId). */
  private nextId(kind: GeneratedIdKind): string {
    this.created += 1;
    return `${this.idPrefix}${kind}${this.created}`;
  }

  private chosenId(field: 'messageId' | 'toolCallId', id: unknown): string {
    const checked = checkId(field, id);
    const idPrefix = this.idPrefix;
    if (checked.startsWith(idPrefix) && GENERATED_ID_TAIL.test(checked.slice(idPrefix.length))) {
      throw new InvalidReportError(`${field} ${checked} has the form of the ids the tracker makes (${idPrefix}<kind><n>)`);
    }
    return checked;
  }

  /** Records the start of a message or tool call under an id the agent chose; refuses a second one. */
  private claim(streamKey: string, what: string): void {
    const chosenIds = (this.chosenIds ??= new Set());
    if (chosenIds.has(streamKey)) throw new InvalidReportError(`${what} was already started in this run`);
    chosenIds.add(streamKey);
  }

  /** Emits the payloads in order; the promise paces on the last one. */
  private send(phase: RunPhase | null, ...payloads: RunEventPayload[]): Promise<void> {
    const { run, host } = this;
    try {
      if (!host.activity(run, phase)) return refusal(new RunEndedError(this.runId));
      let paced = READY;
      for (const payload of payloads) paced = host.emit(run, payload);
      return paced;
    } catch (error) {
      host.internalError(run, error);
      return READY;
    }
  }

  /** A streamed message (text or reasoning): start now, append, end once. */
  private openMessage(kind: 'text' | 'reasoning', options: StreamOptions | undefined): TextStream {
    const { run, runId } = this;
    const chosen = options?.messageId !== undefined;
    const messageId = chosen ? this.chosenId('messageId', options.messageId) : this.nextId(kind === 'text' ? 'msg' : 'reasoning');
    const streamKey = `${kind}:${messageId}`;
    const phase = kind === 'text' ? RunPhase.ResultProcessing : RunPhase.Thinking;
    const what = `${kind === 'text' ? 'Text message' : 'Reasoning message'} ${messageId}`;
    let ended = false;
    if (run.ending === null) {
      if (chosen) this.claim(streamKey, what);
      if (kind === 'text') void this.send(phase, { type: EventType.TEXT_MESSAGE_START, messageId, role: 'assistant' }).catch(ignore);
      else void this.send(phase, { type: EventType.REASONING_START, messageId }, { type: EventType.REASONING_MESSAGE_START, messageId, role: 'reasoning' }).catch(ignore);
      // Only a message whose start went out is one RUN_FINISHED must end.
      if (run.ending === null) run.openStream(streamKey, { kind, id: messageId });
    }
    return {
      messageId,
      append: (delta: string): Promise<void> => {
        if (run.ending !== null) return refusal(new RunEndedError(runId));
        if (ended) return refusal(new StreamClosedError(what));
        const text = String(delta);
        if (text === '') return READY;
        const type = kind === 'text' ? EventType.TEXT_MESSAGE_CONTENT : EventType.REASONING_MESSAGE_CONTENT;
        return this.send(phase, { type, messageId, delta: text });
      },
      end: (): Promise<void> => {
        if (run.ending !== null) return refusal(new RunEndedError(runId));
        if (ended) return READY;
        ended = true;
        run.closeStream(streamKey);
        if (kind === 'text') return this.send(phase, { type: EventType.TEXT_MESSAGE_END, messageId });
        return this.send(phase, { type: EventType.REASONING_MESSAGE_END, messageId }, { type: EventType.REASONING_END, messageId });
      },
    };
  }

  /**
   * A tool call: START now; ARGS; END; RESULT once (which implies END). With `wholeArgs` the
   * arguments are known: START, ARGS and END go out as one report.
   */
  private openToolCall(toolName: string, chosenToolCallId: string | undefined, wholeArgs?: string) {
    const { run, host, runId } = this;
    const toolCallId = chosenToolCallId === undefined ? this.nextId('call') : this.chosenId('toolCallId', chosenToolCallId);
    const name = String(toolName);
    const streamKey = `tool_args:${toolCallId}`;
    const what = `Tool call ${toolCallId}`;
    let argsEnded = wholeArgs !== undefined;
    let resulted = false;
    const startedAt = host.now();
    let started: Promise<void> = READY;
    if (run.ending === null) {
      if (chosenToolCallId !== undefined) this.claim(streamKey, what);
      const start: RunEventPayload = { type: EventType.TOOL_CALL_START, toolCallId, toolCallName: name };
      started =
        wholeArgs === undefined
          ? this.send(RunPhase.ToolExecution, start)
          : this.send(RunPhase.ToolExecution, start, { type: EventType.TOOL_CALL_ARGS, toolCallId, delta: wholeArgs }, { type: EventType.TOOL_CALL_END, toolCallId });
      if (run.ending === null) {
        if (!argsEnded) run.openStream(streamKey, { kind: 'tool_args', id: toolCallId });
        run.toolOpened(name);
      }
    }
    const appendArgs = (delta: string): Promise<void> => {
      if (run.ending !== null) return refusal(new RunEndedError(runId));
      if (argsEnded) return refusal(new StreamClosedError(`${what}'s arguments`));
      const text = String(delta);
      return text === '' ? READY : this.send(RunPhase.ToolExecution, { type: EventType.TOOL_CALL_ARGS, toolCallId, delta: text });
    };
    const end = (): Promise<void> => {
      if (run.ending !== null) return refusal(new RunEndedError(runId));
      if (argsEnded) return READY;
      argsEnded = true;
      run.closeStream(streamKey);
      return this.send(RunPhase.ToolExecution, { type: EventType.TOOL_CALL_END, toolCallId });
    };
    const result = (results: unknown, success = true): Promise<void> => {
      if (run.ending !== null) return refusal(new RunEndedError(runId));
      if (resulted) return refusal(new StreamClosedError(`${what}'s result`));
      resulted = true;
      void end().catch(ignore);
      run.toolClosed(name);
      const metadata = { [AGENTWIRE_METADATA_KEY]: { tool_name: name, duration_ms: Math.max(0, host.now() - startedAt), success: success === true } };
      const messageId = this.nextId('tool-result');
      return this.send(RunPhase.ResultProcessing, { type: EventType.TOOL_CALL_RESULT, messageId, toolCallId, role: 'tool', content: jsonText(results), metadata });
    };
    return { toolCallId, started, appendArgs, end, result };
  }

  /**
   * An event the agent built: copied, then checked against EventSchemas. The copy is what is
   * sent, so the event goes out as it was checked however the agent changes its own object while
   * the event waits in the run's queue (the sink does not check it again: eventsChecked).
   */
  private checked(payload: RunEventPayload): Promise<void> {
    if (this.run.ending !== null) return refusal(new RunEndedError(this.runId));
    let copy: RunEventPayload;
    try {
      copy = structuredClone(payload);
    } catch (error) {
      return refusal(new InvalidReportError(`${String((payload as { type?: unknown }).type)} cannot be sent: ${error instanceof Error ? error.message : String(error)}`));
    }
    const problem = validateRunEventPayload(copy);
    return problem === null ? this.send(null, copy) : refusal(new InvalidReportError(problem));
  }
}
