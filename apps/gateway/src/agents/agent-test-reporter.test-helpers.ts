import type { AgentRunReporter, InterruptRequest, TextStream } from '@agentwirejs/protocols';

export type ReportedEvent =
  | { kind: 'thinking'; reasoning: string }
  | { kind: 'tool_started'; tool: string; parameters: Record<string, unknown> }
  | { kind: 'tool_completed'; tool: string; results: unknown; success: boolean }
  | { kind: 'heartbeat' }
  | { kind: 'text' | 'reasoning'; text: string; deltas: number }
  | { kind: 'ask'; question: InterruptRequest }
  | { kind: 'other'; call: string };

/**
 * A reporter that records what an agent reported, in order (the tracker turns these into
 * events). Like a tracker whose queue is full, each report's promise resolves only a turn of
 * the event loop later; `overtaken` counts reports made while an earlier one had not resolved
 * yet, which an agent that awaits its reports never does. A streamed message is recorded once,
 * when it ends, with its whole text and how many deltas it took. `answers` answer ask() in order.
 */
export function recordingReporter(answers: unknown[] = []): { reporter: AgentRunReporter; events: ReportedEvent[]; overtaken(): number } {
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
  const message = (kind: 'text' | 'reasoning'): TextStream => {
    let text = '';
    let deltas = 0;
    return {
      messageId: `${kind}-${events.length}`,
      append: (delta) => {
        text += delta;
        deltas += 1;
        return paced();
      },
      end: () => {
        events.push({ kind, text, deltas });
        return paced();
      },
    };
  };
  const other = (call: string) => () => {
    events.push({ kind: 'other', call });
    return paced();
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
          toolCallId: `call-${events.length}`,
          complete: (results, success) => {
            events.push({ kind: 'tool_completed', tool, results, success });
            return paced();
          },
        };
      },
      startText: () => message('text'),
      startReasoning: () => message('reasoning'),
      startToolCall: (tool) => ({ toolCallId: tool, appendArgs: other('appendArgs'), end: other('end'), result: other('result') }),
      stateSnapshot: other('stateSnapshot'),
      stateDelta: other('stateDelta'),
      standaloneEvent: other('standaloneEvent'),
      startStep: () => other('stepFinished'),
      custom: other('custom'),
      ask: async (question) => {
        events.push({ kind: 'ask', question });
        await paced();
        if (answers.length === 0) throw new Error('no answer left for ask()');
        return answers.shift();
      },
    },
  };
}
