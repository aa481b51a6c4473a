import { quantiles } from '../stats';
import { monotonicUs } from '../machine';
import { pacedShare } from '../server/workloads';
import { type BroadcastFraming, type SlimEnvelope, type Verdict, combineVerdicts, verifyBroadcast, verifyProbes, verifyRuns } from '../verify';
import type { BenchConnection } from './connection';

/** A run's verification over every client. */
export type RunVerdict = Verdict & { readonly clients: number; readonly failedClients: number };

/** What a throughput run measured at the clients. */
export interface ThroughputReport {
  readonly clients: number;
  /** Envelopes delivered (stream messages counted by the run: agent events, or room messages). */
  readonly delivered: number;
  /** From the first request sent to the last expected envelope received. */
  readonly elapsedMs: number;
  readonly perSecond: number;
  /** CPU the load generator used during the run, as a share of one core. */
  readonly clientCpuShare: number;
  readonly timedOut: boolean;
  readonly verdict: RunVerdict;
}

/** Latency percentiles in microseconds. */
export interface LatencyReport {
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  /** Messages (or events) a second actually delivered over the measured part of the run. */
  readonly achievedRate: number;
  readonly clientCpuShare: number;
  readonly timedOut: boolean;
  readonly verdict: RunVerdict;
}

/** Resolves when `count` calls of the returned `tick` happened, or after timeoutMs (false). */
export function countdown(count: number, timeoutMs: number): { tick(): void; done: Promise<boolean> } {
  let left = count;
  let finish: (completed: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => (finish = resolve));
  const timer = setTimeout(() => finish(false), timeoutMs);
  if (left <= 0) finish(true);
  return {
    tick: () => {
      left -= 1;
      if (left === 0) {
        clearTimeout(timer);
        finish(true);
      }
    },
    done: done.finally(() => clearTimeout(timer)),
  };
}

/** CPU this process used since `start`, as a share of one core over `elapsedUs`. */
export function cpuShare(start: NodeJS.CpuUsage, elapsedUs: number): number {
  const used = process.cpuUsage(start);
  return elapsedUs > 0 ? Math.round(((used.user + used.system) / elapsedUs) * 1000) / 1000 : 0;
}

function detach(connections: readonly BenchConnection[]): void {
  for (const connection of connections) connection.collector = null;
}

function latencyReport(samples: readonly number[], spanUs: number, cpu: number, timedOut: boolean, verdict: RunVerdict): LatencyReport {
  const [p50 = 0, p99 = 0, p999 = 0, max = 0] = quantiles(samples, [0.5, 0.99, 0.999, 1]).map((value) => Math.round(value));
  return {
    samples: samples.length,
    p50Us: p50,
    p99Us: p99,
    p999Us: p999,
    maxUs: max,
    achievedRate: spanUs > 0 ? Math.round((samples.length / spanUs) * 1e6) : 0,
    clientCpuShare: cpu,
    timedOut,
    verdict,
  };
}

/** How a throughput run collects, finishes and checks what each receiver gets. */
interface ThroughputPlan {
  /** Whether an envelope belongs to the run (it is kept and counted). */
  keep(envelope: SlimEnvelope): boolean;
  /** Whether a receiver has everything, given what it kept so far and the envelope just kept. */
  complete(kept: readonly SlimEnvelope[], envelope: SlimEnvelope): boolean;
  /** Sends the request(s) that start the run. */
  start(): void;
  /** Checks one receiver's kept envelopes. */
  verify(kept: readonly SlimEnvelope[], connection: BenchConnection, afterSeq: number): Verdict;
}

/** Runs a throughput plan: the clock runs from the first request to the last envelope a receiver needed. */
async function runThroughput(receivers: readonly BenchConnection[], timeoutMs: number, plan: ThroughputPlan): Promise<ThroughputReport> {
  const records = receivers.map((): SlimEnvelope[] => []);
  const afterSeqs = receivers.map((connection) => connection.lastSeq);
  let lastAt = 0;
  const finished = countdown(receivers.length, timeoutMs);
  receivers.forEach((connection, index) => {
    const mine = records[index] as SlimEnvelope[];
    connection.collector = (envelope, atUs) => {
      if (!plan.keep(envelope)) return;
      mine.push(envelope);
      lastAt = atUs;
      if (plan.complete(mine, envelope)) finished.tick();
    };
  });
  const cpu = process.cpuUsage();
  const startedAt = monotonicUs();
  plan.start();
  const completed = await finished.done;
  const elapsedUs = (completed ? lastAt : monotonicUs()) - startedAt;
  const clientCpuShare = cpuShare(cpu, elapsedUs);
  detach(receivers);
  const verdict = combineVerdicts(
    receivers.map((connection, index) => ({ client: connection.userId, verdict: plan.verify(records[index] as SlimEnvelope[], connection, afterSeqs[index] as number) })),
  );
  const delivered = records.reduce((sum, list) => sum + list.length, 0);
  return {
    clients: receivers.length,
    delivered,
    elapsedMs: elapsedUs / 1000,
    perSecond: Math.round(delivered / (elapsedUs / 1e6)),
    clientCpuShare,
    timedOut: !completed,
    verdict: completed ? verdict : { ...verdict, ok: false, problems: [`timed out after ${timeoutMs} ms`, ...verdict.problems] },
  };
}

/** The terminal events of a run in either vocabulary: v1's, and AG-UI's (what an agentwire.v2 client gets). */
const TERMINAL_TYPES: ReadonlySet<string> = new Set(['agent_completed', 'agent_error', 'agent_cancelled', 'RUN_FINISHED', 'RUN_ERROR']);

/** What a unicast run asks each requester's server for. */
export interface UnicastParams {
  readonly events: number;
  readonly payloadBytes: number;
  /** The manager's call: emitAgentEvent (default) or sendToUser. */
  readonly via?: 'emit' | 'send';
  /**
   * A bench server's burst in AG-UI's vocabulary (RUN_STARTED … RUN_FINISHED, what agentwire.v2
   * clients get) instead of v1's; the gateway's burst agent speaks the vocabulary of the connection's protocol.
   */
  readonly vocabulary?: 'ag-ui';
  readonly timeoutMs: number;
}

/**
 * Unicast: every requester asks for one burst run of `events` agent_thinking events (plus
 * agent_started and agent_completed) and the clock stops when every receiver has its run's
 * terminal event. Receivers are the requesters, plus (across gateways) other connections of the
 * same users, which must get the same run. Each receiver's stream is then verified (verifyRuns).
 */
export function runUnicast(
  requesters: readonly BenchConnection[],
  params: UnicastParams,
  receivers: readonly BenchConnection[] = requesters,
): Promise<ThroughputReport> {
  const input = {
    events: params.events,
    payload_bytes: params.payloadBytes,
    ...(params.via === undefined ? {} : { via: params.via }),
    ...(params.vocabulary === undefined ? {} : { vocabulary: params.vocabulary }),
  };
  return runThroughput(receivers, params.timeoutMs, {
    // everything the receiver gets during the run is kept, so anything unexpected fails verifyRuns
    keep: () => true,
    complete: (_kept, envelope) => TERMINAL_TYPES.has(envelope.type),
    start: () => {
      for (const connection of requesters) connection.request('start_agent', { agent: 'burst', input });
    },
    verify: (kept, connection, afterSeq) => verifyRuns(kept, { userId: connection.userId, afterSeq, runs: 1, eventsPerRun: params.events + 2 }),
  });
}

/** A room broadcast's size and how its messages are framed (verifyBroadcast). */
export interface BroadcastParams {
  readonly count: number;
  readonly payloadBytes: number;
  /** Raw ws: one JSON.stringify per message, or one per socket. */
  readonly serialize?: 'once' | 'per-socket';
  /** Room messages the server sends between two yields to the event loop (default 1). */
  readonly perTurn?: number;
  readonly framing: BroadcastFraming;
  /** The room a 'room' framing names. */
  readonly room?: string;
  readonly timeoutMs: number;
}

/**
 * Room broadcast: the first connection asks for `count` room messages; the clock stops when every
 * connection has all of them. Each client's messages are then verified (verifyBroadcast).
 */
export function runBroadcast(connections: readonly BenchConnection[], params: BroadcastParams): Promise<ThroughputReport> {
  return runThroughput(connections, params.timeoutMs, {
    keep: (envelope) => envelope.type === 'room_message',
    complete: (kept) => kept.length === params.count,
    start: () =>
      connections[0]?.request('bench_broadcast', {
        count: params.count,
        payload_bytes: params.payloadBytes,
        ...(params.serialize === undefined ? {} : { serialize: params.serialize }),
        ...(params.perTurn === undefined ? {} : { per_turn: params.perTurn }),
      }),
    verify: (kept, connection, afterSeq) =>
      verifyBroadcast(kept, { userId: connection.userId, afterSeq, count: params.count, framing: params.framing, ...(params.room === undefined ? {} : { room: params.room }) }),
  });
}

/**
 * One-way delivery latency: the first connection asks the server to publish `rate` probes a second
 * for `durationMs`, round robin over the connections' users; each probe carries its publish time
 * (CLOCK_MONOTONIC, read by the server right before the send) and the client subtracts it from the
 * same clock read when the frame arrives. Probes published in the first `warmupMs` are not counted.
 */
export async function runPaced(
  connections: readonly BenchConnection[],
  params: { rate: number; durationMs: number; warmupMs: number; payloadBytes: number; timeoutMs: number },
): Promise<LatencyReport> {
  const total = Math.floor((params.rate * params.durationMs) / 1000);
  const records = connections.map((): SlimEnvelope[] => []);
  const afterSeqs = connections.map((connection) => connection.lastSeq);
  const samples: number[] = [];
  const finished = countdown(connections.length, params.timeoutMs);
  const startedAt = monotonicUs();
  const countFrom = startedAt + params.warmupMs * 1000;
  let firstCounted = Number.POSITIVE_INFINITY;
  let lastAt = 0;
  connections.forEach((connection, index) => {
    const mine = records[index] as SlimEnvelope[];
    const expected = pacedShare(total, connections.length, index);
    if (expected === 0) finished.tick();
    connection.collector = (envelope, atUs) => {
      if (envelope.type !== 'latency_probe') return;
      mine.push(envelope);
      const sentAt = envelope.t;
      if (sentAt !== undefined && sentAt >= countFrom) {
        samples.push(atUs - sentAt);
        if (sentAt < firstCounted) firstCounted = sentAt;
        lastAt = atUs;
      }
      if (mine.length === expected) finished.tick();
    };
  });
  const cpu = process.cpuUsage();
  connections[0]?.request('bench_pace', { users: connections.map((connection) => connection.userId), rate: params.rate, duration_ms: params.durationMs, payload_bytes: params.payloadBytes });
  const completed = await finished.done;
  const clientCpuShare = cpuShare(cpu, monotonicUs() - startedAt);
  detach(connections);
  const verdict = combineVerdicts(
    connections.map((connection, index) => ({
      client: connection.userId,
      verdict: verifyProbes(records[index] as SlimEnvelope[], { userId: connection.userId, afterSeq: afterSeqs[index] as number, count: pacedShare(total, connections.length, index) }),
    })),
  );
  return latencyReport(samples, lastAt - firstCounted, clientCpuShare, !completed, completed ? verdict : { ...verdict, ok: false, problems: [`timed out after ${params.timeoutMs} ms`, ...verdict.problems] });
}

/** What a request → event latency run asks for. */
export interface RequestsParams {
  readonly runsPerSecond: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly events: number;
  readonly payloadBytes: number;
  readonly timeoutMs: number;
  /** A bench server's burst in AG-UI's vocabulary (as UnicastParams.vocabulary); the gateway's burst agent speaks the connection's. */
  readonly vocabulary?: 'ag-ui';
}

/** The first event of a run in either vocabulary. */
const START_TYPES: ReadonlySet<string> = new Set(['agent_started', 'RUN_STARTED']);

/**
 * Request-to-event latency: the client sends start_agent {events} at `runsPerSecond`, round robin
 * over the connections, and times every event of each run from the moment its request was sent
 * (one process, one clock). Runs requested in the first `warmupMs` are not counted.
 */
export async function runRequests(
  connections: readonly BenchConnection[],
  params: RequestsParams,
): Promise<LatencyReport & { runs: number }> {
  const total = Math.floor((params.runsPerSecond * params.durationMs) / 1000);
  const records = connections.map((): SlimEnvelope[] => []);
  const afterSeqs = connections.map((connection) => connection.lastSeq);
  const requested = connections.map((): number[] => []);
  const runs = connections.map(() => new Map<string, number>());
  const samples: number[] = [];
  const finished = countdown(total, params.timeoutMs + params.durationMs);
  const startedAt = monotonicUs();
  const countFrom = startedAt + params.warmupMs * 1000;
  let counted = 0;
  connections.forEach((connection, index) => {
    const mine = records[index] as SlimEnvelope[];
    const pending = requested[index] as number[];
    const started = runs[index] as Map<string, number>;
    connection.collector = (envelope, atUs) => {
      const record = envelope;
      mine.push(record);
      const runId = record.run_id;
      if (runId === undefined) return;
      let sentAt = started.get(runId);
      if (START_TYPES.has(record.type)) {
        sentAt = pending.shift();
        if (sentAt !== undefined) started.set(runId, sentAt);
      }
      if (sentAt === undefined) return;
      if (sentAt >= countFrom) samples.push(atUs - sentAt);
      if (TERMINAL_TYPES.has(record.type)) {
        if (sentAt >= countFrom) counted += 1;
        started.delete(runId);
        finished.tick();
      }
    };
  });
  const cpu = process.cpuUsage();
  const input = { events: params.events, payload_bytes: params.payloadBytes, ...(params.vocabulary === undefined ? {} : { vocabulary: params.vocabulary }) };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((monotonicUs() - startedAt) * params.runsPerSecond) / 1e6));
    while (sent < due) {
      const index = sent % connections.length;
      (requested[index] as number[]).push(monotonicUs());
      (connections[index] as BenchConnection).request('start_agent', { agent: 'burst', input });
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const completed = await finished.done;
  const spanUs = monotonicUs() - countFrom;
  const clientCpuShare = cpuShare(cpu, monotonicUs() - startedAt);
  detach(connections);
  const verdict = combineVerdicts(
    connections.map((connection, index) => ({
      client: connection.userId,
      verdict: verifyRuns(records[index] as SlimEnvelope[], {
        userId: connection.userId,
        afterSeq: afterSeqs[index] as number,
        runs: Math.floor(total / connections.length) + (index < total % connections.length ? 1 : 0),
        eventsPerRun: params.events + 2,
      }),
    })),
  );
  const report = latencyReport(samples, spanUs, clientCpuShare, !completed, completed ? verdict : { ...verdict, ok: false, problems: [`timed out`, ...verdict.problems] });
  return { ...report, achievedRate: Math.round((counted * (params.events + 2)) / (spanUs / 1e6)), runs: sent };
}
