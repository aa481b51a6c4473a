import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeFile, formatMessage, FILE_RULES } from '../analysis';
import { findRegistryFile, loadRegistry, type Registry } from '../registry';
import { WorkspaceIndex } from '../workspace-model';
import { type BaselineEntry, compareWithBaseline, readBaseline, recordBaseline, writeBaseline } from './baseline';
import { duplicateNames, structuralDuplicates } from './cross-file';
import { type TypeDeclaration, typeDeclarations } from './declarations';
import { checkDeprecatedEntryPoints } from './deprecated-entry-points';
import { type ParsedFile, locationOf, parseFile } from './parsed-file';
import { CATEGORIES, type Category, type Violation, compareViolations, violationKey } from './violation';

/** How the score is computed; printed in the text report and carried in the JSON. */
export const SCORE_FORMULA =
  'score = 100 * (filesScanned - filesWithViolations) / filesScanned, rounded down to one decimal; ' +
  'every scanned file counts, baselined violations included, before any display limit';

export interface CheckOptions {
  /** Where to start looking for ssot.config.json (default: the current folder). */
  cwd?: string;
  /** The registry file, instead of looking for one. */
  configFile?: string;
  /** Known violations: only others fail the check. */
  baselineFile?: string;
  /** Record the baseline when the file is missing; otherwise drop what was fixed (never add). */
  updateBaseline?: boolean;
  /** New violations allowed (default: the registry's check.maxViolations). */
  maxViolations?: number;
  /** Lowest passing score (default: the registry's check.minScore). */
  minScore?: number;
}

export interface CheckResult {
  root: string;
  registryFile: string;
  files: { scanned: number; source: number; test: number; withViolations: number };
  /** Every violation, sorted by file and position. */
  violations: Violation[];
  byCategory: Record<Category, number>;
  newViolations: number;
  score: { value: number; formula: string };
  thresholds: { maxViolations: number; minScore: number };
  baseline: { file: string; stale: BaselineEntry[]; written: boolean } | null;
  passed: boolean;
  /** Why the check failed, one line each. */
  failures: string[];
  durationMs: number;
}

/** Scans the workspace the registry describes and returns every violation with the score. */
export function runCheck(options: CheckOptions = {}): CheckResult {
  const started = performance.now();
  const cwd = resolve(options.cwd ?? process.cwd());
  const registry = loadRegistry(options.configFile === undefined ? findRegistryFile(cwd) : resolve(cwd, options.configFile));
  const workspace = WorkspaceIndex.load(registry);

  // One file's syntax tree at a time: only the shims of deprecated entries are kept for their check.
  const shimPaths = new Set(registry.data.imports.flatMap((rule) => (rule.shim === undefined ? [] : [resolve(registry.root, rule.shim)])));
  const shims = new Map<string, ParsedFile>();
  const found: Violation[] = [];
  const declarations: TypeDeclaration[] = [];
  let scanned = 0;
  let test = 0;
  for (const context of workspace.sourceFileContexts()) {
    const file = parseFile(context, readFileSync(context.path, 'utf8'));
    scanned += 1;
    if (context.role === 'test') test += 1;
    if (shimPaths.has(context.path)) shims.set(context.path, file);
    for (const finding of analyzeFile({ sourceFile: file.sourceFile, file: context, registry, workspace }, file.nodes)) {
      const location = locationOf(file, finding.start, finding.end);
      const rule = FILE_RULES.find((r) => r.id === finding.rule);
      found.push({
        ...location,
        category: finding.rule,
        message: formatMessage(rule?.messages[finding.messageId] ?? finding.messageId, finding.data),
        hint: finding.hint,
        subject: finding.subject,
        key: violationKey(finding.rule, location.file, finding.subject),
        fixable: finding.fix !== undefined,
        baselined: false,
        related: [],
      });
    }
    if (file.context.role === 'source') declarations.push(...typeDeclarations(file));
  }
  found.push(...duplicateNames(declarations, registry));
  found.push(...structuralDuplicates(declarations, registry, registry.data.check.structuralMinMembers));
  found.push(...checkDeprecatedEntryPoints(registry, workspace, shims));
  found.sort(compareViolations);

  const baseline = applyBaseline(found, options, cwd);
  const violations = baseline?.violations ?? found;
  const withViolations = Math.min(scanned, new Set(violations.map((v) => v.file)).size);
  const score = scanned === 0 ? 100 : Math.floor((1000 * (scanned - withViolations)) / scanned) / 10;
  const newViolations = violations.filter((v) => !v.baselined).length;
  const thresholds = thresholdsOf(registry, options);
  const failures: string[] = [];
  if (newViolations > thresholds.maxViolations) failures.push(`${newViolations} new violation${newViolations === 1 ? '' : 's'} (at most ${thresholds.maxViolations} allowed)`);
  if (score < thresholds.minScore) failures.push(`score ${score} is below the minimum ${thresholds.minScore}`);

  return {
    root: registry.root,
    registryFile: registry.file,
    files: { scanned, source: scanned - test, test, withViolations },
    violations,
    byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, violations.filter((v) => v.category === c).length])) as Record<Category, number>,
    newViolations,
    score: { value: score, formula: SCORE_FORMULA },
    thresholds,
    baseline: baseline === undefined ? null : { file: baseline.file, stale: baseline.stale, written: baseline.written },
    passed: failures.length === 0,
    failures,
    durationMs: Math.round(performance.now() - started),
  };
}

function applyBaseline(
  found: Violation[],
  options: CheckOptions,
  cwd: string,
): { file: string; violations: Violation[]; stale: BaselineEntry[]; written: boolean } | undefined {
  if (options.baselineFile === undefined) return undefined;
  const file = resolve(cwd, options.baselineFile);
  if (options.updateBaseline && !existsSync(file)) {
    const entries = recordBaseline(found);
    writeBaseline(file, entries);
    return { file, ...compareWithBaseline(found, entries), written: true };
  }
  const comparison = compareWithBaseline(found, readBaseline(file));
  if (options.updateBaseline) {
    writeBaseline(file, comparison.shrunk);
    return { file, violations: comparison.violations, stale: [], written: true };
  }
  return { file, violations: comparison.violations, stale: comparison.stale, written: false };
}

function thresholdsOf(registry: Registry, options: CheckOptions): { maxViolations: number; minScore: number } {
  return {
    maxViolations: options.maxViolations ?? registry.data.check.maxViolations,
    minScore: options.minScore ?? registry.data.check.minScore,
  };
}
