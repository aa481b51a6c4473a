import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckErrorReportSchema, CheckReportSchema } from '../checker';
import { LEGACY_FIXTURE, REPO_ROOT, copyLegacyFixture } from '../testing-workspaces.test-helpers';
import { toolVersion } from '../version';
import { EXIT, runCli } from './run-cli';

function cli(argv: string[], cwd = LEGACY_FIXTURE): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd });
  return { code, stdout, stderr };
}

describe('agentwire-ssot command line', () => {
  it('check prints the grouped report and exits 1 on violations', () => {
    const run = cli(['check']);
    expect(run.code).toBe(EXIT.violations);
    expect(run.stdout).toContain('canonical-definitions: 5');
    expect(run.stdout).toContain('  apps/chat/src/settings.ts:2:24  hard-coded endpoint http://localhost:8000');
    expect(run.stdout).toContain('  result          FAIL: 22 new violations (at most 0 allowed)');
  });

  it('passes within the thresholds given on the command line', () => {
    expect(cli(['check', '--max-violations', '22', '--min-score', '31.2']).code).toBe(EXIT.passed);
    expect(cli(['check', '--max-violations', '21', '--min-score', '0']).code).toBe(EXIT.violations);
  });

  it('--json prints the documented report', () => {
    const run = cli(['check', '--json']);
    const report = CheckReportSchema.parse(JSON.parse(run.stdout));
    expect(report.summary.violations).toBe(22);
  });

  it('--sarif --output writes SARIF to a file and prints one summary line', () => {
    const dir = copyLegacyFixture();
    const run = cli(['check', '--sarif', '--output', 'ssot.sarif'], dir);
    expect(run.code).toBe(EXIT.violations);
    expect(run.stdout).toBe('agentwire-ssot check: FAIL, score 31.2, 22 violations (22 new) in 29 files; report in ssot.sarif\n');
    expect((JSON.parse(readFileSync(join(dir, 'ssot.sarif'), 'utf8')) as { version: string }).version).toBe('2.1.0');
  });

  it('--baseline with --update-baseline records, after which the check passes', () => {
    const dir = copyLegacyFixture();
    expect(cli(['check', '--baseline', 'b.json', '--update-baseline', '--min-score', '0'], dir).code).toBe(EXIT.passed);
    expect(existsSync(join(dir, 'b.json'))).toBe(true);
    expect(cli(['check', '--baseline', 'b.json', '--min-score', '0'], dir).code).toBe(EXIT.passed);
  });

  it('migrate --dry-run reports and changes nothing', () => {
    const dir = copyLegacyFixture();
    const run = cli(['migrate', '--dry-run'], dir);
    expect(run.code).toBe(EXIT.passed);
    expect(run.stdout.split('\n')[0]).toBe('agentwire-ssot migrate (dry run): 7 imports in 5 files would change (29 files scanned)');
    expect(cli(['check'], dir).stdout).toContain('forbidden-imports: 7');
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['check', '--jsn'], /Unknown option '--jsn'/],
    [['check', '--json', '--sarif'], /at most one of --json and --sarif/],
    [['check', '--limit', 'ten'], /--limit takes a whole number/],
    [['check', '--min-score', '101'], /--min-score takes a number from 0 to 100/],
    [['check', '--update-baseline'], /--update-baseline needs --baseline FILE/],
    [['check', '--baseline', 'missing.json'], /Invalid baseline .*missing.json: no such file/],
  ])('exits 2 with a message on bad usage: %j', (argv, message) => {
    const run = cli(argv);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 when no registry is found', () => {
    const run = cli(['check'], '/');
    expect(run).toMatchObject({ code: EXIT.usage, stderr: 'agentwire-ssot: No ssot.config.json in / or any folder above it\n' });
  });

  it('with --json, a check that cannot start prints an error document as well (and still exits 2)', () => {
    const run = cli(['check', '--json'], '/');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe('agentwire-ssot: No ssot.config.json in / or any folder above it\n');
    expect(CheckErrorReportSchema.parse(JSON.parse(run.stdout))).toEqual({
      schemaVersion: 1,
      tool: { name: 'agentwire-ssot', version: toolVersion() },
      error: { code: 'SSOT_REGISTRY_NOT_FOUND', message: 'No ssot.config.json in / or any folder above it' },
    });
    expect(cli(['check'], '/').stdout).toBe('');
  });

  it('prints help and the version', () => {
    expect(cli(['--help']).stdout).toContain('Usage: agentwire-ssot <command> [options]');
    expect(cli([])).toMatchObject({ code: EXIT.usage });
    expect(cli(['--version']).stdout).toBe(`${toolVersion()}\n`);
  });

  it('the built bin that package.json names runs the checker', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'tools/ssot/package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = join(REPO_ROOT, 'tools/ssot', manifest.bin['agentwire-ssot'] ?? '');
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const run = spawnSync(process.execPath, [bin, 'check', '--root', LEGACY_FIXTURE, '--limit', '1'], { encoding: 'utf8' });
    expect(run.status).toBe(EXIT.violations);
    expect(run.stdout).toContain('score           31.2');
  });
});
