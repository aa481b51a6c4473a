/**
 * @agentwirejs/server: the one composition root of agentwire. createAgentwireServer(options) gives
 * a server that takes WebSocket upgrades (attach it to an http.Server, or hand it upgrades from
 * Express or Fastify), authenticates them (JWT by default, or your callback), runs your agents
 * and remote AG-UI agents, keeps every user's stream ordered and resumable, and scales out over
 * Redis; its HTTP routes serve health, readiness, metrics and the server API.
 */
export { type AgentwireServer, WEBSOCKET_PATH, createAgentwireServer } from './server';
export type { AgentwireServerOptions, GatewayPhase, GatewayRouter } from './container';
export { DEFAULT_USER_MESSAGE_AGENT } from './container';
export { defineAppProtocol } from './handlers';
export type { AppProtocol, GatewayMessageRouter, GatewayRouteContext } from './handlers';
export { AuthenticationError, TokenService, checkedAuthentication, jwtAuthentication, presentedToken } from './auth';
export type { AuthFailureReason, Authentication, Identity, TokenServiceOptions } from './auth';
export { AgentCatalog, withRemoteAgents } from './agents/catalog';
export type { CatalogEntry } from './agents/catalog';
export { RemoteAgent, REMOTE_AGENT_DEFAULTS, remoteAgentEndpoints, runAgentInputOf } from './agents/remote-agent';
export type { RemoteAgentEndpoint, RemoteAgentLimits, RemoteAgentLogger } from './agents/remote-agent';
export { RemoteAgentError, RemoteAgentErrorCode } from './agents/remote-agent-errors';
export { GatewayMetrics } from './metrics';
export { createLogger, type Logger } from './logger';
export type { ServerApiOptions } from './api/options';
export { ABUSE_COOLDOWN_MS } from './abuse-cooldown';
export { CLOSE_HANDSHAKE_TIMEOUT_MS } from './session';
export { buildOpenApiDocument } from './api/openapi';
export { SERVER_API_ROUTES } from './api/routes';
export { RunSnapshotSchema } from './api/schemas';
export { AgentInputError, ServerErrorCode } from './errors';
