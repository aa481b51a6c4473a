import { AgentEventType, type AgentEvent, type AgentRunReporter, type ToolCallReport } from '@agentwire/protocols';
import type { LiveRun } from './live-run';
import { RunPhase } from './run-state';

/** What a reporter needs from the tracker. */
export interface ReporterHost {
  /** Agent activity: a heartbeat, plus a phase change when given. False once the run has ended. */
  activity(run: LiveRun, phase: RunPhase | null): boolean;
  /** Queues an event; the promise resolves when the run's queue has room (never rejects). */
  emit(run: LiveRun, event: AgentEvent): Promise<void>;
  now(): number;
  /** A bug of ours while handling a report: logged, never thrown into the agent. */
  internalError(run: LiveRun, error: unknown): void;
}

const READY: Promise<void> = Promise.resolve();
const INERT_CALL: ToolCallReport = { ready: READY, complete: () => READY };

/**
 * The reporter one run's agent gets. Every call counts as a heartbeat; emitting calls return
 * the run's pacing promise (see AgentRunReporter); after the run's terminal event every call is
 * a silent no-op that resolves at once, and no call ever throws into the agent.
 */
export function createRunReporter(run: LiveRun, host: ReporterHost): AgentRunReporter {
  const ids = { run_id: run.record.runId, thread_id: run.record.threadId };
  const guard =
    <A extends unknown[], R>(fallback: R, body: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return body(...args);
      } catch (error) {
        host.internalError(run, error);
        return fallback;
      }
    };

  const toolStarted = (toolName: string, parameters: Record<string, unknown>): ToolCallReport => {
    if (!host.activity(run, RunPhase.ToolExecution)) return INERT_CALL;
    const name = String(toolName);
    const ready = host.emit(run, { type: AgentEventType.ToolExecuting, ...ids, payload: { tool_name: name, parameters } });
    run.toolOpened(name);
    const startedAt = host.now();
    let completed = false;
    return {
      ready,
      complete: guard(READY, (results: unknown, success: boolean): Promise<void> => {
        if (completed) return READY;
        completed = true;
        if (!host.activity(run, RunPhase.ResultProcessing)) return READY;
        run.toolClosed(name);
        const payload = { tool_name: name, results, duration_ms: Math.max(0, host.now() - startedAt), success: success === true };
        return host.emit(run, { type: AgentEventType.ToolCompleted, ...ids, payload });
      }),
    };
  };

  return {
    thinking: guard(READY, (reasoning: string): Promise<void> => {
      if (!host.activity(run, RunPhase.Thinking)) return READY;
      return host.emit(run, { type: AgentEventType.AgentThinking, ...ids, payload: { reasoning: String(reasoning) } });
    }),
    toolStarted: guard(INERT_CALL, toolStarted),
    heartbeat: guard(undefined, () => {
      host.activity(run, null);
    }),
  };
}
