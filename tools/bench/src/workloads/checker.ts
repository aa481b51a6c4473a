import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_ROOT, RESULTS_DIR, SCRIPTS, WORKSPACE_ROOT } from '../paths';
import { check, figure, pairwise } from '../results';
import { type CpuProfile, selfTimes } from '../tracker/profile';
import { type BenchContext, type WorkloadBody, rotate } from './context';

/**
 * dependency-cruiser's rules for the same checks of imports the SSOT checker makes: no deep
 * import into another package, nothing unresolvable (paths from the generated tsconfig.json).
 */
const DEPCRUISE_CONFIG = `module.exports = {
  forbidden: [
    { name: 'no-deep-import', severity: 'error', from: {}, to: { path: '^@bench/[^/]+/src/' } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true, pathNot: '^zod$' } },
  ],
  options: { doNotFollow: { path: 'node_modules' }, tsConfig: { fileName: 'tsconfig.json' }, tsPreCompilationDeps: true },
};
`;

/**
 * dependency-cruiser on a real monorepo: the rule every workspace shares (nothing unresolvable),
 * TypeScript pre-compilation dependencies, node_modules not followed. Written next to the repo's
 * files in a scratch name, so the repo's own .dependency-cruiser config is not used.
 */
const DEPCRUISE_REAL_CONFIG = `module.exports = {
  forbidden: [{ name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } }],
  options: { doNotFollow: { path: 'node_modules' }, tsPreCompilationDeps: true, exclude: { path: '(^|/)(node_modules|dist|lib|temp)/' } },
};
`;

/**
 * Real monorepos to compare on as well, from AGENTWIRE_BENCH_CHECKER_REPOS: comma-separated
 * checkouts, each with the folders to give dependency-cruiser after a colon, `+`-separated
 * (`/tmp/real/rushstack:apps+libraries`; default `packages`). A checkout without an
 * ssot.config.json gets the registry tools/bench/real-repos/<folder name>.ssot.config.json for
 * the run. Not set in CI, where no real repository is at hand.
 */
function realRepos(): { root: string; folders: string[] }[] {
  const value = process.env['AGENTWIRE_BENCH_CHECKER_REPOS'] ?? '';
  return value
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const [root = '', folders = 'packages'] = entry.trim().split(':');
      return { root, folders: folders.split('+').filter((folder) => folder !== '') };
    });
}

const TSCONFIG = JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@bench/*': ['packages/*/src/index.ts'] }, module: 'commonjs', target: 'es2022', strict: true }, include: ['packages'] }, null, 2);

interface ToolRun {
  readonly wallMs: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function timed(args: readonly string[], cwd: string): ToolRun {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return { wallMs: performance.now() - started, status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** One `agentwire-ssot check --json`: a crash (exit other than 0 or 1) or output that is not its report is an error, not a time. */
function ssotCheck(root: string): { wallMs: number; report: { files: { scanned: number }; summary: { violations: number }; durationMs: number } } {
  const run = timed([SCRIPTS.ssotCli, 'check', '--json', '--root', root], root);
  if (run.status !== 0 && run.status !== 1) throw new Error(`agentwire-ssot exited ${String(run.status)} on ${root}: ${run.stderr.slice(0, 500)}`);
  return { wallMs: run.wallMs, report: JSON.parse(run.stdout) as { files: { scanned: number }; summary: { violations: number }; durationMs: number } };
}

/** One dependency-cruiser run: without its summary line it did not cruise, and its time says nothing. */
function depcruise(args: readonly string[], root: string): { wallMs: number; modules: string; dependencies: string; violations: string } {
  const run = timed([SCRIPTS.depcruise, ...args], root);
  const line = /(\d+) modules, (\d+) dependencies cruised/.exec(run.stdout + run.stderr);
  if (line === null) throw new Error(`dependency-cruiser gave no summary on ${root} (exit ${String(run.status)}): ${(run.stdout + run.stderr).slice(-500)}`);
  const violations = /(\d+) dependency violations/.exec(run.stdout + run.stderr)?.[1] ?? '0';
  return { wallMs: run.wallMs, modules: line[1] ?? '', dependencies: line[2] ?? '', violations };
}

interface CheckerTool {
  readonly id: string;
  readonly label: string;
  run(dir: string): { wallMs: number; summary: string };
}

/** Runs the checker once under `node --cpu-prof` and says where its time goes (self time by frame). */
function profileChecker(root: string, context: BenchContext): string {
  const dir = join(RESULTS_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const name = 'ssot-check.cpuprofile';
  timed(['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`, SCRIPTS.ssotCli, 'check', '--json', '--root', root], root);
  const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile;
  const top = selfTimes([profile], 10).map((entry) => `${entry.frame} ${(entry.share * 100).toFixed(1)}%`);
  context.progress(`checker: profile of agentwire-ssot check (self time): ${top.join('; ')}`);
  return `Profile of one \`agentwire-ssot check\` (node --cpu-prof, ${relative(WORKSPACE_ROOT, join(dir, name))}), self time: ${top.join('; ')}.`;
}

/** Workload 6: `agentwire-ssot check` against dependency-cruiser and jscpd on one generated workspace. */
export async function checkerWorkload(context: BenchContext): Promise<WorkloadBody> {
  const sizes = context.sizes.checker;
  const dir = mkdtempSync(join(tmpdir(), 'agentwire-bench-checker-'));
  const scans: number[] = [];
  try {
    const generated = spawnSync(process.execPath, [SCRIPTS.generateWorkspace, dir, '--files', String(sizes.files)], { encoding: 'utf8' });
    if (generated.status !== 0) throw new Error(`generate-workspace failed: ${generated.stderr}`);
    writeFileSync(join(dir, 'tsconfig.json'), TSCONFIG);
    writeFileSync(join(dir, '.dependency-cruiser.cjs'), DEPCRUISE_CONFIG);
    context.progress(`checker: ${generated.stdout.trim()}`);
    const tools: CheckerTool[] = [
      {
        id: 'ssot',
        label: 'agentwire-ssot check',
        run: (root) => {
          const { wallMs, report } = ssotCheck(root);
          scans.push(report.durationMs);
          return { wallMs, summary: `${report.files.scanned} files, ${report.summary.violations} violations, scan ${report.durationMs} ms` };
        },
      },
      {
        id: 'depcruise',
        label: 'dependency-cruiser 17',
        run: (root) => {
          const run = depcruise(['--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'err', 'packages'], root);
          return { wallMs: run.wallMs, summary: `${run.modules} modules, ${run.dependencies} dependencies, ${run.violations} violations` };
        },
      },
      {
        id: 'jscpd',
        label: 'jscpd 4.3',
        run: (root) => {
          const output = join(root, '.jscpd');
          const run = timed([SCRIPTS.jscpd, '--silent', '--reporters', 'json', '--output', output, 'packages'], root);
          if (run.status !== 0) throw new Error(`jscpd exited ${String(run.status)}: ${run.stderr.slice(0, 500)}`);
          const report = JSON.parse(readFileSync(join(output, 'jscpd-report.json'), 'utf8')) as { statistics: { total: { sources: number; clones: number } } };
          return { wallMs: run.wallMs, summary: `${report.statistics.total.sources} files, ${report.statistics.total.clones} clones` };
        },
      },
    ];
    const wall = new Map<string, number[]>(tools.map((tool) => [tool.id, []]));
    for (const tool of tools) tool.run(dir); // warm the file cache and each tool's first start
    for (let rep = 0; rep < sizes.reps; rep += 1) {
      for (const tool of rotate(tools, rep)) {
        const { wallMs, summary } = tool.run(dir);
        wall.get(tool.id)?.push(wallMs);
        context.progress(`checker rep ${rep + 1}/${sizes.reps} · ${tool.label}: ${(wallMs / 1000).toFixed(2)} s (${summary})`);
      }
    }
    const of = (id: string): number[] => (wall.get(id) ?? []).map((ms) => ms / 1000);
    const checks = [
      check('dependency-cruiser time / checker time', '×', pairwise(of('depcruise'), of('ssot')), { op: '>=', bound: 3 }),
      check('jscpd time / checker time', '×', pairwise(of('jscpd'), of('ssot')), null),
    ];
    const notes = [`${sizes.reps} repetitions; the order of the tools rotates each repetition.`];
    const realFigures = [];
    for (const repo of realRepos()) {
      const name = repo.root.split('/').filter(Boolean).pop() ?? repo.root;
      const config = join(repo.root, '.agentwire-bench-depcruise.cjs');
      const registry = join(repo.root, 'ssot.config.json');
      const shipped = join(BENCH_ROOT, 'real-repos', `${name}.ssot.config.json`);
      // written before the registry it marks: a copy left by a run cut short (marked, and still the
      // shipped file) is not taken for the checkout's own, and the checkout's own is never touched
      const marker = join(repo.root, '.agentwire-bench-registry');
      const leftByBench = existsSync(marker) && existsSync(registry) && existsSync(shipped) && readFileSync(registry, 'utf8') === readFileSync(shipped, 'utf8');
      const ownRegistry = existsSync(registry) && !leftByBench;
      if (!ownRegistry && !existsSync(shipped)) throw new Error(`${repo.root} has no ssot.config.json and tools/bench/real-repos has none for ${name}`);
      try {
        if (!ownRegistry) {
          writeFileSync(marker, `ssot.config.json here is a copy of ${relative(WORKSPACE_ROOT, shipped)}, written by tools/bench\n`);
          copyFileSync(shipped, registry);
        }
        writeFileSync(config, DEPCRUISE_REAL_CONFIG);
        const times = new Map<string, number[]>([
          ['ssot', []],
          ['depcruise', []],
        ]);
        const runs = [
          { id: 'ssot', run: () => ssotCheck(repo.root) },
          { id: 'depcruise', run: () => depcruise(['--config', config, '--output-type', 'err', ...repo.folders], repo.root) },
        ];
        for (const tool of runs) tool.run(); // warm the file cache and each tool's first start
        for (let rep = 0; rep < sizes.reps; rep += 1) {
          for (const tool of rotate(runs, rep)) times.get(tool.id)?.push(tool.run().wallMs / 1000);
          context.progress(`checker on ${name} rep ${rep + 1}/${sizes.reps}: agentwire-ssot ${(times.get('ssot')?.[rep] ?? 0).toFixed(2)} s, dependency-cruiser ${(times.get('depcruise')?.[rep] ?? 0).toFixed(2)} s`);
        }
        const ssotTimes = times.get('ssot') ?? [];
        const depcruiseTimes = times.get('depcruise') ?? [];
        realFigures.push(figure(`agentwire-ssot check on ${name}`, 'wall time', 's', ssotTimes), figure(`dependency-cruiser 17 on ${name}`, 'wall time', 's', depcruiseTimes));
        checks.push(check(`dependency-cruiser time / checker time on ${name}`, '×', pairwise(depcruiseTimes, ssotTimes), { op: '>=', bound: 2 }));
      } finally {
        rmSync(config, { force: true });
        if (!ownRegistry) {
          rmSync(registry, { force: true });
          rmSync(marker, { force: true });
        }
      }
    }
    if (checks[0]?.met === false && context.mode === 'full') notes.push(profileChecker(dir, context));
    return {
      parameters: { ...sizes },
      figures: [
        figure('agentwire-ssot check', 'wall time', 's', of('ssot'), { 'scan (checker-reported)': { unit: 's', values: scans.slice(-sizes.reps).map((ms) => ms / 1000) } }),
        figure('dependency-cruiser 17 (import rules)', 'wall time', 's', of('depcruise')),
        figure('jscpd 4.3 (copy detection)', 'wall time', 's', of('jscpd')),
        ...realFigures,
      ],
      checks,
      verification: null,
      method:
        `tools/ssot/scripts/generate-workspace.mjs writes ${sizes.files} TypeScript files (100 packages, one SSOT violation in every 25 modules). ` +
        `Wall time of each whole command (Node start-up included), run in turn, after one untimed run of each: ` +
        `\`agentwire-ssot check --json\` (all five rule categories plus duplicate and structural-duplicate types); ` +
        `\`depcruise --output-type err packages\` with two import rules (no deep import into another package, nothing unresolvable; tsconfig paths, TypeScript pre-compilation deps), ` +
        `which covers only the checker's import checks; \`jscpd --reporters json packages\` (copy detection, the nearest tool to the checker's duplicate types).`,
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
