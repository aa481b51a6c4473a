import type { AgentTool } from '@agentwirejs/protocols';
import { evaluateArithmetic } from './arithmetic';

function stringParameter(parameters: Record<string, unknown>, name: string): string {
  const value = parameters[name];
  if (typeof value !== 'string') throw new TypeError(`parameter '${name}' must be a string`);
  return value;
}

/** Evaluates an arithmetic expression with a bounded parser (never eval). */
export const calculatorTool: AgentTool = {
  name: 'calculator',
  description: 'Evaluates an arithmetic expression: + - * / % ^ and parentheses.',
  async execute(parameters) {
    const expression = stringParameter(parameters, 'expression');
    return { expression, value: evaluateArithmetic(expression) };
  },
};

/** Counts words, characters (code points) and characters other than white space. */
export const wordCountTool: AgentTool = {
  name: 'word_count',
  description: 'Counts the words and characters of a text.',
  async execute(parameters) {
    const text = stringParameter(parameters, 'text');
    const words = text.trim() === '' ? 0 : text.trim().split(/\s+/u).length;
    const characters = [...text].length;
    const nonSpace = [...text.replace(/\s+/gu, '')].length;
    return { words, characters, characters_without_spaces: nonSpace };
  },
};

/** The current time in an IANA time zone; an unknown zone is an error. */
export function currentTimeTool(now: () => Date = () => new Date()): AgentTool {
  return {
    name: 'current_time',
    description: 'Tells the current date and time in an IANA time zone such as Europe/Paris.',
    async execute(parameters) {
      const timeZone = stringParameter(parameters, 'time_zone');
      let format: Intl.DateTimeFormat;
      try {
        format = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'full', timeStyle: 'long' });
      } catch {
        throw new RangeError(`unknown time zone '${timeZone}'`);
      }
      const at = now();
      return { time_zone: format.resolvedOptions().timeZone, local_time: format.format(at), iso_utc: at.toISOString() };
    },
  };
}

/** The tool set of the demo agent. */
export function createDemoTools(now?: () => Date): ReadonlyMap<string, AgentTool> {
  return new Map([calculatorTool, wordCountTool, currentTimeTool(now)].map((tool) => [tool.name, tool]));
}
