import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentProcess, pause } from './agent-process.test-helpers';

/**
 * examples/langgraph-agent (a LangGraph JS agent served over HTTP + SSE) run as a real Node
 * process, for the gateway's end-to-end specs. Started by path from the repo root (the example is
 * its own Nx project: importing from it would cross a module boundary), from its TypeScript
 * sources through @swc-node/register, so the spec needs no build of the example.
 */

const AGENT_DIR = resolve(__dirname, '../../../..', 'examples/langgraph-agent');
const MAIN = 'src/main.ts';
/** The line the agent prints once it listens; PORT=0 lets it pick a free port, so the port is read from here. */
const LISTENING = /langgraph agent listening on (http:\/\/127\.0\.0\.1:\d+)\//;

const START_DEADLINE_MS = 20_000;
const POLL_MS = 20;

/** What the agent's GET /stats answers. */
export interface LangGraphAgentStats {
  readonly runs_started: number;
  readonly runs_finished: number;
  readonly runs_failed: number;
  readonly runs_aborted: number;
}

export class LangGraphAgentProcess extends AgentProcess {
  private constructor(child: ChildProcess) {
    super('the LangGraph agent', child);
  }

  /** Starts `node -r @swc-node/register src/main.ts` on 127.0.0.1 and a free port with `env` added; resolves once GET /health answers ok. */
  static async start(env: Record<string, string>): Promise<LangGraphAgentProcess> {
    if (!existsSync(resolve(AGENT_DIR, MAIN))) throw new Error(`the LangGraph agent example is not at ${AGENT_DIR}/${MAIN}`);
    const child = spawn(process.execPath, ['-r', '@swc-node/register', MAIN], {
      cwd: AGENT_DIR,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = new LangGraphAgentProcess(child);
    await agent.untilHealthy(() => LISTENING.exec(agent.stdout)?.[1], START_DEADLINE_MS);
    return agent;
  }

  /** http://127.0.0.1:<port> */
  get baseUrl(): string {
    const base = LISTENING.exec(this.stdout)?.[1];
    if (base === undefined) throw new Error('the LangGraph agent has not said where it listens');
    return base;
  }

  /** The AG-UI endpoint (what AGENTWIRE_REMOTE_AGENTS names). */
  get agentUrl(): string {
    return `${this.baseUrl}/`;
  }

  async stats(): Promise<LangGraphAgentStats> {
    const response = await fetch(`${this.baseUrl}/stats`);
    if (!response.ok) throw new Error(`GET /stats answered ${response.status}`);
    return (await response.json()) as LangGraphAgentStats;
  }

  /** Resolves with the stats once `accept` takes them; rejects after `timeoutMs` with the last ones and what the agent printed. */
  async statsWhen(accept: (stats: LangGraphAgentStats) => boolean, timeoutMs = 5_000): Promise<LangGraphAgentStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (accept(stats)) return stats;
      if (Date.now() > deadline) throw new Error(`the LangGraph agent's stats did not come to pass within ${timeoutMs} ms: ${JSON.stringify(stats)}; stdout:\n${this.stdout}`);
      await pause(POLL_MS);
    }
  }
}
