import { REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';
import type { AgentwireProtocol } from '../client/connection';
import type { ThroughputReport } from '../client/runs';
import { BENCH_SECRET } from '../options';
import { check, figure, pairwise } from '../results';
import { type ServerTarget, startGateway, startHost } from '../targets';
import { signUsers } from '../tokens';
import { type BenchContext, LoadClient, VerificationLog, type WorkloadBody, percent, rotate, thousands } from './context';

/** A variant of a throughput workload: a server to start and how to ask it for messages. */
interface UnicastVariant {
  readonly id: string;
  readonly label: string;
  start(): Promise<ServerTarget>;
  readonly via?: 'emit' | 'send';
  /** The clients' subprotocol (agentwire dialects); agentwire.v2 unless a variant says otherwise. */
  readonly protocol?: AgentwireProtocol;
  /** A bench server's burst in AG-UI's vocabulary (the default here) or v1's. */
  readonly vocabulary?: 'ag-ui' | 'v1';
}

/** Per repetition: delivered per second, server CPU µs per message, load generator share of a core. */
interface Series {
  readonly perSecond: number[];
  readonly serverUsPerMessage: number[];
  readonly clientShare: number[];
  readonly gcShare: number[];
}

/** Runs one throughput measurement and reads the server's CPU and GC pauses around it. */
export async function measureThroughput(
  server: ServerTarget,
  run: () => Promise<ThroughputReport>,
): Promise<{ report: ThroughputReport; serverUsPerMessage: number; gcShare: number }> {
  const before = await server.usage(false, true);
  const report = await run();
  const after = await server.usage(false, true);
  const gcMs = after.gcWindow?.totalMs ?? 0;
  return {
    report,
    serverUsPerMessage: report.delivered > 0 ? (after.cpuUs - before.cpuUs) / report.delivered : 0,
    gcShare: report.elapsedMs > 0 ? (gcMs / report.elapsedMs) * 100 : 0,
  };
}

/** Workload 1: unicast agent events through raw ws, socket.io, the manager and the gateway. */
export async function unicastWorkload(context: BenchContext): Promise<WorkloadBody> {
  const sizes = context.sizes.unicast;
  const flags = context.serverFlags;
  // Every variant sends the same AG-UI envelopes to agentwire.v2 clients (what @agentwirejs/client
  // speaks: the path that ships); the last one is the manager translating them for v1 clients.
  const variants: UnicastVariant[] = [
    { id: 'raw-ws', label: 'raw ws', start: () => startHost('raw-ws', 'raw ws', flags) },
    { id: 'raw-ws-corked', label: 'raw ws, corked per turn (reference)', start: () => startHost('raw-ws', 'raw ws corked', { ...flags, cork: true }) },
    { id: 'socketio', label: 'socket.io 4.8', start: () => startHost('socketio', 'socket.io', flags) },
    { id: 'manager-send', label: 'manager sendToUser', start: () => startHost('manager', 'manager', flags), via: 'send' },
    { id: 'manager-emit', label: 'manager emitAgentEvent', start: () => startHost('manager', 'manager', flags), via: 'emit' },
    { id: 'gateway', label: 'gateway end to end', start: () => startGateway('gateway', {}, flags) },
    {
      id: 'manager-emit-v1',
      label: 'manager emitAgentEvent, agentwire.v1 clients',
      start: () => startHost('manager', 'manager', flags),
      via: 'emit',
      protocol: 'agentwire.v1',
      vocabulary: 'v1',
    },
  ];
  const params = (variant: UnicastVariant, events: number) => ({
    events,
    payloadBytes: sizes.payloadBytes,
    via: variant.via,
    ...((variant.vocabulary ?? 'ag-ui') === 'ag-ui' && variant.id !== 'gateway' ? { vocabulary: 'ag-ui' as const } : {}),
    timeoutMs,
  });
  const users = await signUsers(BENCH_SECRET, sizes.users);
  const client = LoadClient.start();
  const servers = new Map<string, ServerTarget>();
  const verification = new VerificationLog();
  /** Server CPU per event of each variant's warm-up, while the users' replay windows fill. */
  const warmupUs = new Map<string, number>();
  const series = new Map<string, Series>(variants.map((variant) => [variant.id, { perSecond: [], serverUsPerMessage: [], clientShare: [], gcShare: [] }]));
  const timeoutMs = 120_000;
  try {
    for (const variant of variants) {
      const server = await variant.start();
      servers.set(variant.id, server);
      const { ms } = await client.connect(variant.id, server.baseUrl, server.dialect, users, variant.protocol ?? 'agentwire.v2');
      context.progress(`unicast: ${variant.label} up, ${users.length} clients connected in ${ms} ms; warming up`);
      const { report: warm, serverUsPerMessage: warmUs } = await measureThroughput(server, () => client.unicast(variant.id, params(variant, sizes.warmupEvents)));
      verification.add(`${variant.label} warm-up`, warm.verdict);
      warmupUs.set(variant.id, warmUs);
    }
    for (let rep = 0; rep < sizes.reps; rep += 1) {
      for (const variant of rotate(variants, rep)) {
        const server = servers.get(variant.id) as ServerTarget;
        const { report, serverUsPerMessage, gcShare } = await measureThroughput(server, () =>
          client.unicast(variant.id, params(variant, sizes.events)),
        );
        verification.add(`${variant.label} rep ${rep + 1}`, report.verdict);
        const entry = series.get(variant.id) as Series;
        entry.perSecond.push(report.perSecond);
        entry.serverUsPerMessage.push(serverUsPerMessage);
        entry.clientShare.push(report.clientCpuShare * 100);
        entry.gcShare.push(gcShare);
        context.progress(
          `unicast rep ${rep + 1}/${sizes.reps} · ${variant.label}: ${thousands(report.perSecond)} events/s, server ${serverUsPerMessage.toFixed(2)} µs/event (GC ${gcShare.toFixed(0)}% of the run), ` +
            `load generator ${percent(report.clientCpuShare)} of a core, ${report.verdict.ok ? `${report.clients} clients verified` : `VERIFICATION FAILED: ${report.verdict.problems[0] ?? ''}`}`,
        );
      }
    }
  } finally {
    await client.stop();
    for (const server of servers.values()) await server.stop();
  }
  const of = (id: string): Series => series.get(id) as Series;
  const figures = variants.map((variant) =>
    figure(variant.label, 'events/s at the clients', 'events/s', of(variant.id).perSecond, {
      'server CPU per event': { unit: 'µs', values: of(variant.id).serverUsPerMessage },
      'server GC pauses, share of the run': { unit: '%', values: of(variant.id).gcShare },
      'load generator CPU': { unit: '%', values: of(variant.id).clientShare },
      'server CPU per event in the warm-up': { unit: 'µs', values: [warmupUs.get(variant.id) ?? 0] },
    }),
  );
  const raw = of('raw-ws').perSecond;
  const sio = of('socketio').perSecond;
  const checks = [
    check('manager emitAgentEvent / raw ws', '×', pairwise(of('manager-emit').perSecond, raw), { op: '>=', bound: 0.9 }),
    check('manager sendToUser / raw ws', '×', pairwise(of('manager-send').perSecond, raw), { op: '>=', bound: 0.9 }),
    check('gateway end to end / raw ws', '×', pairwise(of('gateway').perSecond, raw), { op: '>=', bound: 0.75 }),
    check('manager emitAgentEvent / socket.io', '×', pairwise(of('manager-emit').perSecond, sio), { op: '>', bound: 1 }),
    check('gateway end to end / socket.io', '×', pairwise(of('gateway').perSecond, sio), { op: '>', bound: 1 }),
    check('socket.io / raw ws', '×', pairwise(sio, raw), null),
    check('raw ws corked per turn / raw ws, by server CPU per event', '×', pairwise(of('raw-ws').serverUsPerMessage, of('raw-ws-corked').serverUsPerMessage), null),
    check('manager emitAgentEvent / raw ws corked per turn, by server CPU per event', '×', pairwise(of('raw-ws-corked').serverUsPerMessage, of('manager-emit').serverUsPerMessage), null),
    // by server CPU per event (raw ws ÷ variant: above 1 is cheaper than raw ws), which a busy machine or load generator does not skew: issue 19's targets
    check('manager emitAgentEvent / raw ws, by server CPU per event', '×', pairwise(of('raw-ws').serverUsPerMessage, of('manager-emit').serverUsPerMessage), { op: '>=', bound: 0.9 }),
    check('gateway end to end / raw ws, by server CPU per event', '×', pairwise(of('raw-ws').serverUsPerMessage, of('gateway').serverUsPerMessage), { op: '>=', bound: 0.8 }),
    check('manager sendToUser / raw ws, by server CPU per event', '×', pairwise(of('raw-ws').serverUsPerMessage, of('manager-send').serverUsPerMessage), null),
    check(
      'manager emitAgentEvent to agentwire.v1 clients / raw ws, by server CPU per event',
      '×',
      pairwise(of('raw-ws').serverUsPerMessage, of('manager-emit-v1').serverUsPerMessage),
      null,
    ),
  ];
  return {
    parameters: { ...sizes },
    figures,
    checks,
    verification: verification.result(),
    method:
      `${sizes.users} clients (one user each, subprotocol agentwire.v2 as @agentwirejs/client) in a separate load-generator process; each asks for one run of ${sizes.events} reasoning events of ${sizes.payloadBytes} bytes ` +
      `in AG-UI's vocabulary (RUN_STARTED, REASONING_MESSAGE_CHUNK each, RUN_FINISHED; the gateway's burst agent reports them with reporter.thinking), streamed by the server with a yield to the event loop every 64 sends, as the gateway's burst agent does. ` +
      `events/s = agent events received by all clients / time from the first request to the last event. Server CPU per event = the server process's user+system CPU ` +
      `(process.cpuUsage) over the run / events; GC share = the server's garbage-collection pauses (PerformanceObserver) / run time. Baselines build the same envelope JSON: raw ws sends JSON.stringify per socket, socket.io sends io.to(user room).emit. ` +
      `The manager and the gateway write a connection's frames of one turn of the event loop in one socket write (coalesceWrites, on by default); raw ws writes each frame at once, as a hand-written server does, ` +
      `and "raw ws, corked per turn" is raw ws with the same batching done by hand (reference: what the batching is worth without the framework). ` +
      `The last variant is the manager's emitAgentEvent to agentwire.v1 clients: the same run events, translated to agent_started, agent_thinking and agent_completed per connection at the edge (reference). ` +
      `The manager runs in a process of its own wired as the gateway wires it; the gateway is node apps/gateway/dist/main.js with its burst agent. ` +
      `Every client's stream is checked with checkUserStream and checkEventStreams (own user_id, seq consecutive, one run in contract order, every event present).`,
    notes: [
      `${sizes.reps} repetitions after a warm-up run of ${sizes.warmupEvents} events per client; the order of the variants rotates each repetition.`,
      sizes.warmupEvents >= REPLAY_WINDOW_DEFAULTS.maxEvents
        ? `The warm-up is timed too ("server CPU per event in the warm-up", one run): its ${sizes.warmupEvents} events per client fill every user's replay window (${REPLAY_WINDOW_DEFAULTS.maxEvents} events)` +
          `${sizes.warmupEvents > REPLAY_WINDOW_DEFAULTS.maxEvents ? `, then ${sizes.warmupEvents - REPLAY_WINDOW_DEFAULTS.maxEvents} more, which push out each history's first, small chunks (replaced by full-size ones: new memory once)` : ''}, ` +
          `so the repetitions measure a running server, whose history reuses its memory; the manager and the gateway pay for the first fill in the warm-up (new memory for each user's history), raw ws and socket.io keep no history.`
        : `The warm-up (timed: "server CPU per event in the warm-up") does not fill the users' replay windows (${REPLAY_WINDOW_DEFAULTS.maxEvents} events), so the repetitions include the first fill of each user's history.`,
    ],
  };
}
