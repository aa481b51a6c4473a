// `npm run bench [-- --quick]`: builds the bench and what it runs (the gateway, the packages, the
// SSOT checker) through Nx, then runs the benchmarks with the given arguments, streaming their
// progress. `npx nx run bench:run [--quick]` does the same through Nx alone.
import { spawnSync } from 'node:child_process';

const root = new URL('../../..', import.meta.url).pathname;
const nx = new URL('../../../node_modules/nx/dist/bin/nx.js', import.meta.url).pathname;
// no daemon and no Nx Cloud, as every script of this repository runs Nx
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

const build = spawnSync(process.execPath, [nx, 'run', 'bench:build', '--outputStyle=static'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error('bench: the build failed; run `npx nx run bench:build` to see why.');
  process.exit(build.status ?? 1);
}
const run = spawnSync(process.execPath, [new URL('../dist/cli.js', import.meta.url).pathname, ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
process.exit(run.status ?? 1);
