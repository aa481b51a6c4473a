import type { RunAgentInput } from '@ag-ui/client';
import type { StartRunOptions } from '@agentwirejs/client';

/** What an AG-UI run asks agentwire to start: the agent and its input. */
export interface StartRequest {
  readonly agent: string;
  readonly input: StartRunOptions['input'];
}

/** An AG-UI run that names nothing agentwire could start (no user message and no forwardedProps.input). */
export class RunInputError extends Error {
  override readonly name = 'RunInputError';
  readonly code = 'invalid_message';
}

/**
 * The start_agent an AG-UI run stands for. agentwire agents keep their own thread (the AG-UI
 * threadId is the agentwire thread), so only what is new is sent: `forwardedProps.input` when the
 * caller put it there (a string or an object, e.g. a structured agent input), else the text of the
 * last user message. `forwardedProps.agent` names another agent than the configured one.
 */
export function startRequestOf(input: RunAgentInput, defaultAgent: string): StartRequest {
  const forwarded = isRecord(input.forwardedProps) ? input.forwardedProps : {};
  const agent = typeof forwarded['agent'] === 'string' && forwarded['agent'] !== '' ? forwarded['agent'] : defaultAgent;
  const given = forwarded['input'];
  if (typeof given === 'string' || isRecord(given)) return { agent, input: given };
  for (let index = input.messages.length - 1; index >= 0; index -= 1) {
    const message = input.messages[index];
    if (message?.role !== 'user') continue;
    const text = textOf(message.content);
    if (text !== '') return { agent, input: text };
  }
  throw new RunInputError('the run has no user message with text and no forwardedProps.input: there is nothing to send the agent');
}

/** A user message's text: the string, or its text parts joined (media parts have no agentwire equivalent). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isRecord(part) && part['type'] === 'text' && typeof part['text'] === 'string' ? part['text'] : ''))
    .filter((text) => text !== '')
    .join('\n');
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
