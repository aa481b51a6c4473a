import { monotonicUs } from '../machine';
import { quantiles } from '../stats';
import { type Verdict, combineVerdicts } from '../verify';
import type { BenchConnection } from './connection';
import { type RunVerdict, countdown, cpuShare } from './runs';
import { LatencySample, TokenRun, type TokenEnvelope, calibrateWallOffsetUs } from './token-run';

/** What one token-stream run measured at the clients. */
export interface TokenStreamReport {
  readonly clients: number;
  readonly tokens: number;
  /** Envelopes of the runs received (RUN_STARTED … RUN_FINISHED). */
  readonly envelopes: number;
  /** Of those, TEXT_MESSAGE_CONTENT envelopes. */
  readonly contentEnvelopes: number;
  /** From the first request sent to the last envelope received. */
  readonly elapsedMs: number;
  readonly envelopesPerSecond: number;
  /** Token latency (agent due time → client), µs, over every token of every stream. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly clientCpuShare: number;
  readonly timedOut: boolean;
  readonly verdict: RunVerdict;
}

export interface TokenStreamParams {
  readonly tokens: number;
  readonly tokensPerSecond: number;
  /** The streams' starts are spread evenly over this long (0: all at once). */
  readonly startSpreadMs: number;
  readonly timeoutMs: number;
}

/**
 * Every connection asks for one streamed answer of `tokens` tokens at `tokensPerSecond`
 * (start_agent burst {text_tokens, tokens_per_second}), the requests spread over startSpreadMs;
 * each receives its own answer, concatenates its deltas and times every token (token-run.ts).
 * The run ends when every connection has its terminal event, or after timeoutMs.
 */
export async function runTokenStream(connections: readonly BenchConnection[], params: TokenStreamParams): Promise<TokenStreamReport> {
  const sample = new LatencySample(connections.length * params.tokens);
  const runs = connections.map((connection) => new TokenRun({ userId: connection.userId, afterSeq: connection.lastSeq, tokens: params.tokens, tokensPerSecond: params.tokensPerSecond }, (us) => sample.add(us)));
  const finished = countdown(connections.length, params.timeoutMs + params.startSpreadMs);
  const offsetUs = calibrateWallOffsetUs(monotonicUs);
  let lastAt = 0;
  let unreadable = 0;
  connections.forEach((connection, index) => {
    const run = runs[index] as TokenRun;
    connection.textCollector = (json, atUs) => {
      let envelope: TokenEnvelope;
      try {
        envelope = JSON.parse(json) as TokenEnvelope;
      } catch {
        unreadable += 1;
        return;
      }
      const wasFinished = run.finished;
      run.receive(envelope, atUs + offsetUs);
      if (envelope.seq !== null) connection.lastSeq = envelope.seq;
      lastAt = atUs;
      if (!wasFinished && run.finished) finished.tick();
    };
  });
  const cpu = process.cpuUsage();
  const startedAt = monotonicUs();
  const input = { text_tokens: params.tokens, tokens_per_second: params.tokensPerSecond };
  let sent = 0;
  // bounded: each pass sends what is due by the clock; the spread ends after startSpreadMs
  while (sent < connections.length) {
    const elapsedMs = (monotonicUs() - startedAt) / 1000;
    const due = params.startSpreadMs <= 0 ? connections.length : Math.min(connections.length, Math.floor((elapsedMs / params.startSpreadMs) * connections.length) + 1);
    for (; sent < due; sent += 1) (connections[sent] as BenchConnection).request('start_agent', { agent: 'burst', input });
    if (sent < connections.length) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const completed = await finished.done;
  const elapsedUs = (completed ? lastAt : monotonicUs()) - startedAt;
  const clientCpuShare = cpuShare(cpu, elapsedUs);
  for (const connection of connections) connection.textCollector = null;
  const verdicts = connections.map((connection, index) => ({ client: connection.userId, verdict: (runs[index] as TokenRun).verdict() as Verdict }));
  const combined = combineVerdicts(verdicts);
  const problems = [...(completed ? [] : [`timed out after ${params.timeoutMs} ms`]), ...(unreadable > 0 ? [`${unreadable} frames were not JSON`] : []), ...combined.problems];
  const envelopes = runs.reduce((sum, run) => sum + run.envelopes, 0);
  const [p50 = 0, p99 = 0, p999 = 0, max = 0] = quantiles(sample.view(), [0.5, 0.99, 0.999, 1]);
  return {
    clients: connections.length,
    tokens: runs.reduce((sum, run) => sum + run.tokens, 0),
    envelopes,
    contentEnvelopes: runs.reduce((sum, run) => sum + run.contentEnvelopes, 0),
    elapsedMs: elapsedUs / 1000,
    envelopesPerSecond: elapsedUs > 0 ? Math.round(envelopes / (elapsedUs / 1e6)) : 0,
    p50Us: Math.round(p50),
    p99Us: Math.round(p99),
    p999Us: Math.round(p999),
    maxUs: Math.round(max),
    clientCpuShare,
    timedOut: !completed,
    verdict: { ...combined, ok: combined.ok && completed && unreadable === 0, problems },
  };
}
