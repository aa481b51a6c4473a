/**
 * @agentwirejs/ag-ui: an AG-UI agent (an `@ag-ui/client` AbstractAgent) whose runs go through an
 * agentwire gateway with @agentwirejs/client, so an AG-UI consumer gets agentwire's resume across
 * dropped connections, questions answered with AG-UI's interrupt/resume, and cancel on abortRun().
 */
export { AgentwireAgent, AgentwireAgentErrorCode, type AgentwireAgentConfig, type InterruptHandling } from './agentwire-agent';
export { RunInputError, startRequestOf, type StartRequest } from './run-input';
export type { HeldRun } from './run-relay';
