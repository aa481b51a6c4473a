// How `agentwire-ssot check` scales: generated workspaces of 625 to 5,000 files, each checked in
// a fresh process 3 times; prints the median scan time (inside the checker), the median wall
// time of the whole command (Node start and TypeScript load included) and the time per file.
// Near-linear means the time per file stays flat as the workspace grows.
//   npx nx run ssot:bench            (builds first)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateWorkspace } from './generate-workspace.mjs';

const bin = new URL('../bin/agentwire-ssot.cjs', import.meta.url).pathname;
const sizes = [625, 1250, 2500, 5000];
const repetitions = 3;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const scratch = mkdtempSync(join(tmpdir(), 'ssot-bench-'));
const rows = [];
try {
  for (const size of sizes) {
    const dir = join(scratch, String(size));
    generateWorkspace(dir, { files: size });
    const scans = [];
    const walls = [];
    let report;
    for (let i = 0; i < repetitions; i += 1) {
      const started = performance.now();
      const run = spawnSync(process.execPath, [bin, 'check', '--json', '--root', dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      walls.push(performance.now() - started);
      report = JSON.parse(run.stdout);
      scans.push(report.durationMs);
    }
    const row = { files: report.files.scanned, violations: report.summary.violations, scanMs: median(scans), wallMs: Math.round(median(walls)) };
    rows.push(row);
    console.log(`${String(row.files).padStart(6)} files  ${String(row.violations).padStart(4)} violations  scan ${String(row.scanMs).padStart(5)} ms  wall ${String(row.wallMs).padStart(5)} ms  ${(row.scanMs / row.files).toFixed(3)} ms/file`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const first = rows[0];
const last = rows[rows.length - 1];
const growth = last.scanMs / last.files / (first.scanMs / first.files);
console.log(`time per file at ${last.files} files is ${growth.toFixed(2)}x that at ${first.files} files (1.00 = perfectly linear)`);
