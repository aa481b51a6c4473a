import type { AgentInput, AgentRunner, AgentTool } from '@agentwire/protocols';
import { BurstAgent, type BurstLimits, parseBurstInput } from './burst-agent';
import { DemoAgent } from './demo-agent';
import { createDemoTools } from './tools';

/** An agent the gateway can run: the runner, its tools, and a check of its input before a run starts. */
export interface CatalogEntry {
  readonly runner: AgentRunner;
  readonly tools: ReadonlyMap<string, AgentTool>;
  /** Throws when the input cannot start a run (so the client gets an error, not a failed run). */
  readonly checkInput?: (input: AgentInput) => void;
}

/** The agents of one gateway, by name; `demo` answers user_message. */
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

/** The built-in agents: `demo` (real tools) and `burst` (load tests, bounded by `burstLimits`). */
export function builtInAgents(burstLimits: BurstLimits & { readonly demoTokensPerSecond?: number }, now?: () => Date): CatalogEntry[] {
  return [
    { runner: new DemoAgent(burstLimits.demoTokensPerSecond), tools: createDemoTools(now) },
    { runner: new BurstAgent(burstLimits), tools: new Map(), checkInput: (input) => void parseBurstInput(input, burstLimits) },
  ];
}
