import { z } from 'zod';

/** Deployment mode. development: random JWT secret and the dev token endpoint; test and production: a secret is required. */
export const EnvironmentSchema = z.enum(['development', 'test', 'production']);
export type Environment = z.infer<typeof EnvironmentSchema>;

export const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `expected a whole number from ${min} to ${max}` })
        .max(max, { error: `expected a whole number from ${min} to ${max}` }),
    );
}

/** One remote AG-UI agent: its URL, or `{url, headers?, timeout_ms?}` (headers are sent as they are and never logged). */
export const RemoteAgentSchema = z.union([
  z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'expected a header name' }), z.string().max(8192)).optional(),
    timeout_ms: z.number().int().min(100).max(86_400_000).optional(),
  }),
]);
export type RemoteAgentSetting = z.infer<typeof RemoteAgentSchema>;

/** name → remote agent, as JSON (AGENTWIRE_REMOTE_AGENTS, or the file AGENTWIRE_REMOTE_AGENTS_FILE names). */
export const RemoteAgentsSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, { error: 'expected an agent name: lower case, digits, _ and -, at most 64' }),
  RemoteAgentSchema,
);
export type RemoteAgentsSetting = z.infer<typeof RemoteAgentsSchema>;

/**
 * One problem of a remote agents JSON (AGENTWIRE_REMOTE_AGENTS or its file), naming the agent
 * and field it is about; `pathOffset` drops leading path elements (the variable's name).
 */
export function describeRemoteAgentsIssue(issue: z.core.$ZodIssue, pathOffset = 0): string {
  const path = issue.path.slice(pathOffset).map(String);
  if (issue.code === 'invalid_key') {
    return `agent name ${JSON.stringify(path.at(-1) ?? '')} is invalid: expected lower case letters, digits, _ and -, starting with a letter, at most 64`;
  }
  const where = path.length === 0 ? '' : `agent ${JSON.stringify(path[0])}${path.length > 1 ? ` ${path.slice(1).join('.')}` : ''}: `;
  if (issue.code === 'unrecognized_keys') return `${where}unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')} (expected url, headers, timeout_ms)`;
  return `${where}${issue.message}`;
}

function jsonOf<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'expected JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:]+\]?$/;

/**
 * Every setting agentwire reads: environment variable, schema for its text, default and meaning.
 * This table is the one list; the schema, the error messages and the README table come from it.
 * A setting that feeds a package's option has no default here: `defaultFrom` names the
 * package's constant that defines it (`<package> <CONSTANT>.<field>`); unset, AppConfig leaves it
 * undefined and that package's default applies (tools/ssot's workspace tests check the README
 * against those constants).
 */
export const SETTINGS = {
  AGENTWIRE_ENV: { schema: EnvironmentSchema, default: 'development', doc: 'development, test or production' },
  AGENTWIRE_HOST: {
    schema: z.string().regex(HOST_PATTERN, { error: 'expected a host name or IP address' }),
    default: '127.0.0.1',
    doc: 'listen address',
  },
  AGENTWIRE_PORT: { schema: integer(0, 65535), default: '8080', doc: 'listen port (0 = any free port; the gateway logs the one it got)' },
  AGENTWIRE_JWT_SECRET: {
    schema: z.string().min(32, { error: 'expected at least 32 characters (an HS256 secret)' }),
    default: undefined,
    doc: 'HS256 secret for access tokens; required outside development, where one is kept in .agentwire/dev-jwt-secret',
    secret: true,
  },
  AGENTWIRE_REDIS_URL: {
    schema: z.string().regex(/^rediss?:\/\/[^\s]+$/, { error: 'expected a redis:// or rediss:// URL' }),
    default: undefined,
    doc: 'unset = in-memory backplane; set to share users across gateway processes',
    secret: true,
  },
  AGENTWIRE_REDIS_KEY_PREFIX: {
    schema: z.string().regex(/^[A-Za-z0-9_.:{}-]{1,64}$/, { error: 'expected 1 to 64 of A-Z a-z 0-9 _ . : - { }' }),
    default: undefined,
    defaultFrom: '@agentwirejs/backplane-redis REDIS_DEFAULTS.keyPrefix',
    doc: 'prefix of every Redis key and channel; on a Redis Cluster it must hold a hash tag ({agentwire}: there when unset)',
  },
  AGENTWIRE_MAX_PAYLOAD_BYTES: { schema: integer(1024, 16 * 1024 * 1024), default: '65536', doc: 'largest inbound frame; larger closes with 1009' },
  AGENTWIRE_LOG_LEVEL: { schema: LogLevelSchema, default: 'info', doc: 'pino log level' },
  AGENTWIRE_RATE_LIMIT_PER_SECOND: { schema: integer(1, 100_000), default: '20', doc: 'messages a connection may send per second (token bucket refill)' },
  AGENTWIRE_RATE_LIMIT_BURST: { schema: integer(1, 100_000), default: '40', doc: 'token bucket size' },
  AGENTWIRE_RATE_LIMIT_CLOSE_AFTER: { schema: integer(1, 1_000_000), default: '100', doc: 'rate-limited messages in a row before the connection is closed with 1008' },
  AGENTWIRE_REPLAY_MAX_EVENTS: {
    schema: integer(0, 1_000_000),
    default: undefined,
    defaultFrom: '@agentwirejs/protocols REPLAY_WINDOW_DEFAULTS.maxEvents',
    doc: 'events kept per user for replay',
  },
  AGENTWIRE_REPLAY_MAX_AGE_MS: {
    schema: integer(0, 86_400_000),
    default: undefined,
    defaultFrom: '@agentwirejs/protocols REPLAY_WINDOW_DEFAULTS.maxAgeMs',
    doc: 'how long an event is kept for replay',
  },
  AGENTWIRE_MAX_CONNECTIONS: {
    schema: integer(1, 10_000_000),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.maxConnections',
    doc: 'connections per process',
  },
  AGENTWIRE_MAX_CONNECTIONS_PER_USER: {
    schema: integer(1, 10_000),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.maxConnectionsPerUser',
    doc: 'connections per user',
  },
  AGENTWIRE_MAX_MANAGERS_PER_USER: {
    schema: integer(1, 10_000),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.maxManagersPerUser',
    doc: 'user-bound managers per user',
  },
  AGENTWIRE_MANAGER_IDLE_MS: {
    schema: integer(1_000, 86_400_000),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.idleMs',
    doc: 'idle time after which a user-bound manager is disposed',
  },
  AGENTWIRE_HEARTBEAT_INTERVAL_MS: {
    schema: integer(100, 3_600_000),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.heartbeatIntervalMs',
    doc: 'ping interval; a connection that misses a pong is terminated',
  },
  AGENTWIRE_SEND_HIGH_WATER_BYTES: {
    schema: integer(1024, 1024 * 1024 * 1024),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.sendHighWaterBytes',
    doc: 'socket bufferedAmount above which sends are queued',
  },
  AGENTWIRE_SEND_QUEUE_MAX: {
    schema: integer(1, 1_000_000),
    default: undefined,
    defaultFrom: '@agentwirejs/manager MANAGER_DEFAULTS.sendQueueMax',
    doc: 'queued envelopes per connection before the slow-consumer policy applies',
  },
  AGENTWIRE_MAX_RUNS_PER_USER: {
    schema: integer(1, 10_000),
    default: undefined,
    defaultFrom: '@agentwirejs/execution-tracker TRACKER_DEFAULTS.maxRunsPerUser',
    doc: 'concurrent agent runs per user',
  },
  AGENTWIRE_RUN_TIMEOUT_MS: {
    schema: integer(100, 86_400_000),
    default: undefined,
    defaultFrom: '@agentwirejs/execution-tracker TRACKER_DEFAULTS.timeoutMs',
    doc: 'a run past this ends as timed_out',
  },
  AGENTWIRE_RUN_DEAD_AFTER_MS: { schema: integer(100, 86_400_000), default: '10000', doc: 'with Redis: a run whose gateway process died is ended as dead within this (a waiting agent is never dead)' },
  AGENTWIRE_RUN_RETENTION_MS: {
    schema: integer(0, 86_400_000),
    default: undefined,
    defaultFrom: '@agentwirejs/execution-tracker TRACKER_DEFAULTS.retentionMs',
    doc: 'how long finished runs are kept',
  },
  AGENTWIRE_MAX_INPUT_CHARS: { schema: integer(1, 1_000_000), default: '4000', doc: 'longest agent input; longer gets payload_too_large' },
  AGENTWIRE_BURST_MAX_EVENTS: {
    schema: integer(0, 10_000_000),
    default: undefined,
    doc: 'most events one burst run may stream (default 200000, or 1000 in production)',
  },
  AGENTWIRE_BURST_MAX_PAYLOAD_BYTES: { schema: integer(0, 1_048_576), default: '4096', doc: 'largest payload of one burst event' },
  AGENTWIRE_STREAM_COALESCE_MS: {
    schema: integer(0, 1_000),
    default: undefined,
    defaultFrom: '@agentwirejs/execution-tracker TRACKER_DEFAULTS.coalesceMs',
    doc: 'streamed deltas (text, reasoning, tool arguments) of one message within this window go out as one envelope; 0 = one envelope per delta',
  },
  AGENTWIRE_DEMO_TOKENS_PER_SECOND: { schema: integer(1, 100_000), default: '40', doc: 'how fast the demo agent streams its answer and reasoning' },
  AGENTWIRE_REMOTE_AGENTS: {
    schema: jsonOf(RemoteAgentsSchema),
    default: undefined,
    doc: 'agents behind an AG-UI HTTP endpoint, as JSON: {"name": "https://…"} or {"name": {"url", "headers"?, "timeout_ms"?}}',
    secret: true,
  },
  AGENTWIRE_REMOTE_AGENTS_FILE: {
    schema: z.string().min(1),
    default: undefined,
    doc: 'a file holding the AGENTWIRE_REMOTE_AGENTS JSON (read at start; the variable wins when both are set)',
  },
  AGENTWIRE_API_KEYS: {
    schema: z
      .string()
      .transform((text) => text.split(',').map((key) => key.trim()).filter((key) => key !== ''))
      .pipe(z.array(z.string().min(32, { error: 'expected keys of at least 32 characters' })).min(1)),
    default: undefined,
    doc: 'comma-separated keys of the server API under /api/v1/ (each at least 32 characters); unset = API off',
    secret: true,
  },
  AGENTWIRE_SHUTDOWN_GRACE_MS: { schema: integer(0, 600_000), default: '10000', doc: 'how long running runs may finish on SIGTERM before they end with code shutdown' },
  AGENTWIRE_TOKEN_TTL_SECONDS: { schema: integer(10, 604_800), default: '3600', doc: 'lifetime of tokens from the development token endpoint' },
} as const satisfies Record<string, { schema: z.ZodType; default: string | undefined; defaultFrom?: string; doc: string; secret?: boolean }>;

export type SettingName = keyof typeof SETTINGS;
