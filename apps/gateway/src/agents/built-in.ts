import type { CatalogEntry } from '@agentwirejs/server';
import { BurstAgent, type BurstLimits, parseBurstInput } from './burst-agent';
import { DemoAgent } from './demo-agent';
import { createDemoTools } from './tools';

/** The gateway's built-in agents: `demo` (real tools; it answers user_message) and `burst` (load tests, bounded by `burstLimits`). */
export function builtInAgents(burstLimits: BurstLimits & { readonly demoTokensPerSecond?: number }, now?: () => Date): CatalogEntry[] {
  return [
    { runner: new DemoAgent(burstLimits.demoTokensPerSecond), tools: createDemoTools(now) },
    { runner: new BurstAgent(burstLimits), tools: new Map(), checkInput: (input) => void parseBurstInput(input, burstLimits) },
  ];
}
