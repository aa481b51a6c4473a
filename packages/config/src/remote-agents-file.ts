import { readFileSync } from 'node:fs';
import { ConfigError } from './load-config';
import { RemoteAgentsSchema, type RemoteAgentsSetting, describeRemoteAgentsIssue } from './settings';

const VARIABLE = 'AGENTWIRE_REMOTE_AGENTS_FILE';

/**
 * The remote agents a file holds: the same JSON as AGENTWIRE_REMOTE_AGENTS. A file that cannot
 * be read, is not JSON or does not fit the schema is a ConfigError naming the file (never its
 * content: it may hold secrets in headers).
 */
export function readRemoteAgentsFile(file: string): RemoteAgentsSetting {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ variable: VARIABLE, message: `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which may hold secrets.
    throw new ConfigError([{ variable: VARIABLE, message: `${file} is not valid JSON` }]);
  }
  const parsed = RemoteAgentsSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: VARIABLE, message: `${file}: ${describeRemoteAgentsIssue(issue)}` })));
  return parsed.data;
}
