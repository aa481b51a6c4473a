// The scripted AG-UI remote (testing/scripted-remote.ts), a logger that keeps its lines, and a real
// execution tracker whose sink records what a user's stream would receive.
import 'reflect-metadata';
import { type AgentExecutionTracker, type RunOutcome, getExecutionTracker, registerExecutionTracker } from '@agentwirejs/execution-tracker';
import type { AgentEvent, AgentInput, AgentRunner, SendResult } from '@agentwirejs/protocols';
import { UserExecutionContext, generateRunId } from '@agentwirejs/types';
import { container as rootContainer } from 'tsyringe';
import type { RemoteAgentLogger } from './remote-agent';

export { type ReceivedRequest, type RemoteBehaviour, ScriptedRemote, openSse, writeEvents } from '../testing/scripted-remote';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
