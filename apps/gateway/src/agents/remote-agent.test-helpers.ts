// A real AG-UI-over-SSE server on 127.0.0.1 whose behaviour each test scripts, and a real
// execution tracker whose sink records what a user's stream would receive.
import 'reflect-metadata';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AgentExecutionTracker, type RunOutcome, getExecutionTracker, registerExecutionTracker } from '@agentwire/execution-tracker';
import type { AgentEvent, AgentInput, AgentRunner, SendResult } from '@agentwire/protocols';
import { UserExecutionContext, generateRunId } from '@agentwire/types';
import { container as rootContainer } from 'tsyringe';
import type { RemoteAgentLogger } from './remote-agent';

/** One request the remote received: its parsed body and headers, and whether the client went away before the answer ended. */
export interface ReceivedRequest {
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
  /** Resolves true when the client aborted (closed the connection before the response ended), false when the response ended. */
  readonly aborted: Promise<boolean>;
  readonly response: ServerResponse;
}

/** How the remote answers one request. */
export type RemoteBehaviour = (request: ReceivedRequest) => void | Promise<void>;

/** Starts an SSE answer (200, text/event-stream). */
export function openSse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

/** Writes AG-UI events as SSE `data:` frames. */
export function writeEvents(response: ServerResponse, ...events: readonly Record<string, unknown>[]): void {
  for (const event of events) response.write(`data: ${JSON.stringify(event)}\n\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A remote AG-UI agent server; `behave` decides each answer. Every request it receives is kept in `requests`. */
export class ScriptedRemote {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | null = null;
  private readonly open = new Set<ServerResponse>();

  constructor(public behave: RemoteBehaviour) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('the remote is not listening');
    return `http://127.0.0.1:${address.port}/agent`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.open.add(res);
        const aborted = new Promise<boolean>((resolve) => res.on('close', () => resolve(!res.writableFinished)));
        res.on('close', () => this.open.delete(res));
        const received: ReceivedRequest = { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, headers: req.headers, aborted, response: res };
        this.requests.push(received);
        void Promise.resolve(this.behave(received)).catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // idle keep-alive connections too
    await closed;
  }
}

/** A logger that keeps its lines. */
export class RecordingRemoteLogger implements RemoteAgentLogger {
  readonly lines: { level: 'warn' | 'info'; fields: Readonly<Record<string, unknown>>; message: string }[] = [];
  warn(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  info(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  get warnings() {
    return this.lines.filter((line) => line.level === 'warn');
  }
}

/** What a user's stream would receive: every event handed to the tracker's sink, with its user. */
type RecordedEvent = { readonly userId: string; readonly event: AgentEvent };

/** A real execution tracker (real clock, a fast sweep) over a recording sink. */
export class TrackerRig {
  readonly events: RecordedEvent[] = [];
  private readonly container = rootContainer.createChildContainer();
  private readonly registry;

  constructor(options: { readonly timeoutMs?: number; readonly coalesceMs?: number } = {}) {
    this.registry = registerExecutionTracker(this.container, {
      sink: {
        emitAgentEvent: (userId: string, event: AgentEvent): Promise<SendResult> => {
          this.events.push({ userId, event });
          return Promise.resolve({ seq: this.events.length, connections: 0 });
        },
      },
      sweepIntervalMs: 20,
      timeoutMs: options.timeoutMs ?? 10_000,
      coalesceMs: options.coalesceMs ?? 0,
      logger: { error: () => undefined, warn: () => undefined },
    });
  }

  trackerFor(userId: string): AgentExecutionTracker {
    return getExecutionTracker(new UserExecutionContext({ userId, threadId: 'thread-main', runId: generateRunId() }), this.container);
  }

  /** Starts a run of `agent` for `userId` and returns its id and outcome. */
  start(agent: AgentRunner, input: AgentInput, userId = 'alice', options: { readonly hangAfterMs?: number; readonly timeoutMs?: number } = {}): { runId: string; outcome: Promise<RunOutcome> } {
    return this.trackerFor(userId).startRun({ agent, input, ...options });
  }

  /** The payloads of one run's events, in order. */
  payloads(runId: string): Record<string, unknown>[] {
    return this.events.filter(({ event }) => event.run_id === runId).map(({ event }) => event.payload as unknown as Record<string, unknown>);
  }

  types(runId: string): string[] {
    return this.payloads(runId).map((payload) => String(payload['type']));
  }

  async close(): Promise<void> {
    await this.registry.shutdown({ graceMs: 0 });
  }
}
