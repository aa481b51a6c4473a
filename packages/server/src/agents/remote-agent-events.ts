import type { EventSchemas } from '@ag-ui/core/schemas';
import { type AgentRunReporter, EventType, type TextStream, type ToolCallStream } from '@agentwirejs/protocols';
import { InvalidReportError, StreamClosedError } from '@agentwirejs/execution-tracker';

/** One AG-UI event as the remote sent it, validated by EventSchemas. */
export type RemoteEvent = ReturnType<(typeof EventSchemas)['parse']>;

/** The remote broke AG-UI's rules (an event for a message it never started, a second START of one id, …). */
export class RemoteProtocolViolation extends Error {}

/** The remote ended its run with RUN_ERROR. */
export class RemoteRunFailure extends Error {
  constructor(
    readonly remoteMessage: string,
    readonly remoteCode: string | undefined,
  ) {
    super(`The remote agent reported an error${remoteCode === undefined ? '' : ` (${remoteCode})`}: ${remoteMessage}`);
  }
}

/** A question a remote's RUN_FINISHED left open (AG-UI's interrupt outcome): a new run of the remote answers it with a resume entry. */
export type RemoteInterrupt = Extract<NonNullable<Extract<RemoteEvent, { type: typeof EventType.RUN_FINISHED }>['outcome']>, { type: 'interrupt' }>['interrupts'][number];

/**
 * What handling one event did: the run goes on, or the remote finished its run (with its result,
 * when a string, or with the interrupts it waits on to be answered).
 */
export type MappedEvent =
  | { readonly finished: false }
  | { readonly finished: true; readonly result: string | undefined; readonly interrupts?: readonly RemoteInterrupt[] };

const GOES_ON: MappedEvent = Object.freeze({ finished: false });
const MAX_ID_CHARS = 256;

/** A message or tool call that AG-UI's CHUNK shorthand opened; any event that is not a chunk of it closes it. */
type OpenChunk = { readonly kind: 'text' | 'reasoning'; readonly id: string; readonly stream: TextStream } | { readonly kind: 'tool'; readonly id: string; readonly call: ToolCallStream };

/** A TOOL_CALL_RESULT's content as the value the reporter encodes as JSON text again (so JSON text arrives as it was sent, up to whitespace). */
function resultValue(content: string | readonly unknown[]): unknown {
  if (typeof content !== 'string') return content;
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return content;
  }
}

/**
 * Re-emits a remote AG-UI run's events through the run's reporter, so they reach the user's
 * stream exactly as an in-process agent's: the remote's RUN_STARTED is absorbed (the tracker
 * emits its own), its messages, reasoning and tool calls keep their ids when the reporter can
 * take them, CHUNK events are expanded into START/CONTENT/END, and its RUN_FINISHED ends the run.
 * MESSAGES_SNAPSHOT, ACTIVITY_*, RAW and REASONING_ENCRYPTED_VALUE pass through as they are;
 * SUBAGENT_* (which AG-UI pairs with the sub-agent's own run) count as liveness only. A breach of AG-UI's ordering throws
 * RemoteProtocolViolation; the remote's RUN_ERROR throws RemoteRunFailure.
 */
export class RemoteEventMapper {
  private readonly texts = new Map<string, TextStream>();
  private readonly reasonings = new Map<string, TextStream>();
  private readonly toolCalls = new Map<string, ToolCallStream>();
  private readonly steps = new Map<string, () => Promise<void>>();
  private chunk: OpenChunk | null = null;

  constructor(
    private readonly reporter: AgentRunReporter,
    /** Ids of this form are the tracker's own: a remote id that has it is replaced by a new one. */
    private readonly trackerIdPrefix: string,
  ) {}

  async handle(event: RemoteEvent): Promise<MappedEvent> {
    if (!this.continuesChunk(event)) await this.closeChunk();
    try {
      return await this.map(event);
    } catch (error) {
      // The reporter refuses what AG-UI forbids (a reused id, a delta after its END): the remote's fault.
      if (error instanceof InvalidReportError || error instanceof StreamClosedError) throw new RemoteProtocolViolation(`${event.type}: ${error.message}`);
      throw error;
    }
  }

  private async map(event: RemoteEvent): Promise<MappedEvent> {
    const { reporter } = this;
    switch (event.type) {
      case EventType.RUN_STARTED:
        reporter.heartbeat();
        return GOES_ON;
      case EventType.RUN_FINISHED: {
        await this.closeChunk();
        const result = typeof event.result === 'string' ? event.result : undefined;
        return event.outcome?.type === 'interrupt' ? { finished: true, result, interrupts: event.outcome.interrupts } : { finished: true, result };
      }
      case EventType.RUN_ERROR:
        throw new RemoteRunFailure(event.message, event.code);
      case EventType.TEXT_MESSAGE_START:
        this.texts.set(event.messageId, reporter.startText(this.idOption(event.messageId)));
        return GOES_ON;
      case EventType.TEXT_MESSAGE_CONTENT:
        await this.opened(this.texts, 'text message', event.messageId).append(event.delta);
        return GOES_ON;
      case EventType.TEXT_MESSAGE_END:
        await this.opened(this.texts, 'text message', event.messageId).end();
        this.texts.delete(event.messageId);
        return GOES_ON;
      case EventType.TEXT_MESSAGE_CHUNK:
      case EventType.REASONING_MESSAGE_CHUNK:
        await this.chunkOfMessage(event.type === EventType.TEXT_MESSAGE_CHUNK ? 'text' : 'reasoning', event.messageId, event.delta);
        return GOES_ON;
      case EventType.REASONING_START:
      case EventType.REASONING_END:
        // The reporter emits these around each reasoning message it streams.
        reporter.heartbeat();
        return GOES_ON;
      case EventType.REASONING_MESSAGE_START:
        this.reasonings.set(event.messageId, reporter.startReasoning(this.idOption(event.messageId)));
        return GOES_ON;
      case EventType.REASONING_MESSAGE_CONTENT:
        await this.opened(this.reasonings, 'reasoning message', event.messageId).append(event.delta);
        return GOES_ON;
      case EventType.REASONING_MESSAGE_END:
        await this.opened(this.reasonings, 'reasoning message', event.messageId).end();
        this.reasonings.delete(event.messageId);
        return GOES_ON;
      case EventType.TOOL_CALL_START:
        this.startToolCall(event.toolCallId, event.toolCallName);
        return GOES_ON;
      case EventType.TOOL_CALL_ARGS:
        await this.opened(this.toolCalls, 'tool call', event.toolCallId).appendArgs(event.delta);
        return GOES_ON;
      case EventType.TOOL_CALL_END:
        await this.opened(this.toolCalls, 'tool call', event.toolCallId).end();
        return GOES_ON;
      case EventType.TOOL_CALL_CHUNK:
        await this.chunkOfToolCall(event.toolCallId, event.toolCallName, event.delta);
        return GOES_ON;
      case EventType.TOOL_CALL_RESULT:
        await this.opened(this.toolCalls, 'tool call', event.toolCallId).result(resultValue(event.content), true);
        this.toolCalls.delete(event.toolCallId);
        return GOES_ON;
      case EventType.STATE_SNAPSHOT:
        await reporter.stateSnapshot(event.snapshot);
        return GOES_ON;
      case EventType.STATE_DELTA:
        await reporter.stateDelta(event.delta as Readonly<Record<string, unknown>>[]);
        return GOES_ON;
      case EventType.STEP_STARTED:
        this.steps.set(event.stepName, reporter.startStep(event.stepName));
        return GOES_ON;
      case EventType.STEP_FINISHED: {
        const finish = this.opened(this.steps, 'step', event.stepName);
        this.steps.delete(event.stepName);
        await finish();
        return GOES_ON;
      }
      case EventType.CUSTOM:
        await reporter.custom(event.name, event.value);
        return GOES_ON;
      case EventType.MESSAGES_SNAPSHOT:
      case EventType.ACTIVITY_SNAPSHOT:
      case EventType.ACTIVITY_DELTA:
      case EventType.RAW:
      case EventType.REASONING_ENCRYPTED_VALUE:
        await reporter.standaloneEvent(event);
        return GOES_ON;
      default:
        // Valid AG-UI the reporter has no call for: not forwarded, but the remote is alive.
        reporter.heartbeat();
        return GOES_ON;
    }
  }

  /** The remote's id, kept when the reporter can take it (a new id stands for it otherwise). */
  private idOption(id: string): { readonly messageId?: string } {
    return id.length > 0 && id.length <= MAX_ID_CHARS && !id.startsWith(this.trackerIdPrefix) ? { messageId: id } : {};
  }

  private startToolCall(toolCallId: string, toolCallName: string): ToolCallStream {
    if (this.toolCalls.has(toolCallId)) throw new RemoteProtocolViolation(`TOOL_CALL_START: tool call ${toolCallId} was already started`);
    const { messageId } = this.idOption(toolCallId);
    const call = this.reporter.startToolCall(toolCallName, messageId === undefined ? undefined : { toolCallId: messageId });
    this.toolCalls.set(toolCallId, call);
    return call;
  }

  private opened<T>(open: ReadonlyMap<string, T>, what: string, id: string): T {
    const found = open.get(id);
    if (found === undefined) throw new RemoteProtocolViolation(`an event of ${what} ${id}, which is not open`);
    return found;
  }

  /** True when `event` is a chunk that goes on the message or tool call a chunk opened. */
  private continuesChunk(event: RemoteEvent): boolean {
    const open = this.chunk;
    if (open === null) return true;
    if (event.type === EventType.TEXT_MESSAGE_CHUNK || event.type === EventType.REASONING_MESSAGE_CHUNK) {
      const kind = event.type === EventType.TEXT_MESSAGE_CHUNK ? 'text' : 'reasoning';
      return open.kind === kind && (event.messageId === undefined || event.messageId === open.id);
    }
    if (event.type === EventType.TOOL_CALL_CHUNK) return open.kind === 'tool' && (event.toolCallId === undefined || event.toolCallId === open.id);
    return false;
  }

  private async closeChunk(): Promise<void> {
    const open = this.chunk;
    if (open === null) return;
    this.chunk = null;
    if (open.kind === 'tool') await open.call.end();
    else await open.stream.end();
  }

  private async chunkOfMessage(kind: 'text' | 'reasoning', messageId: string | undefined, delta: string | undefined): Promise<void> {
    let open = this.chunk;
    if (open === null) {
      if (messageId === undefined) throw new RemoteProtocolViolation(`the first ${kind} chunk of a message names no messageId`);
      const options = this.idOption(messageId);
      const stream = kind === 'text' ? this.reporter.startText(options) : this.reporter.startReasoning(options);
      this.chunk = open = { kind, id: messageId, stream };
    }
    if (open.kind !== 'tool' && delta !== undefined) await open.stream.append(delta);
  }

  private async chunkOfToolCall(toolCallId: string | undefined, toolCallName: string | undefined, delta: string | undefined): Promise<void> {
    let open = this.chunk;
    if (open === null) {
      if (toolCallId === undefined || toolCallName === undefined) throw new RemoteProtocolViolation('the first chunk of a tool call names no toolCallId or toolCallName');
      this.chunk = open = { kind: 'tool', id: toolCallId, call: this.startToolCall(toolCallId, toolCallName) };
    }
    if (open.kind === 'tool' && delta !== undefined) await open.call.appendArgs(delta);
  }
}
