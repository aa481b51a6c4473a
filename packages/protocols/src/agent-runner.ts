import type { RunId, ThreadId, UserId } from '@agentwire/types';
import type { AgentInput } from './wire/agent-events';

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
  /** Emits tool_completed; the promise paces the agent like AgentRunReporter.thinking's. */
  complete(results: unknown, success: boolean): Promise<void>;
}

/**
 * How an agent tells the tracker what it is doing; each call but heartbeat becomes an agent event.
 *
 * Pacing: a run's events wait in a bounded queue until its user's stream has sequenced the ones
 * before (one backplane round trip each over Redis). Each emitting call's promise resolves at
 * once while that queue is short, and otherwise once it has drained, so an agent that awaits
 * its reporter calls never emits faster than its events go out. An agent that does not await
 * and keeps reporting while the queue is full is ended with agent_error `agent_failed`.
 * The promises never reject; after the run has ended every call is a no-op that resolves at once.
 */
export interface AgentRunReporter {
  /** Emits agent_thinking. */
  thinking(reasoning: string): Promise<void>;
  /** Emits tool_executing now and returns the handle that emits tool_completed (with the measured duration). */
  toolStarted(toolName: string, parameters: Record<string, unknown>): ToolCallReport;
  /** Tells the tracker the run is alive without emitting anything (only a hang rule looks at it). */
  heartbeat(): void;
}

/** Everything one run of an agent gets. */
export interface AgentRunRequest {
  readonly runId: RunId;
  readonly threadId: ThreadId;
  readonly userId: UserId;
  readonly input: AgentInput;
  readonly tools: ReadonlyMap<string, AgentTool>;
  /** Fires on cancel, timeout, death or shutdown: real work must stop. */
  readonly signal: AbortSignal;
  readonly reporter: AgentRunReporter;
}

export interface AgentRunResult {
  readonly finalResponse: string;
}

/** An agent: given input, tools, a signal and a reporter, it produces a final answer. */
export interface AgentRunner {
  readonly name: string;
  /**
   * The agent's hang rule, in ms: a run that reports nothing (no event, no heartbeat) for this
   * long ends with agent_error `dead`. Unset: the agent may wait as long as it needs (a slow
   * model call, a slow tool) and only the run's timeout ends it. Runs whose gateway process is
   * gone end as dead whatever the agent declares.
   */
  readonly hangAfterMs?: number;
  run(request: AgentRunRequest): Promise<AgentRunResult>;
}
