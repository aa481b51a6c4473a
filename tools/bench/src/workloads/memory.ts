import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type HeapTotals, describeGroups, heapDifference, heapGrowth, largest, readHeapGroups } from '../heap-breakdown';
import { kernelSlabKiB, openFilesLimit } from '../machine';
import { BENCH_SECRET } from '../options';
import { RESULTS_DIR } from '../paths';
import { sleep } from '../processes';
import { check, figure, pairwise } from '../results';
import { type ServerTarget, startGateway, startHost } from '../targets';
import { type BenchUser, signUsers } from '../tokens';
import { type BenchContext, LoadClient, type WorkloadBody, rotate } from './context';

interface MemoryVariant {
  readonly id: string;
  readonly label: string;
  start(): Promise<ServerTarget>;
}

interface MemorySeries {
  readonly heap: number[];
  readonly rss: number[];
  readonly external: number[];
  readonly slab: number[];
}

const KIB = 1024;

/** Resolves once the server holds at most `count` open TCP sockets (closed connections released), or throws after 15 s. */
async function untilSockets(server: ServerTarget, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { tcpSockets } = await server.usage();
    if (tcpSockets <= count) return;
    if (Date.now() > deadline) throw new Error(`${server.label} still holds ${tcpSockets} sockets 15 s after its clients closed them`);
    await sleep(100);
  }
}
/** Connections of the heap-snapshot pass that explains a missed target. */
const BREAKDOWN_CONNECTIONS = 2000;

/**
 * What one idle connection adds to a server's heap, by object kind: heap snapshots before and
 * after opening `users.length` connections, the growth divided by the connections.
 */
async function heapBreakdown(variant: MemoryVariant, client: LoadClient, users: readonly BenchUser[], warmUsers: readonly BenchUser[]): Promise<HeapTotals> {
  const dir = join(RESULTS_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${variant.id}-before.heapsnapshot`), join(dir, `${variant.id}-after.heapsnapshot`)] as const;
  const server = await variant.start();
  try {
    await client.connect('warm', server.baseUrl, server.dialect, warmUsers);
    await client.close('warm');
    await untilSockets(server, 0);
    await server.snapshot(files[0]);
    await client.connect('snapshot', server.baseUrl, server.dialect, users);
    await sleep(1000);
    await server.snapshot(files[1]);
    await client.close('snapshot');
  } finally {
    await server.stop();
  }
  const growth = heapGrowth(readHeapGroups(files[0]), readHeapGroups(files[1]), users.length);
  for (const file of files) rmSync(file, { force: true });
  return growth;
}

/** Workload 4: server memory per idle authenticated connection. */
export async function memoryWorkload(context: BenchContext): Promise<WorkloadBody> {
  const sizes = context.sizes.memory;
  const flags = context.serverFlags;
  const variants: MemoryVariant[] = [
    { id: 'raw-ws', label: 'raw ws', start: () => startHost('raw-ws', 'raw ws', flags) },
    { id: 'socketio', label: 'socket.io 4.8', start: () => startHost('socketio', 'socket.io', flags) },
    { id: 'manager', label: 'manager', start: () => startHost('manager', 'manager', flags) },
    { id: 'gateway', label: 'gateway', start: () => startGateway('gateway', {}, flags) },
  ];
  const counts = sizes.connections;
  const allUsers = await signUsers(BENCH_SECRET, Math.max(...counts));
  const warmUsers = await signUsers(BENCH_SECRET, sizes.warmupConnections, { prefix: 'bench-w' });
  // one series per variant and connection count
  const key = (id: string, count: number): string => `${id}@${count}`;
  const series = new Map<string, MemorySeries>(variants.flatMap((variant) => counts.map((count) => [key(variant.id, count), { heap: [], rss: [], external: [], slab: [] }] as const)));
  const limits = { server: null as number | null, client: null as number | null };
  const client = LoadClient.start();
  try {
    for (const count of counts) {
      const users = allUsers.slice(0, count);
      for (let rep = 0; rep < sizes.reps; rep += 1) {
        for (const variant of rotate(variants, rep)) {
          const server = await variant.start();
          try {
            await client.connect('warm', server.baseUrl, server.dialect, warmUsers);
            await client.close('warm');
            await untilSockets(server, 0);
            const before = await server.usage(true);
            const slabBefore = kernelSlabKiB();
            const { ms } = await client.connect('idle', server.baseUrl, server.dialect, users);
            await sleep(1000);
            const after = await server.usage(true);
            const slabAfter = kernelSlabKiB();
            const status = await client.status('idle');
            if (after.tcpSockets < users.length) throw new Error(`${variant.label}: the server holds ${after.tcpSockets} sockets, expected ${users.length}`);
            limits.server = after.openFilesLimit;
            limits.client = (await client.usage()).openFilesLimit;
            if (status.open !== users.length) throw new Error(`${variant.label}: only ${status.open} of ${users.length} connections stayed open`);
            await client.close('idle');
            const entry = series.get(key(variant.id, count)) as MemorySeries;
            const per = (delta: number): number => delta / users.length / KIB;
            entry.heap.push(per(after.heapUsedBytes - before.heapUsedBytes));
            entry.rss.push(per(after.rssBytes - before.rssBytes));
            entry.external.push(per(after.externalBytes - before.externalBytes));
            if (slabBefore !== null && slabAfter !== null) entry.slab.push((slabAfter - slabBefore) / users.length);
            context.progress(
              `memory rep ${rep + 1}/${sizes.reps} · ${variant.label}: ${users.length} connections in ${ms} ms; per connection heap ${per(after.heapUsedBytes - before.heapUsedBytes).toFixed(2)} KiB, ` +
                `RSS ${per(after.rssBytes - before.rssBytes).toFixed(2)} KiB, external ${per(after.externalBytes - before.externalBytes).toFixed(2)} KiB`,
            );
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await client.stop();
  }
  const largestCount = Math.max(...counts);
  const users = allUsers;
  const at = (count: number): string => (counts.length === 1 ? '' : ` at ${count.toLocaleString('en-US')}`);
  const of = (id: string, count = largestCount): MemorySeries => series.get(key(id, count)) as MemorySeries;
  const figures = counts.flatMap((count) =>
    variants.map((variant) =>
      figure(`${variant.label}${at(count)}`, 'heap per connection', 'KiB', of(variant.id, count).heap, {
        'RSS per connection': { unit: 'KiB', values: of(variant.id, count).rss },
        'external per connection': { unit: 'KiB', values: of(variant.id, count).external },
        'kernel slab per connection (machine-wide, both ends)': { unit: 'KiB', values: of(variant.id, count).slab },
      }),
    ),
  );
  const minus = (a: number, b: number): number => a - b;
  const checks = [
    ...counts.flatMap((count) => [
      check(`gateway heap − raw ws heap, per connection${at(count)}`, 'KiB', pairwise(of('gateway', count).heap, of('raw-ws', count).heap, minus), { op: '<=', bound: 2 }),
      check(`manager heap − raw ws heap, per connection${at(count)}`, 'KiB', pairwise(of('manager', count).heap, of('raw-ws', count).heap, minus), { op: '<=', bound: 2 }),
    ]),
    check(`gateway heap / socket.io heap, per connection${at(largestCount)}`, '×', pairwise(of('gateway').heap, of('socketio').heap), null),
  ];
  const notes = [`${sizes.reps} repetitions; the order of the variants rotates each repetition.`];
  if (checks.some((item) => item.verdict === 'missed' || item.verdict === 'inconclusive') && context.mode === 'full') {
    // explain a miss or a straddle: what each connection adds to the heap by object kind, layer by layer (raw ws, + manager, + gateway)
    const breakdownUsers = users.slice(0, BREAKDOWN_CONNECTIONS);
    const layers = ['raw-ws', 'manager', 'gateway'].map((id) => variants.find((variant) => variant.id === id) as MemoryVariant);
    const second = LoadClient.start();
    const growth: HeapTotals[] = [];
    try {
      for (const variant of layers) growth.push(await heapBreakdown(variant, second, breakdownUsers, warmUsers));
    } finally {
      await second.stop();
    }
    const [rawGrowth, managerGrowth, gatewayGrowth] = growth as [HeapTotals, HeapTotals, HeapTotals];
    const lines = [
      `raw ws keeps per connection: ${describeGroups(largest(rawGrowth, 8))}`,
      `the manager adds over raw ws: ${describeGroups(largest(heapDifference(managerGrowth, rawGrowth), 14))}`,
      `the gateway adds over the manager: ${describeGroups(largest(heapDifference(gatewayGrowth, managerGrowth), 14))}`,
    ];
    for (const line of lines) context.progress(`memory: ${line}`);
    notes.push(`Heap snapshots before and after ${breakdownUsers.length} connections (shallow sizes per connection, by constructor or V8 kind): ${lines.join('; ')}.`);
  }
  return {
    parameters: { ...sizes, openFilesLimitServer: limits.server, openFilesLimitClient: limits.client, orchestratorOpenFiles: openFilesLimit() },
    figures,
    checks,
    verification: null,
    method:
      `Each repetition starts a fresh server (node --expose-gc), opens and closes ${sizes.warmupConnections} connections to warm it up, waits until it has released their sockets, forces full collections ` +
      `and reads process.memoryUsage(), opens ${counts.join(' (and, in other repetitions, ')}${counts.length > 1 ? ')' : ''} authenticated connections (one user each, token verified at the upgrade ` +
      `or, for socket.io, by a middleware; each socket joins its user's room there), waits 1 s, forces full collections and reads it again: ` +
      `per connection = the difference / the connections. Heap is V8's heapUsed, RSS the resident set, external the memory of Buffers and sockets outside the heap. ` +
      `The kernel's slab is read from /proc/meminfo for the whole machine, so it includes the client's sockets and other work; it is a rough figure. ` +
      `Open files limit: server ${String(limits.server)}, load generator ${String(limits.client)} (children raise theirs to the hard limit).`,
    notes,
  };
}
