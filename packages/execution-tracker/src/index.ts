/** What this package will hold (AgentExecutionTracker) is built by issue 5; until then it exports only this. */
export const PACKAGE_STATUS = { name: '@agentwire/execution-tracker', issue: 5, ready: false } as const;
