import { ConfigError } from '@agentwirejs/config';
import type { AgentInput, AgentRunner, AgentTool } from '@agentwirejs/protocols';
import { RemoteAgent, type RemoteAgentEndpoint, type RemoteAgentLimits, type RemoteAgentLogger } from './remote-agent';

/** An agent the gateway can run: the runner, its tools, and a check of its input before a run starts. */
export interface CatalogEntry {
  readonly runner: AgentRunner;
  readonly tools: ReadonlyMap<string, AgentTool>;
  /** Throws when the input cannot start a run (so the client gets an error, not a failed run). */
  readonly checkInput?: (input: AgentInput) => void;
  /** The run timeout of this agent's runs in ms (default: the tracker's, AGENTWIRE_RUN_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

/** The agents of one server, by name; `demo`, when there is one, answers user_message. */
export class AgentCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  constructor(entries: Iterable<CatalogEntry>) {
    for (const entry of entries) {
      if (this.entries.has(entry.runner.name)) throw new Error(`two agents are named '${entry.runner.name}'`);
      this.entries.set(entry.runner.name, entry);
    }
  }

  get(name: string): CatalogEntry | null {
    return this.entries.get(name) ?? null;
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }
}

/**
 * The gateway's agents plus the remote AG-UI agents of its configuration (AGENTWIRE_REMOTE_AGENTS).
 * A remote named like one of `agents` is a ConfigError: a configuration cannot replace a built-in agent.
 */
export function withRemoteAgents(
  agents: readonly CatalogEntry[],
  remotes: readonly RemoteAgentEndpoint[],
  logger: RemoteAgentLogger,
  limits?: RemoteAgentLimits,
): CatalogEntry[] {
  const taken = new Set(agents.map((entry) => entry.runner.name));
  const clashes = remotes.filter((remote) => taken.has(remote.name));
  if (clashes.length > 0) {
    throw new ConfigError(clashes.map((remote) => ({ variable: 'AGENTWIRE_REMOTE_AGENTS', message: `'${remote.name}' is the name of an agent the gateway has; choose another name` })));
  }
  const remoteEntries = remotes.map(
    (remote): CatalogEntry => ({
      runner: new RemoteAgent(remote, logger, limits),
      tools: new Map(),
      ...(remote.timeoutMs === undefined ? {} : { timeoutMs: remote.timeoutMs }),
    }),
  );
  return [...agents, ...remoteEntries];
}
