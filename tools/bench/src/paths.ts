import { join, resolve } from 'node:path';

/** The workspace root: this file is tools/bench/src/paths.ts, or tools/bench/dist/paths.js once built. */
export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..');
/** The bench project folder. */
export const BENCH_ROOT = join(WORKSPACE_ROOT, 'tools', 'bench');
/** Where results are written. */
export const RESULTS_DIR = join(BENCH_ROOT, 'results');
/** The built scripts the bench starts as child processes. */
export const SCRIPTS = {
  serverHost: join(BENCH_ROOT, 'dist', 'server', 'host.js'),
  probePreload: join(BENCH_ROOT, 'dist', 'server', 'preload.js'),
  client: join(BENCH_ROOT, 'dist', 'client', 'main.js'),
  tracker: join(BENCH_ROOT, 'dist', 'tracker', 'main.js'),
  schedulingProbe: join(BENCH_ROOT, 'dist', 'scheduling-probe.js'),
  gateway: join(WORKSPACE_ROOT, 'apps', 'gateway', 'dist', 'main.js'),
  ssotCli: join(WORKSPACE_ROOT, 'tools', 'ssot', 'bin', 'agentwire-ssot.cjs'),
  generateWorkspace: join(WORKSPACE_ROOT, 'tools', 'ssot', 'scripts', 'generate-workspace.mjs'),
  depcruise: join(WORKSPACE_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
  jscpd: join(WORKSPACE_ROOT, 'node_modules', 'jscpd', 'bin', 'jscpd'),
} as const;
