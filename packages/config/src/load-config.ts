import { randomBytes } from 'node:crypto';
import { AgentwireError } from '@agentwirejs/types';
import { z } from 'zod';
import { ConfigErrorCode } from './errors';
import { type Environment, type LogLevel, type RemoteAgentsSetting, SETTINGS, type SettingName, describeRemoteAgentsIssue } from './settings';

export interface ConfigIssue {
  /** The environment variable at fault. */
  variable: string;
  /** What was expected. */
  message: string;
}

/** One or more settings are invalid; `issues` lists every one, by variable name. */
export class ConfigError extends AgentwireError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      ConfigErrorCode.InvalidConfig,
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n'),
    );
  }
}

/** agentwire's settings, validated and typed. Frozen. */
export interface AppConfig {
  readonly env: Environment;
  readonly host: string;
  readonly port: number;
  readonly jwtSecret: string;
  /**
   * True when no secret was configured (development only): loadConfig makes a random one,
   * loadProcessConfig reads it from jwtSecretFile.
   */
  readonly jwtSecretGenerated: boolean;
  /** The file the development secret was read from (loadProcessConfig), else null. */
  readonly jwtSecretFile: string | null;
  /** The token endpoint for the browser demo exists in development mode only. */
  readonly devTokenEndpoint: boolean;
  readonly tokenTtlSeconds: number;
  readonly redisUrl: string | null;
  /**
   * Settings that feed a package's option are undefined when unset: that package's default
   * applies (SETTINGS[name].defaultFrom names it; each package's *OptionsFromConfig passes them on).
   */
  readonly redisKeyPrefix: string | undefined;
  readonly maxPayloadBytes: number;
  readonly logLevel: LogLevel;
  readonly rateLimit: { readonly perSecond: number; readonly burst: number; readonly closeAfterRejections: number };
  readonly replay: { readonly maxEvents: number | undefined; readonly maxAgeMs: number | undefined };
  readonly limits: {
    readonly maxConnections: number | undefined;
    readonly maxConnectionsPerUser: number | undefined;
    readonly maxManagersPerUser: number | undefined;
    readonly maxRunsPerUser: number | undefined;
    readonly maxInputChars: number;
  };
  readonly manager: {
    readonly idleMs: number | undefined;
    readonly heartbeatIntervalMs: number | undefined;
    readonly sendHighWaterBytes: number | undefined;
    readonly sendQueueMax: number | undefined;
  };
  readonly runs: {
    readonly timeoutMs: number | undefined;
    /** How soon a run whose gateway process died is ended as dead by another process (Redis); waiting agents are not dead. */
    readonly deadAfterMs: number;
    readonly retentionMs: number | undefined;
  };
  readonly burst: { readonly maxEvents: number; readonly maxPayloadBytes: number };
  /** Streamed answers: how long deltas wait to be coalesced into one envelope; the demo agent's pace. */
  readonly stream: { readonly coalesceMs: number | undefined; readonly demoTokensPerSecond: number };
  /** Remote AG-UI agents by name (AGENTWIRE_REMOTE_AGENTS, else the file AGENTWIRE_REMOTE_AGENTS_FILE, read by loadProcessConfig); empty = none. */
  readonly remoteAgents: RemoteAgentsSetting;
  /** The file remote agents are read from, or null. */
  readonly remoteAgentsFile: string | null;
  /** Keys of the server API; empty = the API is off. */
  readonly apiKeys: readonly string[];
  readonly shutdownGraceMs: number;
}

const names = Object.keys(SETTINGS) as SettingName[];

const shape = Object.fromEntries(names.map((name) => [name, SETTINGS[name].schema.optional()])) as {
  [K in SettingName]: z.ZodOptional<(typeof SETTINGS)[K]['schema']>;
};

const SettingsSchema = z.strictObject(shape);

/** Test and production need a JWT secret, unless the app authenticates connections itself (LoadConfigOptions.jwt). */
const SettingsWithSecretSchema = SettingsSchema.superRefine((value, ctx) => {
  const env = value.AGENTWIRE_ENV ?? 'development';
  if (env !== 'development' && value.AGENTWIRE_JWT_SECRET === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['AGENTWIRE_JWT_SECRET'],
      message: `required when AGENTWIRE_ENV is ${env} (at least 32 characters)`,
    });
  }
});

type Settings = z.output<typeof SettingsSchema>;

export interface LoadConfigOptions {
  /**
   * Whether connections are authenticated with agentwire's JWTs (default true): then test and
   * production require AGENTWIRE_JWT_SECRET. An app that passes its own `authenticate` to
   * @agentwirejs/server sets false; without a secret, a random one is made (nothing is signed with it).
   */
  readonly jwt?: boolean;
}

/**
 * Reads agentwire's settings from `env` (process.env by default: this package is the only
 * reader of process.env). Empty values count as unset; unset values take their defaults, which
 * give the embedded single-process mode (a setting that feeds a package's option stays undefined:
 * the package that accepts the option holds its default, SETTINGS[name].defaultFrom). Every
 * problem is reported at once in a ConfigError, by variable name. In development, without AGENTWIRE_JWT_SECRET, a random secret is made (a
 * gateway process uses loadProcessConfig, which keeps it in a file instead).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, options: LoadConfigOptions = {}): AppConfig {
  const input: Record<string, string> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('AGENTWIRE_') || raw === undefined || raw.trim() === '') continue;
    input[key] = raw.trim();
  }
  for (const name of names) {
    const fallback = SETTINGS[name].default;
    if (input[name] === undefined && fallback !== undefined) input[name] = fallback;
  }
  const result = (options.jwt === false ? SettingsSchema : SettingsWithSecretSchema).safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.flatMap((issue) => toConfigIssues(issue, input)));
  return build(result.data);
}

function toConfigIssues(issue: z.core.$ZodIssue, input: Record<string, string>): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
    return issue.keys.map((key) => ({ variable: key, message: 'is not an agentwire setting (check the spelling)' }));
  }
  const variable = String(issue.path[0] ?? 'AGENTWIRE_*');
  // Secret (headers): the message names the agent and field, never the value.
  if (variable === 'AGENTWIRE_REMOTE_AGENTS') return [{ variable, message: describeRemoteAgentsIssue(issue, 1) }];
  const setting = (SETTINGS as Record<string, { secret?: boolean }>)[variable];
  const received = input[variable];
  const shown = received === undefined || setting?.secret ? '' : `, got ${JSON.stringify(received.slice(0, 60))}`;
  const message = issue.code === 'invalid_value' && 'values' in issue ? `expected one of ${issue.values.join(', ')}` : issue.message;
  return [{ variable, message: `${message}${shown}` }];
}

function build(s: Settings): AppConfig {
  const env = s.AGENTWIRE_ENV ?? 'development';
  const jwtSecretGenerated = s.AGENTWIRE_JWT_SECRET === undefined;
  const config: AppConfig = {
    env,
    host: need(s.AGENTWIRE_HOST),
    port: need(s.AGENTWIRE_PORT),
    jwtSecret: s.AGENTWIRE_JWT_SECRET ?? randomBytes(32).toString('base64url'),
    jwtSecretGenerated,
    jwtSecretFile: null,
    devTokenEndpoint: env === 'development',
    tokenTtlSeconds: need(s.AGENTWIRE_TOKEN_TTL_SECONDS),
    redisUrl: s.AGENTWIRE_REDIS_URL ?? null,
    redisKeyPrefix: s.AGENTWIRE_REDIS_KEY_PREFIX,
    maxPayloadBytes: need(s.AGENTWIRE_MAX_PAYLOAD_BYTES),
    logLevel: need(s.AGENTWIRE_LOG_LEVEL),
    rateLimit: {
      perSecond: need(s.AGENTWIRE_RATE_LIMIT_PER_SECOND),
      burst: need(s.AGENTWIRE_RATE_LIMIT_BURST),
      closeAfterRejections: need(s.AGENTWIRE_RATE_LIMIT_CLOSE_AFTER),
    },
    replay: { maxEvents: s.AGENTWIRE_REPLAY_MAX_EVENTS, maxAgeMs: s.AGENTWIRE_REPLAY_MAX_AGE_MS },
    limits: {
      maxConnections: s.AGENTWIRE_MAX_CONNECTIONS,
      maxConnectionsPerUser: s.AGENTWIRE_MAX_CONNECTIONS_PER_USER,
      maxManagersPerUser: s.AGENTWIRE_MAX_MANAGERS_PER_USER,
      maxRunsPerUser: s.AGENTWIRE_MAX_RUNS_PER_USER,
      maxInputChars: need(s.AGENTWIRE_MAX_INPUT_CHARS),
    },
    manager: {
      idleMs: s.AGENTWIRE_MANAGER_IDLE_MS,
      heartbeatIntervalMs: s.AGENTWIRE_HEARTBEAT_INTERVAL_MS,
      sendHighWaterBytes: s.AGENTWIRE_SEND_HIGH_WATER_BYTES,
      sendQueueMax: s.AGENTWIRE_SEND_QUEUE_MAX,
    },
    runs: {
      timeoutMs: s.AGENTWIRE_RUN_TIMEOUT_MS,
      deadAfterMs: need(s.AGENTWIRE_RUN_DEAD_AFTER_MS),
      retentionMs: s.AGENTWIRE_RUN_RETENTION_MS,
    },
    burst: {
      maxEvents: s.AGENTWIRE_BURST_MAX_EVENTS ?? (env === 'production' ? 1_000 : 200_000),
      maxPayloadBytes: need(s.AGENTWIRE_BURST_MAX_PAYLOAD_BYTES),
    },
    stream: { coalesceMs: s.AGENTWIRE_STREAM_COALESCE_MS, demoTokensPerSecond: need(s.AGENTWIRE_DEMO_TOKENS_PER_SECOND) },
    remoteAgents: s.AGENTWIRE_REMOTE_AGENTS ?? {},
    remoteAgentsFile: s.AGENTWIRE_REMOTE_AGENTS_FILE ?? null,
    apiKeys: s.AGENTWIRE_API_KEYS ?? [],
    shutdownGraceMs: need(s.AGENTWIRE_SHUTDOWN_GRACE_MS),
  };
  return deepFreeze(config);
}

// Every setting with a default was filled in before parsing, so these are always present.
function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('a defaulted setting is missing');
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child !== null && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value);
}
