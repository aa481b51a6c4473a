import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { AgentInput } from './wire/agent-events';
import type { StandaloneRunEvent } from './wire/run-events';

/** A tool an agent may call. */
export interface AgentTool {
  readonly name: string;
  readonly description: string;
  /** Runs the tool; rejects on failure. Must stop early when `signal` aborts. */
  execute(parameters: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}

/** A started tool call; complete it once, with the tool's real result. */
export interface ToolCallReport {
  /** Resolves when the run can take more events (see AgentRunReporter); await it to be paced. */
  readonly ready: Promise<void>;
  /** The AG-UI toolCallId of this call. */
  readonly toolCallId: string;
  /** Emits TOOL_CALL_RESULT (with the measured duration); paced like every emitting call. */
  complete(results: unknown, success: boolean): Promise<void>;
}

/** Options of a streamed text or reasoning message. */
export interface StreamOptions {
  /** The AG-UI messageId (default: a new unique id). */
  readonly messageId?: string;
}

/**
 * A streamed text (or reasoning) message: TEXT_MESSAGE_START when it is created, one
 * TEXT_MESSAGE_CONTENT per append (consecutive ones are coalesced before they are sequenced),
 * TEXT_MESSAGE_END on end(). A message the agent leaves open is ended when the run finishes.
 */
export interface TextStream {
  readonly messageId: string;
  /** Appends text; an empty delta is ignored. Rejects with a typed error once the message or the run has ended. */
  append(delta: string): Promise<void>;
  /** Ends the message (at once: pending deltas go out first). Ending twice is a no-op while the run is live; after the run ended it rejects with RunEndedError. */
  end(): Promise<void>;
}

/** A tool call whose arguments are streamed: TOOL_CALL_START, TOOL_CALL_ARGS per appendArgs, TOOL_CALL_END, TOOL_CALL_RESULT. */
export interface ToolCallStream {
  readonly toolCallId: string;
  /** Appends a fragment of the arguments' JSON text. Rejects once the arguments ended or the run ended. */
  appendArgs(delta: string): Promise<void>;
  /** The arguments are complete (TOOL_CALL_END). */
  end(): Promise<void>;
  /** Reports the tool's result (TOOL_CALL_RESULT), after end() (which it implies). Once. */
  result(results: unknown, success?: boolean): Promise<void>;
}

/**
 * A question for the run's user (AG-UI interrupt semantics). It is part of the user's stream
 * (every tab and a reconnecting client see it); the run waits, its hang rule paused, until the
 * user answers from any tab and any process, or until it expires.
 */
export interface InterruptRequest {
  /** Why the run asks (AG-UI Interrupt.reason), e.g. 'input_required'. */
  readonly reason: string;
  /** The question shown to the user. */
  readonly message?: string;
  /** JSON Schema the answer must satisfy (checked with ajv); an answer that does not is refused and the question stays open. */
  readonly responseSchema?: Readonly<Record<string, unknown>>;
  /** How long the question waits (default: the tracker's interruptExpiresMs, 5 minutes; the run's timeout does not run while it waits): then the run ends with interrupt_expired. */
  readonly expiresInMs?: number;
}

/**
 * How an agent tells the tracker what it is doing; each call but heartbeat becomes one or more
 * AG-UI events of the run, in call order.
 *
 * Pacing: a run's events wait in a bounded queue until its user's stream has sequenced the ones
 * before (one backplane round trip each over Redis). Each emitting call's promise resolves at
 * once while that queue is short, and otherwise once it has drained, so an agent that awaits
 * its reporter calls never emits faster than its events go out. An agent that does not await
 * and keeps reporting while the queue is full is ended with RUN_ERROR `agent_failed`.
 *
 * Refusal: once the run has ended (completed, cancelled, failed, timed out) every emitting call
 * is refused: its promise rejects with the tracker's RunEndedError (code RUN_ENDED), and nothing is
 * sent. The rejection is already handled, so a call the agent does not await cannot crash the process.
 *
 * Its calls are methods: call them on the reporter (`reporter.thinking(text)`), or bind them
 * before passing one on (`const think = reporter.thinking.bind(reporter)`); the tracker's
 * reporter is one object per run whose calls live on its class.
 */
export interface AgentRunReporter {
  /** Emits exactly one REASONING_MESSAGE_CHUNK {messageId, delta} (AG-UI's shorthand for a whole reasoning message): one stream position, agent_thinking for v1 clients. */
  thinking(reasoning: string): Promise<void>;
  /** Emits TOOL_CALL_START, TOOL_CALL_ARGS (the parameters' JSON) and TOOL_CALL_END now; the handle emits TOOL_CALL_RESULT. */
  toolStarted(toolName: string, parameters: Record<string, unknown>): ToolCallReport;
  /** Tells the tracker the run is alive without emitting anything (only a hang rule looks at it). */
  heartbeat(): void;
  /** Starts a streamed answer (TEXT_MESSAGE_START, role assistant). Throws InvalidReportError for an empty, overlong or reused messageId. */
  startText(options?: StreamOptions): TextStream;
  /** Starts streamed reasoning (REASONING_START and REASONING_MESSAGE_START; end() emits both ends). */
  startReasoning(options?: StreamOptions): TextStream;
  /** Starts a tool call whose arguments the agent streams. */
  startToolCall(toolName: string, options?: { readonly toolCallId?: string }): ToolCallStream;
  /** Emits STATE_SNAPSHOT. */
  stateSnapshot(snapshot: unknown): Promise<void>;
  /** Emits STATE_DELTA (an RFC 6902 JSON Patch). */
  stateDelta(patch: readonly Readonly<Record<string, unknown>>[]): Promise<void>;
  /**
   * Emits one AG-UI event that opens and closes nothing and that no other call makes
   * (STANDALONE_EVENT_TYPES: MESSAGES_SNAPSHOT, ACTIVITY_SNAPSHOT, ACTIVITY_DELTA, RAW,
   * REASONING_ENCRYPTED_VALUE), as it is. Refused with InvalidReportError when it is another type
   * or not valid by @ag-ui/core's EventSchemas.
   */
  standaloneEvent(event: StandaloneRunEvent): Promise<void>;
  /** Emits STEP_STARTED now; the returned function emits STEP_FINISHED. */
  startStep(stepName: string): () => Promise<void>;
  /**
   * Emits an app-defined CUSTOM event. Names starting with `agentwire.` are reserved; when the
   * tracker was given protocol extensions, the name must be registered there and the value valid.
   */
  custom(name: string, value: unknown): Promise<void>;
  /** Asks the user and waits for the answer (resolves with the validated answer; rejects when the run ends first). */
  ask(question: InterruptRequest): Promise<unknown>;
}

/** Everything one run of an agent gets. */
export interface AgentRunRequest {
  readonly runId: RunId;
  readonly threadId: ThreadId;
  readonly userId: UserId;
  readonly input: AgentInput;
  readonly tools: ReadonlyMap<string, AgentTool>;
  /**
   * Fires on cancel, timeout, death or shutdown: real work must stop. The tracker makes it at the
   * first read (a getter of the request's class: `{...request}` leaves it out, so pass it on by
   * reading it), and an agent that never reads it costs no AbortController.
   */
  readonly signal: AbortSignal;
  readonly reporter: AgentRunReporter;
}

/** What an agent returns: its final answer (sent as RUN_FINISHED.result; omit it when the answer was streamed). */
export interface AgentRunResult {
  readonly finalResponse?: string;
}

/** An agent: given input, tools, a signal and a reporter, it streams and produces its answer. */
export interface AgentRunner {
  readonly name: string;
  /**
   * The agent's hang rule, in ms: a run that reports nothing (no event, no heartbeat) for this
   * long ends with agent_error `dead`. Unset: the agent may wait as long as it needs (a slow
   * model call, a slow tool) and only the run's timeout ends it. Runs whose gateway process is
   * gone end as dead whatever the agent declares.
   */
  readonly hangAfterMs?: number;
  /**
   * Runs the agent. Rejecting ends the run with RUN_ERROR `agent_failed`, unless the error has a
   * `runErrorCode` property (lower snake_case, not one of AgentErrorCode's): then that is the
   * code, e.g. the gateway's remote agents end runs with `remote_unreachable`.
   */
  run(request: AgentRunRequest): Promise<AgentRunResult>;
}
