import type { AgentRunReporter } from '@agentwire/protocols';

export type ReportedEvent =
  | { kind: 'thinking'; reasoning: string }
  | { kind: 'tool_started'; tool: string; parameters: Record<string, unknown> }
  | { kind: 'tool_completed'; tool: string; results: unknown; success: boolean }
  | { kind: 'heartbeat' };

/** A reporter that records what an agent reported, in order (the tracker turns these into events). */
export function recordingReporter(): { reporter: AgentRunReporter; events: ReportedEvent[] } {
  const events: ReportedEvent[] = [];
  return {
    events,
    reporter: {
      thinking: (reasoning) => events.push({ kind: 'thinking', reasoning }),
      heartbeat: () => events.push({ kind: 'heartbeat' }),
      toolStarted: (tool, parameters) => {
        events.push({ kind: 'tool_started', tool, parameters });
        return { complete: (results, success) => events.push({ kind: 'tool_completed', tool, results, success }) };
      },
    },
  };
}
