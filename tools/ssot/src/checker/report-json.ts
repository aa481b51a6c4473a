import { relative } from 'node:path';
import { z } from 'zod';
import { TOOL_NAME, toolVersion } from '../version';
import type { CheckResult } from './run-check';
import { CATEGORIES } from './violation';

const LocationSchema = z.strictObject({
  file: z.string(),
  line: z.int().min(1),
  column: z.int().min(1),
  endLine: z.int().min(1),
  endColumn: z.int().min(1),
});

const CountsByCategorySchema = z.strictObject(Object.fromEntries(CATEGORIES.map((c) => [c, z.int().min(0)])) as Record<(typeof CATEGORIES)[number], z.ZodInt>);

/**
 * The `--json` output, version 1. Fields are only ever added within a schema version; a
 * removal or change of meaning bumps `schemaVersion`. Paths are relative to `root`, POSIX.
 */
export const CheckReportSchema = z.strictObject({
  schemaVersion: z.literal(1),
  tool: z.strictObject({ name: z.literal(TOOL_NAME), version: z.string() }),
  root: z.string(),
  registry: z.string(),
  passed: z.boolean(),
  failures: z.array(z.string()),
  score: z.strictObject({ value: z.number().min(0).max(100), formula: z.string(), filesScanned: z.int().min(0), filesWithViolations: z.int().min(0) }),
  files: z.strictObject({ scanned: z.int().min(0), source: z.int().min(0), test: z.int().min(0), withViolations: z.int().min(0) }),
  summary: z.strictObject({
    violations: z.int().min(0),
    new: z.int().min(0),
    baselined: z.int().min(0),
    fixable: z.int().min(0),
    byCategory: CountsByCategorySchema,
  }),
  thresholds: z.strictObject({ maxViolations: z.int().min(0), minScore: z.number() }),
  baseline: z
    .strictObject({
      file: z.string(),
      written: z.boolean(),
      stale: z.array(z.strictObject({ category: z.enum(CATEGORIES), file: z.string(), subject: z.string(), count: z.int().min(1) })),
    })
    .nullable(),
  violations: z.array(
    LocationSchema.extend({
      category: z.enum(CATEGORIES),
      message: z.string(),
      hint: z.string(),
      subject: z.string(),
      key: z.string(),
      fixable: z.boolean(),
      baselined: z.boolean(),
      related: z.array(LocationSchema.extend({ message: z.string() })),
    }),
  ),
  durationMs: z.int().min(0),
});
export type CheckReport = z.output<typeof CheckReportSchema>;

export function toJsonReport(result: CheckResult): CheckReport {
  return {
    schemaVersion: 1,
    tool: { name: TOOL_NAME, version: toolVersion() },
    root: result.root,
    registry: relative(result.root, result.registryFile),
    passed: result.passed,
    failures: result.failures,
    score: { value: result.score.value, formula: result.score.formula, filesScanned: result.files.scanned, filesWithViolations: result.files.withViolations },
    files: result.files,
    summary: {
      violations: result.violations.length,
      new: result.newViolations,
      baselined: result.violations.length - result.newViolations,
      fixable: result.violations.filter((v) => v.fixable).length,
      byCategory: result.byCategory,
    },
    thresholds: result.thresholds,
    baseline: result.baseline === null ? null : { file: relative(result.root, result.baseline.file), written: result.baseline.written, stale: result.baseline.stale },
    violations: result.violations,
    durationMs: result.durationMs,
  };
}

/**
 * What `check --json` prints when it cannot check at all (no registry, an invalid one, a bad
 * command line): a JSON consumer gets a document to read instead of empty output. The exit code
 * (2) and the message on stderr are as without --json.
 */
export const CheckErrorReportSchema = z.strictObject({
  schemaVersion: z.literal(1),
  tool: z.strictObject({ name: z.literal(TOOL_NAME), version: z.string() }),
  error: z.strictObject({ code: z.string(), message: z.string() }),
});
export type CheckErrorReport = z.output<typeof CheckErrorReportSchema>;

export function toJsonErrorReport(code: string, message: string): CheckErrorReport {
  return { schemaVersion: 1, tool: { name: TOOL_NAME, version: toolVersion() }, error: { code, message } };
}
