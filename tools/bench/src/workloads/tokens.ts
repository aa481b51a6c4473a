import Redis from 'ioredis';
import type { AgentwireProtocol } from '../client/connection';
import type { TokenStreamReport } from '../client/token-stream';
import { BENCH_SECRET } from '../options';
import { check, figure, pairwise } from '../results';
import { type ServerTarget, startGateway, startHost } from '../targets';
import { type BenchUser, signUsers } from '../tokens';
import { type BenchContext, LoadClient, VerificationLog, type WorkloadBody, percent, rotate, thousands } from './context';
import { BENCH_REDIS_URL, deleteKeys } from './redis';

/** A variant: its servers, and the connection groups of the load generator that talk to them. */
interface TokenVariant {
  readonly id: 'raw' | 'socketio' | 'memory' | 'redis';
  readonly label: string;
  readonly servers: readonly ServerTarget[];
  readonly groups: readonly string[];
}

/** Per repetition of one variant. */
interface TokenSeries {
  readonly p50: number[];
  readonly p99: number[];
  readonly p999: number[];
  readonly max: number[];
  readonly serverUsPerToken: number[];
  readonly envelopesPerSecond: number[];
  readonly envelopesPerToken: number[];
  readonly redisUsPerToken: number[];
  readonly clientShare: number[];
}

function emptySeries(): TokenSeries {
  return { p50: [], p99: [], p999: [], max: [], serverUsPerToken: [], envelopesPerSecond: [], envelopesPerToken: [], redisUsPerToken: [], clientShare: [] };
}

/** Redis's own CPU (used_cpu_sys + used_cpu_user of INFO cpu), in µs. */
export function redisCpuUs(info: string): number {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info);
    return match === null ? Number.NaN : Number(match[1]);
  };
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

/** Whether Redis answers at BENCH_REDIS_URL within a second. */
async function redisReachable(): Promise<boolean> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Workload 8: S concurrent streamed answers of T tokens at R tokens/s. The gateway (in memory,
 * and two processes over Redis with the clients split between them) streams each answer with its
 * burst agent over agentwire.v2, coalescing deltas over AGENTWIRE_STREAM_COALESCE_MS; raw ws and
 * socket.io send every token as a frame of its own. Every client checks its answer's text.
 */
export async function tokensWorkload(context: BenchContext): Promise<WorkloadBody> {
  const sizes = context.sizes.tokens;
  const flags = context.serverFlags;
  const streamMs = (sizes.tokens * 1000) / sizes.tokensPerSecond;
  const gatewaySettings = {
    AGENTWIRE_STREAM_COALESCE_MS: String(sizes.coalesceMs),
    // a run outlives its stream by far even on a loaded machine; a timed-out run would fail the text check
    AGENTWIRE_RUN_TIMEOUT_MS: String(Math.max(30_000, Math.ceil(streamMs * 4 + sizes.startSpreadMs))),
  };
  const latencyAimMs = sizes.coalesceMs + 10;
  const prefix = `agentwire-bench-tokens-${process.pid}-${Date.now()}:`;
  const users = await signUsers(BENCH_SECRET, sizes.streams);
  const half = Math.ceil(users.length / 2);
  const client = LoadClient.start();
  const started: ServerTarget[] = [];
  const variants: TokenVariant[] = [];
  const verification = new VerificationLog('every client got exactly its own answer: the burst text, in order, one terminal event');
  const series = new Map<TokenVariant['id'], TokenSeries>();
  const notes: string[] = [];
  const timeoutMs = Math.ceil(streamMs) + 60_000;
  const redisInfo = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const withRedis = await redisReachable();
  const connect = async (group: string, server: ServerTarget, members: readonly BenchUser[], protocol?: AgentwireProtocol): Promise<void> => {
    const { ms } = await client.connect(group, server.baseUrl, server.dialect, members, protocol);
    context.progress(`tokens: ${members.length} clients connected to ${server.label} in ${ms} ms`);
  };
  const start = async (server: Promise<ServerTarget>): Promise<ServerTarget> => {
    const target = await server;
    started.push(target);
    return target;
  };
  try {
    const raw = await start(startHost('raw-ws', 'raw ws', flags));
    await connect('tok-raw', raw, users, 'agentwire.v2');
    variants.push({ id: 'raw', label: 'raw ws, a frame per token', servers: [raw], groups: ['tok-raw'] });
    const io = await start(startHost('socketio', 'socket.io', flags));
    await connect('tok-socketio', io, users);
    variants.push({ id: 'socketio', label: 'socket.io 4.8, a message per token', servers: [io], groups: ['tok-socketio'] });
    const memory = await start(startGateway('gateway (in memory)', gatewaySettings, flags));
    await connect('tok-memory', memory, users, 'agentwire.v2');
    variants.push({ id: 'memory', label: 'gateway in memory, agentwire.v2', servers: [memory], groups: ['tok-memory'] });
    if (withRedis) {
      const redisSettings = { ...gatewaySettings, AGENTWIRE_REDIS_URL: BENCH_REDIS_URL, AGENTWIRE_REDIS_KEY_PREFIX: prefix };
      const first = await start(startGateway('gateway A (Redis)', redisSettings, flags));
      const second = await start(startGateway('gateway B (Redis)', redisSettings, flags));
      await connect('tok-redis-a', first, users.slice(0, half), 'agentwire.v2');
      await connect('tok-redis-b', second, users.slice(half), 'agentwire.v2');
      variants.push({ id: 'redis', label: 'two gateways over Redis, agentwire.v2', servers: [first, second], groups: ['tok-redis-a', 'tok-redis-b'] });
      await redisInfo.connect();
    } else {
      notes.push(`Redis did not answer at ${BENCH_REDIS_URL}: the two-gateway variant was not run.`);
    }
    for (const variant of variants) series.set(variant.id, emptySeries());
    const params = { tokensPerSecond: sizes.tokensPerSecond, startSpreadMs: sizes.startSpreadMs, timeoutMs };
    for (const variant of variants) {
      const warm = await client.tokens(variant.groups, { ...params, tokens: sizes.warmupTokens });
      verification.add(`${variant.label} warm-up`, warm.verdict);
    }
    for (let rep = 0; rep < sizes.reps; rep += 1) {
      for (const variant of rotate(variants, rep)) {
        const before = await Promise.all(variant.servers.map((server) => server.usage()));
        const redisBefore = variant.id === 'redis' ? redisCpuUs(await redisInfo.info('cpu')) : Number.NaN;
        const report: TokenStreamReport = await client.tokens(variant.groups, { ...params, tokens: sizes.tokens });
        const after = await Promise.all(variant.servers.map((server) => server.usage()));
        const redisAfter = variant.id === 'redis' ? redisCpuUs(await redisInfo.info('cpu')) : Number.NaN;
        const tokens = Math.max(1, report.tokens);
        const cpuUs = after.reduce((sum, usage, index) => sum + usage.cpuUs - (before[index]?.cpuUs ?? 0), 0);
        const entry = series.get(variant.id) as TokenSeries;
        entry.p50.push(report.p50Us / 1000);
        entry.p99.push(report.p99Us / 1000);
        entry.p999.push(report.p999Us / 1000);
        entry.max.push(report.maxUs / 1000);
        entry.serverUsPerToken.push(cpuUs / tokens);
        entry.envelopesPerSecond.push(report.envelopesPerSecond);
        entry.envelopesPerToken.push(report.envelopes / tokens);
        if (Number.isFinite(redisAfter - redisBefore)) entry.redisUsPerToken.push((redisAfter - redisBefore) / tokens);
        entry.clientShare.push(report.clientCpuShare * 100);
        verification.add(`${variant.label} rep ${rep + 1}`, report.verdict);
        context.progress(
          `tokens rep ${rep + 1}/${sizes.reps} · ${variant.label}: p50 ${(report.p50Us / 1000).toFixed(1)} ms, p99 ${(report.p99Us / 1000).toFixed(1)} ms, ` +
            `max ${(report.maxUs / 1000).toFixed(1)} ms; ${thousands(report.envelopesPerSecond)} envelopes/s (${(report.envelopes / tokens).toFixed(2)} per token), ` +
            `server ${(cpuUs / tokens).toFixed(2)} µs/token` +
            `${Number.isFinite(redisAfter - redisBefore) ? `, redis ${((redisAfter - redisBefore) / tokens).toFixed(2)} µs/token` : ''}, ` +
            `load generator ${percent(report.clientCpuShare)}, ${report.verdict.ok ? 'verified' : `VERIFICATION FAILED: ${report.verdict.problems[0] ?? ''}`}`,
        );
      }
    }
  } finally {
    redisInfo.disconnect();
    await client.stop();
    for (const server of started) await server.stop();
    if (withRedis) {
      const deleted = await deleteKeys(prefix).catch(() => 0);
      context.progress(`tokens: deleted the run's ${deleted} Redis keys (prefix ${prefix})`);
    }
  }
  const of = (id: TokenVariant['id']): TokenSeries => series.get(id) ?? emptySeries();
  const figures = variants.flatMap((variant) => [
    figure(variant.label, 'p99 token latency (agent → client)', 'ms', of(variant.id).p99, {
      p50: { unit: 'ms', values: of(variant.id).p50 },
      'p99.9': { unit: 'ms', values: of(variant.id).p999 },
      max: { unit: 'ms', values: of(variant.id).max },
    }),
    figure(variant.label, 'server CPU per token (all server processes)', 'µs', of(variant.id).serverUsPerToken, {
      'envelopes/s at the clients': { unit: 'envelopes/s', values: of(variant.id).envelopesPerSecond },
      'envelopes per token': { unit: '', values: of(variant.id).envelopesPerToken },
      'redis-server CPU per token (INFO cpu)': { unit: 'µs', values: of(variant.id).redisUsPerToken },
      'load generator CPU': { unit: '%', values: of(variant.id).clientShare },
    }),
  ]);
  const cpuRatio = (id: TokenVariant['id']): number[] => pairwise(of(id).serverUsPerToken, of('raw').serverUsPerToken);
  const gateways = variants.filter((variant) => variant.id === 'memory' || variant.id === 'redis');
  const checks = [
    ...gateways.map((variant) => check(`${variant.label}: p99 token latency`, 'ms', of(variant.id).p99, { op: '<=', bound: latencyAimMs })),
    ...gateways.map((variant) => check(`${variant.label} / raw ws, server CPU per token`, '×', cpuRatio(variant.id), { op: '<=', bound: 0.5 })),
    check('raw ws: p99 token latency (no window)', 'ms', of('raw').p99, null),
    check('socket.io / raw ws, server CPU per token', '×', cpuRatio('socketio'), null),
  ];
  return {
    parameters: { ...sizes, latencyAimMs, redisUrl: withRedis ? BENCH_REDIS_URL : null },
    figures,
    checks,
    verification: verification.result(),
    method:
      `${sizes.streams} clients (one user each) each ask for one streamed answer of ${sizes.tokens} tokens at ${sizes.tokensPerSecond} tokens/s, ` +
      `the requests spread evenly over ${sizes.startSpreadMs / 1000} s (so the streams overlap but their tokens are not all due at one instant). ` +
      `Gateway: node apps/gateway/dist/main.js, burst agent {text_tokens, tokens_per_second} over agentwire.v2, AGENTWIRE_STREAM_COALESCE_MS=${sizes.coalesceMs}; ` +
      `over Redis, two gateway processes with AGENTWIRE_REDIS_URL=${BENCH_REDIS_URL}, the first half of the clients on one and the rest on the other. ` +
      `raw ws and socket.io send the same AG-UI events in the same envelopes, paced the same way, every token a frame (message) of its own. ` +
      `Each client concatenates its TEXT_MESSAGE_CONTENT deltas and must end with exactly the burst text (w0 w1 … w${sizes.tokens - 1} ), its own user_id and consecutive seq on every envelope, ` +
      `one RUN_FINISHED (success) and nothing after it. Token latency: the agent appends token i at start + i / R, start being taken as it opens the message, ` +
      `so token i's due time is the TEXT_MESSAGE_START envelope's ts (stamped by the server in the same synchronous call; wall clock, ms resolution, so at most 1 ms early) + i / R; ` +
      `the client reads CLOCK_MONOTONIC when a frame arrives and converts it with a wall-clock offset calibrated at the start of each run; ` +
      `latency = arrival of the envelope carrying the token − due time, over every token of every stream (a late timer in the server counts against it). ` +
      `Server CPU per token = user+system CPU (process.cpuUsage) of the server processes over the run / tokens delivered; ` +
      `Redis CPU per token = the change of used_cpu_sys + used_cpu_user (INFO cpu) over the run / tokens (the machine's Redis, shared with other work). ` +
      `envelopes/s = envelopes received by all clients / time from the first request to the last envelope. ` +
      `Aims: p99 ≤ window + 10 ms = ${latencyAimMs} ms; server CPU per token ≤ 0.5× raw ws.`,
    notes: [`${sizes.reps} repetitions after a warm-up of ${sizes.warmupTokens} tokens per stream; the order of the variants rotates each repetition.`, ...notes],
  };
}
