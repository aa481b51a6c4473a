// npm test: build, lint (module boundaries and SSOT rules), typecheck, every project's tests and the
// SSOT checker over the whole workspace, then one closing line with the test counts of all projects.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nxBin, nxEnv } from './nx-env.mjs';

const root = new URL('../..', import.meta.url).pathname;
const results = join(root, '.test-results');
rmSync(results, { recursive: true, force: true });

// Redis and chromium, which the integration and browser tests talk to
const prepared = spawnSync('bash', [join(root, 'tools/scripts/prepare-machine.sh')], { stdio: 'inherit' });
if (prepared.status !== 0) process.exit(prepared.status ?? 1);

const targets = ['build', 'lint', 'typecheck', 'test', 'test-npm-start', 'check'];
console.log(`agentwire test: nx run-many -t ${targets.join(' ')} over every project`);
const run = spawnSync(process.execPath, [nxBin, 'run-many', '-t', ...targets, '--outputStyle=static', '--parallel=2'], {
  cwd: root,
  env: nxEnv,
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
if (existsSync(results)) {
  for (const file of readdirSync(results).filter((name) => name.endsWith('.json')).sort()) {
    const summary = JSON.parse(readFileSync(join(results, file), 'utf8'));
    passed += summary.passed;
    failed += summary.failed;
    skipped += summary.skipped;
    rows.push(`  ${summary.project.padEnd(28)} ${String(summary.passed).padStart(5)} passed ${String(summary.failed).padStart(3)} failed`);
  }
}
console.log(`\nTests by project:\n${rows.join('\n')}`);
const status = run.status ?? 1;
if (status !== 0) console.log('\nSome task failed: see the nx output above.');
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status !== 0 || failed > 0 ? 1 : 0);
