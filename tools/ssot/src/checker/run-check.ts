import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { extensionPointNames } from '../analysis/extension-points';
import { NoPackagesError } from '../errors';
import { findRegistryFile, loadRegistry, type Registry } from '../registry';
import { type FileContext, WorkspaceIndex } from '../workspace-model';
import { type BaselineEntry, compareWithBaseline, readBaseline, recordBaseline, writeBaseline } from './baseline';
import { duplicateNames, structuralDuplicates } from './cross-file';
import type { TypeDeclaration } from './declarations';
import { checkDeprecatedEntryPoints } from './deprecated-entry-points';
import { type Shape, nearCopies } from './near-copies';
import { type ParsedFile, parseFile } from './parsed-file';
import { type FileScan, type ProductionScan, type ScanSetup, productionScan, scanFile } from './scan-file';
import { type TypeCandidates, typePass } from './type-pass';
import { CATEGORIES, type Category, type Violation, compareViolations } from './violation';

/** How the score is computed; printed in the text report and carried in the JSON. */
export const SCORE_FORMULA =
  'score = 100 * K / (K + violations), K = check.scoreScale (default 10: that many violations halve it), rounded down to one decimal; ' +
  'every violation counts, baselined ones included, before any display limit; files play no part, so adding, splitting or moving files cannot raise it';

/**
 * The score depends on the violations alone. A ratio over files (the first formula) rose when
 * clean files were added or a file was split, and fell back to the same count when they were
 * removed: only fixing should move it. Monotone: one violation fewer always raises it.
 */
export function scoreOf(violations: number, scale: number): number {
  return Math.floor((1000 * scale) / (scale + violations)) / 10;
}

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
  if (workspace.packages.length === 0) throw new NoPackagesError(registry.root);

  const shimPaths = new Set(registry.data.imports.flatMap((rule) => (rule.shim === undefined ? [] : [resolve(registry.root, rule.shim)])));
  const contexts = workspace.sourceFileContexts();
  const known = new Set(contexts.map((context) => context.path));
  const setup: ScanSetup = { registry, workspace, known, extensionPoints: extensionPointNames(registry) };
  // One tree at a time: a scan keeps plain data only, and the few files the type pass and the
  // promoted test files need are parsed again. Keeping their trees from the scan cost more in
  // garbage collection than the second parse (Prisma Next: 161 trees kept, the run 5% slower).
  const parse = (context: FileContext): ParsedFile => parseFile(context, readFileSync(context.path, 'utf8'));
  const scans = contexts.map((context) => scanFile(setup, parse(context)));

  const byPath = new Map(contexts.map((context) => [context.path, context]));
  const parseAgain = (path: string): ParsedFile => parse(byPath.get(path) ?? workspace.fileContext(path));
  const production = promoteTestFiles(contexts, scans, (path) => productionScan(setup, parseAgain(path)));

  // merged in the files' order, whatever order they were scanned or promoted in
  const found: Violation[] = [];
  const declarations: TypeDeclaration[] = [];
  const shapes: Shape[] = [];
  const candidates: TypeCandidates[] = [];
  const aliasNames = new Set<string>();
  contexts.forEach((context, index) => {
    const scan = scans[index] as FileScan;
    candidates.push(scan.candidates);
    for (const name of scan.aliasNames) aliasNames.add(name);
    found.push(...scan.violations);
    shapes.push(...scan.shapes);
    if (context.role === 'source') declarations.push(...(production.get(context.path)?.declarations ?? []));
  });
  const scanned = contexts.length;
  let promoted = 0;
  for (const context of contexts) {
    const scan = context.role === 'test' ? production.get(context.path) : undefined;
    if (scan === undefined) continue;
    promoted += 1;
    found.push(...scan.violations);
    declarations.push(...scan.declarations);
  }
  const test = contexts.filter((context) => context.role === 'test').length - promoted;
  found.push(...duplicateNames(declarations, registry));
  const structural = structuralDuplicates(declarations, registry, registry.data.check.structuralMinMembers);
  found.push(...structural);
  found.push(...nearCopies(shapes, registry, registry.data.check.nearCopyThreshold, registry.data.check.structuralMinMembers, new Set(structural.map((v) => v.subject))));
  const shims = new Map(contexts.filter((context) => shimPaths.has(context.path)).map((context) => [context.path, parse(context)]));
  found.push(...checkDeprecatedEntryPoints(registry, workspace, shims));
  found.push(...typePass({ registry, workspace, known, parse: parseAgain, aliasNames, shapes, candidates, found }));
  found.sort(compareViolations);

  const baseline = applyBaseline(found, options, cwd);
  const violations = baseline?.violations ?? found;
  const withViolations = Math.min(scanned, new Set(violations.map((v) => v.file)).size);
  const score = scoreOf(violations.length, registry.data.check.scoreScale);
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

/**
 * Every file's production scan by path: the source files' from their scans, and the test files
 * that source files import, directly or through other such files (each scanned as production
 * code when first reached: only then are its own imports known).
 */
function promoteTestFiles(contexts: readonly FileContext[], scans: readonly FileScan[], scanPromoted: (path: string) => ProductionScan): Map<string, ProductionScan> {
  const role = new Map(contexts.map((context) => [context.path, context.role]));
  const production = new Map<string, ProductionScan>();
  contexts.forEach((context, index) => {
    const scan = scans[index]?.production;
    if (scan !== undefined) production.set(context.path, scan);
  });
  const queue = contexts.filter((context) => context.role === 'source').map((context) => context.path);
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const target of production.get(path)?.imports ?? []) {
      if (role.get(target) !== 'test' || production.has(target)) continue;
      production.set(target, scanPromoted(target));
      queue.push(target);
    }
  }
  return production;
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
