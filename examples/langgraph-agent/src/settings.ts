/** How the agent server runs, from its environment. Every value is documented in README.md. */
export interface Settings {
  /** PORT: where it listens (0 picks a free port, printed at start). */
  readonly port: number;
  /** HOST: the address it listens on. */
  readonly host: string;
  /** AGENT_TOKENS_PER_SECOND: how fast the model streams (words of the answer, pieces of a tool call). */
  readonly tokensPerSecond: number;
  /** AGENT_KEEPALIVE_SECONDS, in ms: the longest the stream goes without a byte before a `: ping` comment. */
  readonly keepAliveMs: number;
  /** AGENT_REQUIRE_APPROVAL (1 or 0): ask before each tool call (the run ends with AG-UI's interrupt outcome; the next run resumes it). */
  readonly requireApproval: boolean;
}

// An example agent server stands outside agentwire (nothing of agentwire goes into an agent's code), so it
// reads its own environment instead of @agentwirejs/config.
export const DEFAULT_SETTINGS: Settings = { port: 8001, host: '127.0.0.1', tokensPerSecond: 20, keepAliveMs: 3_000, requireApproval: false };

export class SettingsError extends Error {}

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, valid: (value: number) => boolean, what: string): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!valid(value)) throw new SettingsError(`${name} must be ${what}, got ${JSON.stringify(text)}`);
  return value;
}

const positive = (value: number): boolean => Number.isFinite(value) && value > 0;

/** Reads the settings from `env`; throws SettingsError naming the variable when one is not valid. */
export function readSettings(env: NodeJS.ProcessEnv): Settings {
  const host = env['HOST']?.trim();
  return {
    port: numberFrom(env, 'PORT', DEFAULT_SETTINGS.port, (value) => Number.isInteger(value) && value >= 0 && value <= 65_535, 'a TCP port (0 to 65535)'),
    host: host === undefined || host === '' ? DEFAULT_SETTINGS.host : host,
    tokensPerSecond: numberFrom(env, 'AGENT_TOKENS_PER_SECOND', DEFAULT_SETTINGS.tokensPerSecond, positive, 'a number above zero'),
    keepAliveMs: numberFrom(env, 'AGENT_KEEPALIVE_SECONDS', DEFAULT_SETTINGS.keepAliveMs / 1000, positive, 'a number above zero') * 1000,
    requireApproval: numberFrom(env, 'AGENT_REQUIRE_APPROVAL', DEFAULT_SETTINGS.requireApproval ? 1 : 0, (value) => value === 0 || value === 1, '1 or 0') === 1,
  };
}
