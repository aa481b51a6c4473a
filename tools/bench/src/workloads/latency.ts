import { REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';
import type { LatencyReport } from '../client/runs';
import { BENCH_SECRET } from '../options';
import { check, figure, pairwise } from '../results';
import { type ServerTarget, startGateway, startHost } from '../targets';
import { signUsers } from '../tokens';
import type { AgentwireProtocol } from '../client/connection';
import type { AllocationReport } from '@agentwirejs/types/testing';
import { type BenchContext, LoadClient, VerificationLog, type WorkloadBody, rotate } from './context';
import type { CombinedGaps } from '../scheduling';
import { GAP_THRESHOLD_MS, measureScheduling } from './scheduling';

interface LatencySeries {
  readonly p50: number[];
  readonly p99: number[];
  readonly p999: number[];
  readonly rate: number[];
  /** The server's longest GC pause and its total GC pause time during the run. */
  readonly gcLongest: number[];
  readonly gcTotal: number[];
  /** The load generator's longest GC pause (it delays receive times too). */
  readonly clientGcLongest: number[];
}

interface LatencyVariant {
  readonly id: string;
  readonly label: string;
  /** The client connections it uses (one group per server and protocol). */
  readonly group: string;
  readonly kind: 'one-way' | 'request';
}

/** A group of client connections: to which server, speaking which protocol, as which users. */
interface ConnectionGroup {
  readonly server: string;
  readonly protocol: AgentwireProtocol;
  /**
   * Users of their own: a user's events go to every connection the user has on a server, so two
   * groups of the same users on one server would each receive (and cost the server) the other's runs.
   */
  readonly ownUsers?: boolean;
}

/** Events of each requested run: RUN_STARTED, one REASONING_MESSAGE_CHUNK, RUN_FINISHED (over agentwire.v1: agent_started, agent_thinking, agent_completed). */
const EVENTS_PER_RUN = 3;

/** Issue 19's aim for the gateway: at most half of the 25 KB a run allocated on 2026-11-22. */
const ALLOCATION_TARGET_KB = 12.5;
/** Issue 19's aim for the gateway's request → event p99 at this rate. */
const GATEWAY_P99_TARGET_MS = 2;

/**
 * The load generator collects garbage on its own thread in this workload (V8's
 * --single-threaded-gc). It keeps every envelope until the run is verified, so its old generation
 * grows, and each of its major collections otherwise set V8's four worker threads marking on a
 * machine of two cores: for 20 to 30 ms they held both cores in slices of about 4 ms, while the
 * server under test waited for a core or for the requests not sent meanwhile (perf sched,
 * 2026-12-07). Its clients would be on other machines in a deployment; here they take as little
 * of the server's cores as they can. The servers run as they are.
 */
const LOAD_GENERATOR_FLAGS = ['--single-threaded-gc'];

/** Bytes allocated per run by one server over the allocation runs (one per repetition). */
interface AllocationSeries {
  readonly kbPerRun: number[];
  readonly last: AllocationReport | null;
}

/** Workload 3: delivery latency at a fixed offered rate. */
export async function latencyWorkload(context: BenchContext): Promise<WorkloadBody> {
  const sizes = context.sizes.latency;
  const flags = context.serverFlags;
  const starters: Record<string, () => Promise<ServerTarget>> = {
    raw: () => startHost('raw-ws', 'raw ws', flags),
    socketio: () => startHost('socketio', 'socket.io', flags),
    manager: () => startHost('manager', 'manager', flags),
    gateway: () => startGateway('gateway', {}, flags),
  };
  // Clients speak agentwire.v2, as @agentwirejs/client does (the path that ships); one more group
  // of the gateway's speaks agentwire.v1, whose events the gateway translates per connection (reference).
  const groups: Record<string, ConnectionGroup> = {
    raw: { server: 'raw', protocol: 'agentwire.v2' },
    socketio: { server: 'socketio', protocol: 'agentwire.v2' },
    manager: { server: 'manager', protocol: 'agentwire.v2' },
    gateway: { server: 'gateway', protocol: 'agentwire.v2' },
    'gateway-v1': { server: 'gateway', protocol: 'agentwire.v1', ownUsers: true },
  };
  const variants: LatencyVariant[] = [
    { id: 'raw-one-way', label: 'raw ws (one-way)', group: 'raw', kind: 'one-way' },
    { id: 'socketio-one-way', label: 'socket.io 4.8 (one-way)', group: 'socketio', kind: 'one-way' },
    { id: 'manager-one-way', label: 'manager sendToUser (one-way)', group: 'manager', kind: 'one-way' },
    { id: 'raw-request', label: 'raw ws (request → event)', group: 'raw', kind: 'request' },
    { id: 'gateway-request', label: 'gateway (request → event)', group: 'gateway', kind: 'request' },
    { id: 'gateway-v1-request', label: 'gateway (request → event), agentwire.v1 clients (reference)', group: 'gateway-v1', kind: 'request' },
  ];
  // First, with nothing else of the benchmark running: what the machine's scheduler takes from a
  // process that wants its core, the floor under every tail figure below.
  const scheduling = await measureScheduling(sizes.reps, sizes.schedulingProbeMs);
  const schedulingText = (label: string, runs: readonly CombinedGaps[]): string =>
    `${label}: ${runs.map((run) => `${run.gaps} gaps, ${run.lostMsPerSecond.toFixed(1)} ms/s lost, longest ${run.longestMs.toFixed(2)} ms`).join('; ')}`;
  context.progress(`latency: scheduling probe, ${sizes.schedulingProbeMs / 1000} s per loop · ${schedulingText('one busy loop alone', scheduling.alone)}`);
  context.progress(`latency: scheduling probe · ${schedulingText(`a busy loop on each of the ${scheduling.cores} cores at once`, scheduling.everyCore)}`);
  const users = await signUsers(BENCH_SECRET, sizes.users);
  const otherUsers = await signUsers(BENCH_SECRET, sizes.users, { prefix: 'latency-v1' });
  const client = LoadClient.start(LOAD_GENERATOR_FLAGS);
  const servers = new Map<string, ServerTarget>();
  const verification = new VerificationLog();
  const series = new Map<string, LatencySeries>(variants.map((variant) => [variant.id, { p50: [], p99: [], p999: [], rate: [], gcLongest: [], gcTotal: [], clientGcLongest: [] }]));
  const runsPerSecond = Math.floor(sizes.rate / EVENTS_PER_RUN);
  const allocations = new Map<string, AllocationSeries>();
  // Long enough for every user's replay history to fill, with a tenth to spare (events are spread evenly over the users).
  const fillMs = Math.ceil(((REPLAY_WINDOW_DEFAULTS.maxEvents * 1.1 * sizes.users) / sizes.rate) * 1000);
  /** The p99 of the warm-up of each variant that filled its users' histories. */
  const fillP99 = new Map<string, number>();
  const timeoutMs = Math.max(sizes.durationMs, fillMs) + 30_000;
  const measure = (variant: LatencyVariant, durationMs: number, warmupMs: number): Promise<LatencyReport> =>
    variant.kind === 'one-way'
      ? client.paced(variant.group, { rate: sizes.rate, durationMs, warmupMs, payloadBytes: sizes.payloadBytes, timeoutMs })
      : client.requests(variant.group, {
          runsPerSecond,
          durationMs,
          warmupMs,
          events: EVENTS_PER_RUN - 2,
          payloadBytes: sizes.payloadBytes,
          timeoutMs,
          // the raw ws server answers in the vocabulary asked for; the gateway's agent speaks the connection's
          ...((groups[variant.group] as ConnectionGroup).protocol === 'agentwire.v2' ? { vocabulary: 'ag-ui' as const } : {}),
        });
  try {
    for (const [name, start] of Object.entries(starters)) servers.set(name, await start());
    for (const [group, { server: name, protocol, ownUsers }] of Object.entries(groups)) {
      const server = servers.get(name) as ServerTarget;
      const members = ownUsers === true ? otherUsers : users;
      const { ms } = await client.connect(group, server.baseUrl, server.dialect, members, protocol);
      context.progress(`latency: ${server.label} up, ${members.length} clients (${server.dialect === 'socketio' ? 'socket.io' : protocol}) connected in ${ms} ms`);
    }
    const serverOf = (variant: LatencyVariant): ServerTarget => servers.get((groups[variant.group] as ConnectionGroup).server) as ServerTarget;
    // raw ws and socket.io keep no history; the manager and the gateway keep each user's last events for replay
    const keepsHistory = (variant: LatencyVariant): boolean => ['manager', 'gateway'].includes((groups[variant.group] as ConnectionGroup).server);
    for (const variant of variants) {
      const fills = sizes.fillHistories && keepsHistory(variant);
      const warm = await measure(variant, fills ? fillMs : Math.min(1000, sizes.durationMs), 0);
      verification.add(`${variant.label} warm-up`, warm.verdict);
      if (!fills) continue;
      fillP99.set(variant.id, warm.p99Us / 1000);
      context.progress(`latency warm-up · ${variant.label}: ${fillMs / 1000} s, every user's history filled; p99 ${(warm.p99Us / 1000).toFixed(3)} ms meanwhile`);
    }
    for (let rep = 0; rep < sizes.reps; rep += 1) {
      for (const variant of rotate(variants, rep)) {
        const server = serverOf(variant);
        verification.add(`${variant.label} rep ${rep + 1} lead-in`, (await measure(variant, sizes.leadInMs, 0)).verdict);
        await Promise.all([server.usage(false, true), client.usage(true)]);
        const report = await measure(variant, sizes.durationMs, sizes.warmupMs);
        const [serverGc, clientGc] = (await Promise.all([server.usage(false, true), client.usage(true)])).map((usage) => usage.gcWindow);
        verification.add(`${variant.label} rep ${rep + 1}`, report.verdict);
        const entry = series.get(variant.id) as LatencySeries;
        entry.p50.push(report.p50Us / 1000);
        entry.p99.push(report.p99Us / 1000);
        entry.p999.push(report.p999Us / 1000);
        entry.rate.push(report.achievedRate);
        entry.gcLongest.push(serverGc?.longestMs ?? 0);
        entry.gcTotal.push(serverGc?.totalMs ?? 0);
        entry.clientGcLongest.push(clientGc?.longestMs ?? 0);
        context.progress(
          `latency rep ${rep + 1}/${sizes.reps} · ${variant.label}: p50 ${(report.p50Us / 1000).toFixed(3)} ms, p99 ${(report.p99Us / 1000).toFixed(3)} ms, ` +
            `p99.9 ${(report.p999Us / 1000).toFixed(3)} ms, max ${(report.maxUs / 1000).toFixed(2)} ms over ${report.samples} events at ${report.achievedRate}/s; ` +
            `server GC ${serverGc?.count ?? 0} pauses, longest ${(serverGc?.longestMs ?? 0).toFixed(1)} ms, total ${(serverGc?.totalMs ?? 0).toFixed(0)} ms` +
            `${report.verdict.ok ? ', verified' : `, VERIFICATION FAILED: ${report.verdict.problems[0] ?? ''}`}`,
        );
      }
    }
    // Allocation per run: one more run of each request variant per repetition with V8's sampling heap
    // profiler on in the server (it slows the server, so these runs give no latency figure).
    for (let rep = 0; rep < sizes.reps; rep += 1) {
      for (const variant of variants.filter((candidate) => candidate.kind === 'request')) {
        const server = serverOf(variant);
        verification.add(`${variant.label} allocation run ${rep + 1} lead-in`, (await measure(variant, sizes.leadInMs, 0)).verdict);
        await server.allocationsStart();
        const report = await measure(variant, sizes.durationMs, 0);
        const allocated = await server.allocationsStop();
        verification.add(`${variant.label} allocation run ${rep + 1}`, report.verdict);
        const runs = report.samples / EVENTS_PER_RUN;
        const kbPerRun = runs > 0 ? allocated.bytes / 1024 / runs : 0;
        const previous = allocations.get(variant.id);
        allocations.set(variant.id, { kbPerRun: [...(previous?.kbPerRun ?? []), kbPerRun], last: allocated });
        context.progress(
          `latency allocation run ${rep + 1}/${sizes.reps} · ${variant.label}: ${kbPerRun.toFixed(1)} KB per run (${runs} runs, ${(allocated.bytes / 1048576).toFixed(0)} MB sampled); ` +
            `most by ${allocated.top.slice(0, 4).map((entry) => `${entry.frame} ${(entry.share * 100).toFixed(0)}%`).join('; ')}`,
        );
      }
    }
  } finally {
    await client.stop();
    for (const server of servers.values()) await server.stop();
  }
  const of = (id: string): LatencySeries => series.get(id) as LatencySeries;
  const figures = variants.map((variant) =>
    figure(variant.label, 'p99 latency', 'ms', of(variant.id).p99, {
      p50: { unit: 'ms', values: of(variant.id).p50 },
      'p99.9': { unit: 'ms', values: of(variant.id).p999 },
      'events/s delivered': { unit: 'events/s', values: of(variant.id).rate },
      'server: longest GC pause': { unit: 'ms', values: of(variant.id).gcLongest },
      'server: GC pauses in all': { unit: 'ms', values: of(variant.id).gcTotal },
      'load generator: longest GC pause': { unit: 'ms', values: of(variant.id).clientGcLongest },
      ...(fillP99.has(variant.id) ? { 'p99 in the warm-up, while every history filled (one run)': { unit: 'ms', values: [fillP99.get(variant.id) as number] } } : {}),
    }),
  );
  const allocated = (id: string): AllocationSeries => allocations.get(id) ?? { kbPerRun: [], last: null };
  const gatewayAllocations = allocated('gateway-request');
  for (const variant of variants.filter((candidate) => candidate.kind === 'request')) {
    figures.push(figure(`${variant.label}: allocation per run`, 'KB allocated per run (sampling heap profiler)', 'KB', allocated(variant.id).kbPerRun, {}));
  }
  const allocationNote =
    gatewayAllocations.last === null
      ? []
      : [
          `Allocation by frame in the gateway's last allocation run (sampling heap profiler, bytes allocated by the frame itself): ` +
            `${gatewayAllocations.last.top.map((entry) => `${entry.frame} ${(entry.share * 100).toFixed(1)}%`).join('; ')}.`,
        ];
  return {
    parameters: { ...sizes, runsPerSecond, eventsPerRun: EVENTS_PER_RUN },
    figures,
    checks: [
      check('gateway p99, request → event', 'ms', of('gateway-request').p99, { op: '<=', bound: GATEWAY_P99_TARGET_MS }),
      check('gateway allocation per run, request → event', 'KB', gatewayAllocations.kbPerRun, { op: '<=', bound: ALLOCATION_TARGET_KB }),
      check('raw ws allocation per run, request → event', 'KB', allocated('raw-request').kbPerRun, null),
      check('gateway p99 / raw ws p99, request → event', '×', pairwise(of('gateway-request').p99, of('raw-request').p99), null),
      ...(fillP99.has('gateway-request') ? [check('gateway p99, request → event, while its users\' histories fill (warm-up, one run)', 'ms', [fillP99.get('gateway-request') as number], null)] : []),
      check('gateway p99, request → event, agentwire.v1 clients', 'ms', of('gateway-v1-request').p99, null),
      check('manager p99, one-way', 'ms', of('manager-one-way').p99, { op: '<=', bound: 1 }),
      check('manager p99 / raw ws p99, one-way', '×', pairwise(of('manager-one-way').p99, of('raw-one-way').p99), null),
      check(`machine: a busy loop on each of the ${scheduling.cores} cores at once, longest time without its core`, 'ms', scheduling.everyCore.map((run) => run.longestMs), null),
      check(`machine: a busy loop on each of the ${scheduling.cores} cores at once, time without its core per second`, 'ms/s', scheduling.everyCore.map((run) => run.lostMsPerSecond), null),
      check('machine: one busy loop alone, longest time without its core', 'ms', scheduling.alone.map((run) => run.longestMs), null),
    ],
    verification: verification.result(),
    method:
      `${sizes.users} clients; ${sizes.rate} events/s offered for ${sizes.durationMs / 1000} s, the first ${sizes.warmupMs / 1000} s not counted, ` +
      `right after an uncounted ${sizes.leadInMs / 1000} s run of the same variant (a server left idle while the other variants ran has had its young generation shrunk by V8 and collects about twice as often for the next seconds: measured, 76–80 collections in 8 s after 30 s idle against 36–46 without). ` +
      `One-way (raw ws, socket.io, manager): the server publishes probes round robin over the users, paced by the clock; each carries its publish time, ` +
      `CLOCK_MONOTONIC read by the server right before the send (process.hrtime), and the client reads the same clock when the frame arrives ` +
      `(one kernel clock shared by both processes, so no offset to estimate; resolution 1 µs). ` +
      `Request → event (raw ws, gateway): the burst agent's payload carries no timestamp, so the client sends ${runsPerSecond} start_agent requests a second ` +
      `(runs of RUN_STARTED, 1 REASONING_MESSAGE_CHUNK, RUN_FINISHED: ${runsPerSecond * EVENTS_PER_RUN} events/s) and times every event from the moment its request ` +
      `was sent, on its own clock. That includes the inbound frame, routing and the run start, so it is an upper bound of one-way delivery; the raw ws server ` +
      `answers the same requests with the same three envelopes at once. Clients speak agentwire.v2 (as @agentwirejs/client); the last variant is the gateway with agentwire.v1 clients, ` +
      `which get agent_started, agent_thinking and agent_completed translated per connection (reference, with ${sizes.users} users of its own, so that neither group receives the other's runs; the figures before 2026-12-04 were measured that way). ` +
      `GC pauses of the server and the load generator are counted over each run (PerformanceObserver 'gc' entries). ` +
      `The load generator runs with ${LOAD_GENERATOR_FLAGS.join(' ')} (since the afternoon of 2026-12-07): its major collections otherwise ran V8's four worker threads on the two cores for 20 to 30 ms at a time, ` +
      `while the server under test waited for a core or for requests (perf sched: for 23 ms the load generator's four threads ran in 4 ms slices, its main thread stood still for 10 ms, the gateway's then waited 2 ms for a core); the servers run with Node's defaults.`,
    notes: [
      sizes.fillHistories
        ? `${sizes.reps} repetitions after a warm-up run per variant; the order of the variants rotates each repetition. The manager's and the gateway's warm-ups last ${fillMs / 1000} s, until every user's replay history is full (${REPLAY_WINDOW_DEFAULTS.maxEvents} events), as in workloads 1 and 7, so the repetitions measure running servers; raw ws and socket.io keep no history (1 s). ` +
          `Their p99 during that warm-up is given apart ("p99 in the warm-up"). Before 2026-12-06, afternoon, every warm-up lasted 1 s, and the first repetitions ran while the histories filled: the rings then take new memory (the gateway's array buffers grew from 5 to 41 MB over its first 15 s of this load), and the gateway's old generation was marked and compacted 2 or 3 times per 8 s (--trace-gc), 0 or 1 times once the histories are full.`
        : `${sizes.reps} repetitions after a warm-up run per variant (1 s; the users' histories are not filled first); the order of the variants rotates each repetition.`,
      `Allocation per run: after the timed repetitions, ${sizes.reps} more runs of each request → event variant with V8's sampling heap profiler on in the server ` +
        `(HeapProfiler.startSampling every 4 KB on average, objects collected since included): bytes sampled / runs requested. These runs give no latency figure.`,
      ...allocationNote,
      `Scheduling probe (the "machine:" rows), before the servers start: busy loops in processes of their own read the clock (performance.now) as fast as they can, ${sizes.schedulingProbeMs / 1000} s each, one alone and then one on each of the ${scheduling.cores} cores at once, ${sizes.reps} times; ` +
        `a stretch over ${GAP_THRESHOLD_MS} ms between two reads is time the loop did not run (the kernel, or a hypervisor under a virtual machine, gave its core to something else). ` +
        `A server or a load generator that is not running delays every frame due meanwhile, whatever its code, so the longest stretches with every core wanted set a floor under the p99.9, and the p99 too once they add up to more than 1% of the frames. ` +
        `${schedulingText('One alone', scheduling.alone)}. ${schedulingText('Every core at once', scheduling.everyCore)}.`,
    ],
  };
}
