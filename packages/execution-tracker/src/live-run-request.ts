import type { AgentInput, AgentRunReporter, AgentRunRequest, AgentTool } from '@agentwirejs/protocols';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { LiveRun } from './live-run';

/**
 * What one run's agent gets. `signal` is a getter of the class, not of each request: the signal
 * is made only when the agent reads it (LiveRun.signal), and an accessor defined per object (an
 * object literal's `get signal()`) gives every request a map of its own that young-generation
 * collections keep alive with everything its getter reaches, the whole run included (measured
 * on Node 20: every run survived to the old generation). Own fields are the plain data.
 */
export class LiveRunRequest implements AgentRunRequest {
  readonly runId: RunId;
  readonly threadId: ThreadId;
  readonly userId: UserId;
  readonly input: AgentInput;
  readonly tools: ReadonlyMap<string, AgentTool>;
  readonly reporter: AgentRunReporter;
  readonly #run: LiveRun;

  constructor(run: LiveRun, reporter: AgentRunReporter) {
    const { runId, threadId, userId } = run.record;
    this.runId = runId;
    this.threadId = threadId;
    this.userId = userId;
    this.input = run.input;
    this.tools = run.tools;
    this.reporter = reporter;
    this.#run = run;
  }

  /** Fires on cancel, timeout, death or shutdown; made at the first read (see LiveRun.signal). */
  get signal(): AbortSignal {
    return this.#run.signal;
  }
}
