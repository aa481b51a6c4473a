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
  complete(results: unknown, success: boolean): void;
}

/** How an agent tells the tracker what it is doing; each call becomes an agent event. */
export interface AgentRunReporter {
  /** Emits agent_thinking. */
  thinking(reasoning: string): void;
  /** Emits tool_executing now and returns the handle that emits tool_completed (with the measured duration). */
  toolStarted(toolName: string, parameters: Record<string, unknown>): ToolCallReport;
  /** Tells the tracker the run is alive without emitting anything. */
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
  run(request: AgentRunRequest): Promise<AgentRunResult>;
}
