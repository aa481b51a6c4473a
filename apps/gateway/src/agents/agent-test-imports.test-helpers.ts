export type { AgentRunRequest } from '@agentwirejs/protocols';
export type { RunId, ThreadId, UserId } from '@agentwirejs/types';
