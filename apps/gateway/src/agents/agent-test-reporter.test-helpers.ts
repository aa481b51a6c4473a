import type { AgentRunReporter } from '@agentwire/protocols';

export type ReportedEvent =
  | { kind: 'thinking'; reasoning: string }
  | { kind: 'tool_started'; tool: string; parameters: Record<string, unknown> }
  | { kind: 'tool_completed'; tool: string; results: unknown; success: boolean }
  | { kind: 'heartbeat' };

/**
 * A reporter that records what an agent reported, in order (the tracker turns these into
 * events). Like a tracker whose queue is full, each report's promise resolves only a turn of
 * the event loop later; `overtaken` counts reports made while an earlier one had not resolved
 * yet, which an agent that awaits its reports never does.
 */
export function recordingReporter(): { reporter: AgentRunReporter; events: ReportedEvent[]; overtaken(): number } {
  const events: ReportedEvent[] = [];
  let pending = 0;
  let overtaken = 0;
  const paced = (): Promise<void> => {
    if (pending > 0) overtaken += 1;
    pending += 1;
    return new Promise((resolve) =>
      setImmediate(() => {
        pending -= 1;
        resolve();
      }),
    );
  };
  return {
    events,
    overtaken: () => overtaken,
    reporter: {
      thinking: (reasoning) => {
        events.push({ kind: 'thinking', reasoning });
        return paced();
      },
      heartbeat: () => void events.push({ kind: 'heartbeat' }),
      toolStarted: (tool, parameters) => {
        events.push({ kind: 'tool_started', tool, parameters });
        return {
          ready: paced(),
          complete: (results, success) => {
            events.push({ kind: 'tool_completed', tool, results, success });
            return paced();
          },
        };
      },
    },
  };
}
