export type { AgentRunRequest } from '@agentwire/protocols';
export type { RunId, ThreadId, UserId } from '@agentwire/types';
