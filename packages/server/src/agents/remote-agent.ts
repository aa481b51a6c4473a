import { EventSchemas } from '@ag-ui/core/schemas';
import type { RemoteAgentsSetting } from '@agentwirejs/config';
import { InvalidReportError, RunAbortedError } from '@agentwirejs/execution-tracker';
import type { AgentInput, AgentRunRequest, AgentRunResult, AgentRunner } from '@agentwirejs/protocols';
import { generateRequestId } from '@agentwirejs/types';
import type { EventSourceParser } from 'eventsource-parser' with { 'resolution-mode': 'import' };
import { RemoteAgentError, RemoteAgentErrorCode } from './remote-agent-errors';
import { type RemoteEvent, RemoteEventMapper, type RemoteInterrupt, RemoteProtocolViolation, RemoteRunFailure } from './remote-agent-events';

/** Where a remote AG-UI agent lives and what every request to it carries. */
export interface RemoteAgentEndpoint {
  readonly name: string;
  /** The AG-UI endpoint (http or https) a RunAgentInput is POSTed to. */
  readonly url: string;
  /** Sent with every request (an API key, say); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The run timeout of this agent's runs (default: the gateway's AGENTWIRE_RUN_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

/** Where the runner writes its one line per fault. Pino's logger is one. */
export interface RemoteAgentLogger {
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
  info(fields: Readonly<Record<string, unknown>>, message: string): void;
}

/** Bounds of one remote run's stream. */
export interface RemoteAgentLimits {
  /** The largest SSE event (or unterminated line) in bytes; a larger one is remote_protocol_error. Default 1 MiB. */
  readonly maxEventBytes?: number;
  /** How long the stream is still read after the remote's RUN_FINISHED, to notice (and log) events it sends after it. Default 2000 ms. */
  readonly drainAfterFinishMs?: number;
}

export const REMOTE_AGENT_DEFAULTS = { maxEventBytes: 1_048_576, drainAfterFinishMs: 2_000 } as const satisfies Required<RemoteAgentLimits>;

export type CreateParser = (typeof import('eventsource-parser', { with: { 'resolution-mode': 'import' } }))['createParser'];

/** eventsource-parser is an ES module; the gateway is CommonJS, so it is imported (once per process, Node caches it) when a run needs it. */
export async function loadCreateParser(): Promise<CreateParser> {
  return (await import('eventsource-parser')).createParser;
}

/** One item of an SSE stream: an event's data, or a comment (a keep-alive such as `: ping`). */
type SseItem = { readonly kind: 'event'; readonly data: string } | { readonly kind: 'comment' };

/** Reads an SSE body incrementally; the caller pulls one item at a time, so a slow user stream slows the remote down (TCP back-pressure). */
class SseReader {
  private readonly pending: SseItem[] = [];
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;
  private problem: string | null = null;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    maxEventBytes: number,
    createParser: CreateParser,
  ) {
    this.parser = createParser({
      maxBufferSize: maxEventBytes,
      onEvent: (message) => {
        if (message.data.length > maxEventBytes) this.problem ??= `an event of more than ${maxEventBytes} bytes`;
        else this.pending.push({ kind: 'event', data: message.data });
      },
      onComment: () => this.pending.push({ kind: 'comment' }),
      // Unknown fields and bad `retry` values are ignored, as the SSE standard says; an endless line is not.
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.problem ??= `a line of more than ${maxEventBytes} bytes`;
      },
    });
  }

  /** The next item, or null when the body ended. Rejects when the connection breaks or is aborted. */
  async next(): Promise<SseItem | null> {
    for (;;) {
      const item = this.pending.shift();
      if (item !== undefined) return item;
      if (this.problem !== null) throw new RemoteProtocolViolation(this.problem);
      const { done, value } = await this.reader.read();
      if (done) return null; // an event without its closing blank line is discarded, as the SSE standard says
      this.parser.feed(this.decoder.decode(value, { stream: true }));
    }
  }
}

/** What a log line says about the run (never the headers, nor a URL's query or credentials). */
interface RunLogFields {
  readonly ref: string;
  readonly agent: string;
  readonly endpoint: string;
  readonly runId: string;
  readonly userId: string;
}

function endpointOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Why fetch could not get an answer: the socket error's code (ECONNREFUSED, ENOTFOUND…), never a message that could echo a header. */
function unreachableDetail(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : 'the request could not be made';
}

/** The AG-UI RunAgentInput a run POSTs: the user's text as a user message, the agent's input as forwardedProps. */
export function runAgentInputOf(runId: string, threadId: string, input: AgentInput): Record<string, unknown> {
  const messages = typeof input === 'string' ? [{ id: `${runId}-input`, role: 'user', content: input }] : [];
  return { threadId, runId, messages, state: {}, tools: [], context: [], forwardedProps: { input } };
}

/** An AG-UI resume entry: the user's answer to one interrupt. */
export interface ResumeEntryJson {
  readonly interruptId: string;
  readonly status: 'resolved';
  readonly payload: unknown;
}

/**
 * The RunAgentInput that continues a remote run after its interrupts were answered: a new remote
 * run (AG-UI: resuming starts a new run) on the same thread, child of the agentwire run, with the
 * answers as `resume` entries.
 */
export function resumeInputOf(runId: string, threadId: string, input: AgentInput, resumeNumber: number, answers: readonly ResumeEntryJson[]): Record<string, unknown> {
  return { threadId, runId: `${runId}-resume${resumeNumber}`, parentRunId: runId, messages: [], state: {}, tools: [], context: [], forwardedProps: { input }, resume: answers };
}

/** How a remote run ended well: its result, or the interrupts it waits on. */
interface FinishedExchange {
  readonly result: string | undefined;
  readonly interrupts?: readonly RemoteInterrupt[];
}

/** A remote that keeps interrupting is a loop, not a conversation: the run fails after this many resumes. */
const MAX_RESUMES_PER_RUN = 50;

/**
 * An agent behind an AG-UI HTTP endpoint: each run POSTs a RunAgentInput, reads the answer as
 * an SSE stream of AG-UI events and re-emits them through the run's reporter (RemoteEventMapper),
 * so they reach the user's stream as an in-process agent's do. The run's signal aborts the
 * request (the remote sees the disconnect). Every way the remote can fail ends the run once with
 * a RemoteAgentErrorCode and one warn line carrying the `ref` the RUN_ERROR message names.
 */
export class RemoteAgent implements AgentRunner {
  readonly name: string;
  private readonly endpoint: string;
  private readonly limits: Required<RemoteAgentLimits>;

  constructor(
    private readonly settings: RemoteAgentEndpoint,
    private readonly logger: RemoteAgentLogger,
    limits: RemoteAgentLimits = {},
  ) {
    this.name = settings.name;
    this.endpoint = endpointOf(settings.url);
    this.limits = { ...REMOTE_AGENT_DEFAULTS, ...limits };
  }

  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const { runId, threadId, userId, input, reporter } = request;
    const log: RunLogFields = { ref: generateRequestId(), agent: this.name, endpoint: this.endpoint, runId, userId };
    // One mapper for the whole run: ids and open messages carry over a resume.
    const mapper = new RemoteEventMapper(reporter, `${runId}-`);
    let body = runAgentInputOf(runId, threadId, input);
    for (let resumes = 0; ; resumes += 1) {
      const finished = await this.exchange(request, body, mapper, log);
      if (finished.interrupts === undefined) return finished.result === undefined ? {} : { finalResponse: finished.result };
      if (resumes >= MAX_RESUMES_PER_RUN) {
        throw this.fault(log, RemoteAgentErrorCode.ProtocolError, `The remote agent interrupted its run more than ${MAX_RESUMES_PER_RUN} times`, {});
      }
      const answers = await this.askUser(request, finished.interrupts, log);
      body = resumeInputOf(runId, threadId, input, resumes + 1, answers);
    }
  }

  /**
   * A remote run that finished with AG-UI's interrupt outcome waits on the user: each interrupt
   * becomes a question of the agentwire run (reporter.ask: every tab sees it, any tab or process
   * may answer, the run's timeout pauses), and the answers go back as resume entries.
   */
  private async askUser(request: AgentRunRequest, interrupts: readonly RemoteInterrupt[], log: RunLogFields): Promise<ResumeEntryJson[]> {
    const answers: ResumeEntryJson[] = [];
    for (const interrupt of interrupts) {
      const expiresAtMs = interrupt.expiresAt === undefined ? Number.NaN : Date.parse(interrupt.expiresAt);
      const expiresInMs = expiresAtMs - Date.now();
      let payload: unknown;
      try {
        payload = await request.reporter.ask({
          reason: interrupt.reason,
          ...(interrupt.message === undefined ? {} : { message: interrupt.message }),
          ...(interrupt.responseSchema === undefined ? {} : { responseSchema: interrupt.responseSchema }),
          ...(Number.isFinite(expiresInMs) ? { expiresInMs: Math.max(1, expiresInMs) } : {}),
        });
      } catch (error) {
        if (error instanceof InvalidReportError) {
          throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent sent an interrupt agentwire cannot ask', { detail: error.message.slice(0, 200) });
        }
        if (request.signal.aborted) this.ended(log, request.signal.reason);
        throw error;
      }
      answers.push({ interruptId: interrupt.id, status: 'resolved', payload });
    }
    return answers;
  }

  /** One request to the remote: POSTs `body` and follows the answer until the remote's RUN_FINISHED. */
  private async exchange(request: AgentRunRequest, body: Record<string, unknown>, mapper: RemoteEventMapper, log: RunLogFields): Promise<FinishedExchange> {
    const { signal, reporter } = request;
    const http = new AbortController();
    const abortHttp = (): void => http.abort(signal.reason);
    signal.addEventListener('abort', abortHttp, { once: true });
    let draining = false;
    try {
      if (signal.aborted) throw signal.reason;
      let response: Response;
      try {
        response = await fetch(this.settings.url, {
          method: 'POST',
          headers: { ...this.settings.headers, accept: 'text/event-stream', 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: http.signal,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw this.fault(log, RemoteAgentErrorCode.Unreachable, 'The remote agent could not be reached', { detail: unreachableDetail(error) });
      }
      if (!response.ok) {
        void response.body?.cancel().catch(() => undefined);
        throw this.fault(log, RemoteAgentErrorCode.HttpError, `The remote agent answered HTTP ${response.status}`, { status: response.status });
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!/^text\/event-stream\b/i.test(contentType) || response.body === null) {
        void response.body?.cancel().catch(() => undefined);
        throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent did not answer with an SSE stream', { detail: `content-type ${contentType.slice(0, 100) || 'missing'}` });
      }
      const reader = new SseReader(response.body.getReader(), this.limits.maxEventBytes, await loadCreateParser());
      const finished = await this.follow(reader, mapper, reporter, signal, log);
      draining = true;
      void this.drainAfterFinish(reader, http, log).finally(() => signal.removeEventListener('abort', abortHttp));
      return finished;
    } catch (error) {
      if (error instanceof RemoteAgentError) throw error;
      if (signal.aborted) {
        this.ended(log, signal.reason);
        throw error;
      }
      throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent could not be followed', { detail: error instanceof Error ? error.message.slice(0, 200) : String(error) });
    } finally {
      if (!draining) {
        signal.removeEventListener('abort', abortHttp);
        http.abort();
      }
    }
  }

  /** Reads and re-emits events until the remote's RUN_FINISHED; resolves with its result (when a string) or the interrupts it left open. */
  private async follow(reader: SseReader, mapper: RemoteEventMapper, reporter: AgentRunRequest['reporter'], signal: AbortSignal, log: RunLogFields): Promise<FinishedExchange> {
    for (;;) {
      let item: SseItem | null;
      try {
        item = await reader.next();
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof RemoteProtocolViolation) throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent sent an invalid stream', { detail: error.message });
        throw this.fault(log, RemoteAgentErrorCode.Disconnected, 'The connection to the remote agent dropped before its RUN_FINISHED', { detail: unreachableDetail(error) });
      }
      if (item === null) throw this.fault(log, RemoteAgentErrorCode.Disconnected, 'The remote agent ended its stream without RUN_FINISHED', {});
      if (item.kind === 'comment') {
        reporter.heartbeat();
        continue;
      }
      const event = this.parse(item.data, log);
      try {
        const mapped = await mapper.handle(event);
        if (mapped.finished) return { result: mapped.result, ...(mapped.interrupts === undefined ? {} : { interrupts: mapped.interrupts }) };
      } catch (error) {
        if (error instanceof RemoteProtocolViolation) throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent broke the AG-UI event order', { detail: error.message });
        if (error instanceof RemoteRunFailure) throw this.fault(log, RemoteAgentErrorCode.RunError, error.message, { remoteCode: error.remoteCode });
        throw error;
      }
    }
  }

  private parse(data: string, log: RunLogFields): RemoteEvent {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent sent an event that is not JSON', {});
    }
    const parsed = EventSchemas.safeParse(json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const type = typeof json === 'object' && json !== null ? String((json as { type?: unknown }).type).slice(0, 64) : typeof json;
    const where = issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.map(String).join('.')}`;
    throw this.fault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent sent an invalid AG-UI event', { detail: `${type}${where}: ${issue?.message ?? 'invalid'}` });
  }

  /**
   * After the remote's RUN_FINISHED (the run has completed) the stream is read a little longer:
   * an event the remote sends after it reaches no one and is logged once; then the request is closed.
   */
  private async drainAfterFinish(reader: SseReader, http: AbortController, log: RunLogFields): Promise<void> {
    const timer = setTimeout(() => http.abort(), this.limits.drainAfterFinishMs);
    try {
      for (let item = await reader.next(); item !== null; item = await reader.next()) {
        if (item.kind === 'comment') continue;
        this.logFault(log, RemoteAgentErrorCode.ProtocolError, 'The remote agent sent events after its RUN_FINISHED; they were ignored (the run had finished)', {});
        return;
      }
    } catch {
      // Closed by us, or dropped by the remote: the run has finished either way.
    } finally {
      clearTimeout(timer);
      http.abort();
    }
  }

  /** The one log line of a run the gateway ended while the remote was still at work (cancel, timeout, death, shutdown). */
  private ended(log: RunLogFields, reason: unknown): void {
    const state = reason instanceof RunAbortedError ? reason.state : 'aborted';
    const fields = { ...log, code: state };
    if (state === 'cancelled') this.logger.info(fields, 'Remote agent request aborted: the run was cancelled');
    else this.logger.warn(fields, 'Remote agent request aborted: the run ended');
  }

  private fault(log: RunLogFields, code: RemoteAgentErrorCode, message: string, details: Readonly<Record<string, unknown>>): RemoteAgentError {
    this.logFault(log, code, message, details);
    return new RemoteAgentError(code, message, log.ref);
  }

  private logFault(log: RunLogFields, code: RemoteAgentErrorCode, message: string, details: Readonly<Record<string, unknown>>): void {
    this.logger.warn({ ...log, code, ...details }, message);
  }
}

/** The remote agents of a configuration (AGENTWIRE_REMOTE_AGENTS), as endpoints. */
export function remoteAgentEndpoints(setting: RemoteAgentsSetting): RemoteAgentEndpoint[] {
  return Object.entries(setting).map(([name, remote]) =>
    typeof remote === 'string'
      ? { name, url: remote }
      : { name, url: remote.url, ...(remote.headers === undefined ? {} : { headers: remote.headers }), ...(remote.timeout_ms === undefined ? {} : { timeoutMs: remote.timeout_ms }) },
  );
}
