export { Gateway } from './gateway';
export type { GatewayOptions } from './gateway';
export { builtInAgents } from './agents/built-in';
export { DemoAgent, planToolCalls } from './agents/demo-agent';
export { BurstAgent, parseBurstInput } from './agents/burst-agent';
