export { Gateway, GATEWAY_BACKPLANE, GATEWAY_CONFIG, GATEWAY_LOGGER } from './gateway';
export type { GatewayOptions } from './gateway';
export { TokenService, AuthenticationError, presentedToken } from './auth';
export type { Identity, AuthFailureReason } from './auth';
export { AgentCatalog, builtInAgents } from './agents/catalog';
export type { CatalogEntry } from './agents/catalog';
export { DemoAgent, planToolCalls } from './agents/demo-agent';
export { BurstAgent, parseBurstInput } from './agents/burst-agent';
