// `npm run bench` / `nx run bench:run`: runs every workload, prints a progress line per step,
// writes results/latest.json and latest.md (results/quick.* with --quick) and, after a full
// run, the results table of tools/bench/README.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo } from './machine';
import { BENCH_PROFILES, WORKLOAD_IDS, type WorkloadId } from './options';
import { RESULTS_DIR, WORKSPACE_ROOT } from './paths';
import { replaceBetweenMarkers } from './readme';
import { renderResults } from './render';
import type { BenchResults, WorkloadResult } from './results';
import { type BenchContext, type WorkloadBody, runWorkload } from './workloads/context';
import { broadcastWorkload } from './workloads/broadcast';
import { checkerWorkload } from './workloads/checker';
import { latencyWorkload } from './workloads/latency';
import { memoryWorkload } from './workloads/memory';
import { redisWorkload } from './workloads/redis';
import { tokensWorkload } from './workloads/tokens';
import { trackerWorkload } from './workloads/tracker';
import { unicastWorkload } from './workloads/unicast';

const WORKLOADS: Readonly<Record<WorkloadId, { title: (context: BenchContext) => string; run: (context: BenchContext) => Promise<WorkloadBody> }>> = {
  unicast: { title: ({ sizes }) => `unicast: ${sizes.unicast.users} users × ${sizes.unicast.events} agent events`, run: unicastWorkload },
  broadcast: { title: ({ sizes }) => `room broadcast: 1 room × ${thousandsText(sizes.broadcast.clients)} clients`, run: broadcastWorkload },
  latency: { title: ({ sizes }) => `latency at ${thousandsText(sizes.latency.rate)} events/s`, run: latencyWorkload },
  memory: { title: ({ sizes }) => `memory: ${sizes.memory.connections.map(thousandsText).join(' and ')} idle authenticated connections`, run: memoryWorkload },
  tracker: { title: ({ sizes }) => `tracker: sweep expiring ${thousandsText(sizes.tracker.expire)} of ${thousandsText(sizes.tracker.runs)} live runs`, run: trackerWorkload },
  checker: { title: ({ sizes }) => `checker: ${thousandsText(sizes.checker.files)} generated files`, run: checkerWorkload },
  redis: { title: ({ sizes }) => `Redis: unicast through two gateways, ${sizes.redis.users} users × ${sizes.redis.events} events`, run: redisWorkload },
  tokens: {
    title: ({ sizes }) =>
      `token streams: ${thousandsText(sizes.tokens.streams)} answers × ${sizes.tokens.tokens} tokens at ${sizes.tokens.tokensPerSecond} tokens/s`,
    run: tokensWorkload,
  },
};

function thousandsText(value: number): string {
  return value.toLocaleString('en-US');
}

const USAGE = `usage: npm run bench [-- --quick] [--only unicast,latency] [--no-readme] [--cpu-prof]
  --quick       smaller workloads (under 2 minutes); writes results/quick.{json,md}
  --only LIST   run only these workloads (${WORKLOAD_IDS.join(', ')})
  --no-readme   do not update the results table of tools/bench/README.md (full runs update it)
  --cpu-prof    run every server under test with node --cpu-prof (profiles in results/profiles/)`;

function selected(only: string | undefined): WorkloadId[] {
  if (only === undefined) return [...WORKLOAD_IDS];
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(WORKLOAD_IDS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(', ')}; choose from ${WORKLOAD_IDS.join(', ')}`);
  return WORKLOAD_IDS.filter((id) => names.includes(id));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, 'no-readme': { type: 'boolean' }, 'cpu-prof': { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const mode = values.quick === true ? 'quick' : 'full';
  const ids = selected(values.only);
  const started = Date.now();
  const profiles = join(RESULTS_DIR, 'profiles');
  if (values['cpu-prof'] === true) mkdirSync(profiles, { recursive: true });
  const context: BenchContext = {
    mode,
    sizes: BENCH_PROFILES[mode],
    serverFlags: values['cpu-prof'] === true ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profiles}`] } : {},
    progress: (message) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`),
  };
  const args = [...(mode === 'quick' ? ['--quick'] : []), ...(values.only === undefined ? [] : [`--only ${values.only}`])];
  const command = args.length === 0 ? 'npm run bench' : `npm run bench -- ${args.join(' ')}`;
  context.progress(`agentwire bench (${mode}): ${ids.join(', ')}`);
  const workloads: WorkloadResult[] = [];
  for (const id of ids) {
    const workload = WORKLOADS[id];
    workloads.push(await runWorkload(context, id, workload.title(context), () => workload.run(context)));
  }
  const passed = workloads.every((workload) => workload.status !== 'failed' && workload.verification?.ok !== false);
  const results: BenchResults = {
    schemaVersion: 1,
    mode,
    command,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    machine: machineInfo(),
    passed,
    workloads,
  };
  const markdown = renderResults(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = mode === 'quick' ? 'quick' : 'latest';
  writeFileSync(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${base}.md`), markdown);
  context.progress(`wrote ${relative(WORKSPACE_ROOT, join(RESULTS_DIR, `${base}.json`))} and ${base}.md`);
  if (mode === 'full' && values['no-readme'] !== true && values.only === undefined) {
    const readme = join(WORKSPACE_ROOT, 'tools', 'bench', 'README.md');
    writeFileSync(readme, replaceBetweenMarkers(readFileSync(readme, 'utf8'), markdown));
    context.progress('updated the results table of tools/bench/README.md');
  }
  console.log(`\n${markdown}`);
  context.progress(`${passed ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    console.error(USAGE);
    process.exit(2);
  },
);
