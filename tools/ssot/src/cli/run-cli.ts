import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTextReport, runCheck, toJsonErrorReport, toJsonReport, toSarif } from '../checker';
import { formatMigrateReport, runMigrate } from '../codemod';
import { SsotError, UsageError } from '../errors';
import { TOOL_NAME, toolVersion } from '../version';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
}

/** Exit codes: 0 passed, 1 violations beyond the thresholds, 2 bad usage, registry or baseline, 3 an unexpected error. */
export const EXIT = { passed: 0, violations: 1, usage: 2, crashed: 3 } as const;

export const USAGE = `Usage: ${TOOL_NAME} <command> [options]

Commands:
  check      scan the workspace; exit 1 when new violations or the score pass the thresholds
  migrate    rewrite forbidden, deprecated, deep and cross-package relative imports

Options (both commands):
  --root DIR            where to look for ssot.config.json (default: the current folder)
  --config FILE         the registry file to use instead
  --json                machine-readable output (check: the documented report schema)

check:
  --sarif               SARIF 2.1.0 output, for code-scanning annotations
  --output FILE         write the report to FILE; print only the summary line
  --limit N             violations listed per category in the text report (default 20, 0 = all)
  --baseline FILE       known violations: only others fail
  --update-baseline     record FILE when missing, else drop what was fixed from it
  --max-violations N    new violations allowed (default: the registry's check.maxViolations)
  --min-score N         lowest passing score (default: the registry's check.minScore)

migrate:
  --dry-run             print what would change, write nothing
`;

/** Runs one command line; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIo): number {
  try {
    return dispatch(argv, io);
  } catch (error) {
    if (error instanceof SsotError) {
      io.stderr(`${TOOL_NAME}: ${error.message}\n`);
      if (argv[0] === 'check' && argv.includes('--json')) io.stdout(`${JSON.stringify(toJsonErrorReport(error.code, error.message), null, 2)}\n`);
      return EXIT.usage;
    }
    io.stderr(`${TOOL_NAME}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.crashed;
  }
}

function dispatch(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout(USAGE);
    return command === undefined ? EXIT.usage : EXIT.passed;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${toolVersion()}\n`);
    return EXIT.passed;
  }
  if (command === 'check') return check(rest, io);
  if (command === 'migrate') return migrate(rest, io);
  throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
}

function check(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, {
    root: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
    sarif: { type: 'boolean' },
    output: { type: 'string' },
    limit: { type: 'string' },
    baseline: { type: 'string' },
    'update-baseline': { type: 'boolean' },
    'max-violations': { type: 'string' },
    'min-score': { type: 'string' },
  });
  if (values.json && values.sarif) throw new UsageError('give at most one of --json and --sarif');
  if (values['update-baseline'] && values.baseline === undefined) throw new UsageError('--update-baseline needs --baseline FILE');
  const limit = values.limit === undefined ? 20 : count('--limit', values.limit);
  const result = runCheck({
    cwd: resolve(io.cwd, values.root ?? '.'),
    ...(values.config === undefined ? {} : { configFile: resolve(io.cwd, values.config) }),
    ...(values.baseline === undefined ? {} : { baselineFile: resolve(io.cwd, values.baseline) }),
    updateBaseline: values['update-baseline'] ?? false,
    ...(values['max-violations'] === undefined ? {} : { maxViolations: count('--max-violations', values['max-violations']) }),
    ...(values['min-score'] === undefined ? {} : { minScore: score(values['min-score']) }),
  });
  const report = values.json
    ? `${JSON.stringify(toJsonReport(result), null, 2)}\n`
    : values.sarif
      ? `${JSON.stringify(toSarif(result), null, 2)}\n`
      : formatTextReport(result, limit);
  if (values.output === undefined) {
    io.stdout(report);
  } else {
    writeFileSync(resolve(io.cwd, values.output), report);
    io.stdout(
      `${TOOL_NAME} check: ${result.passed ? 'PASS' : 'FAIL'}, score ${result.score.value}, ${result.violations.length} violations ` +
        `(${result.newViolations} new) in ${result.files.scanned} files; report in ${values.output}\n`,
    );
  }
  return result.passed ? EXIT.passed : EXIT.violations;
}

function migrate(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, { root: { type: 'string' }, config: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  const result = runMigrate({
    cwd: resolve(io.cwd, values.root ?? '.'),
    ...(values.config === undefined ? {} : { configFile: resolve(io.cwd, values.config) }),
    dryRun: values['dry-run'] ?? false,
  });
  io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatMigrateReport(result));
  return EXIT.passed;
}

function parse<T extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
}

function count(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} takes a whole number, got '${value}'`);
  return Number(value);
}

function score(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 100) throw new UsageError(`--min-score takes a number from 0 to 100, got '${value}'`);
  return parsed;
}
