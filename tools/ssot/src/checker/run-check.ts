import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeFile, formatMessage, FILE_RULES, ruleRunsOn } from '../analysis';
import { isGeneratedSource } from '../analysis/ast';
import { extensionPointNames } from '../analysis/extension-points';
import { moduleReferenceOf } from '../analysis/module-references';
import { findRegistryFile, loadRegistry, type Registry } from '../registry';
import { type FileContext, WorkspaceIndex } from '../workspace-model';
import { type BaselineEntry, compareWithBaseline, readBaseline, recordBaseline, writeBaseline } from './baseline';
import { duplicateNames, structuralDuplicates } from './cross-file';
import { type TypeDeclaration, typeDeclarations } from './declarations';
import { checkDeprecatedEntryPoints } from './deprecated-entry-points';
import { type Shape, nearCopies, shapesOf } from './near-copies';
import { type ParsedFile, firstSyntaxError, locationOf, parseFile } from './parsed-file';
import { collectAliasNames, mayNeedTypes, typePass } from './type-pass';
import { CATEGORIES, type Category, type Violation, compareViolations, violationKey } from './violation';

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

  const shimPaths = new Set(registry.data.imports.flatMap((rule) => (rule.shim === undefined ? [] : [resolve(registry.root, rule.shim)])));
  const shims = new Map<string, ParsedFile>();
  const found: Violation[] = [];
  const declarations: TypeDeclaration[] = [];
  const shapes: Shape[] = [];
  const extensionPoints = extensionPointNames(registry);
  const contexts = workspace.sourceFileContexts();
  const known = new Set(contexts.map((context) => context.path));
  // Test files are analysed as source too, and what only source rules found is held back: a
  // file under a test folder that production code imports is production code, so moving code
  // there must not hide its findings (decided once every file's imports are known).
  const importsOf = new Map<string, string[]>();
  const heldBack = new Map<string, { violations: Violation[]; declarations: TypeDeclaration[] }>();
  let scanned = 0;
  // the trees the type checker's Program may need stay (it is built from them instead of parsing those files again)
  const parsed = new Map<string, ParsedFile>();
  const aliasNames = new Set<string>();
  const minMembers = registry.data.check.structuralMinMembers;
  for (const context of contexts) {
    const file = parseFile(context, readFileSync(context.path, 'utf8'));
    if (mayNeedTypes(file, minMembers)) parsed.set(context.path, file);
    collectAliasNames(file, aliasNames);
    scanned += 1;
    if (shimPaths.has(context.path)) shims.set(context.path, file);
    importsOf.set(context.path, relativeImports(file, known));
    const syntaxError = firstSyntaxError(file);
    if (syntaxError !== undefined) {
      // a broken file is scanned as far as the parser recovers; saying so keeps a silent miss from reading as clean
      const location = locationOf(file, syntaxError.start, syntaxError.end);
      found.push({
        ...location,
        category: 'syntax-errors',
        message: `${context.rel} does not parse (${syntaxError.message}): findings in it may be missing`,
        hint: 'fix the syntax error, or exclude the file in the registry (workspace.exclude) if it is broken on purpose',
        subject: 'syntax',
        key: violationKey('syntax-errors', location.file, 'syntax'),
        fixable: false,
        baselined: false,
        related: [],
      });
    }
    const asSource = context.role === 'test' ? { ...context, role: 'source' as const } : context;
    const held: Violation[] = [];
    for (const finding of analyzeFile({ sourceFile: file.sourceFile, file: asSource, registry, workspace }, file.nodes)) {
      const location = locationOf(file, finding.start, finding.end);
      const rule = FILE_RULES.find((r) => r.id === finding.rule);
      const violation: Violation = {
        ...location,
        category: finding.rule,
        message: formatMessage(rule?.messages[finding.messageId] ?? finding.messageId, finding.data),
        hint: finding.hint,
        subject: finding.subject,
        key: violationKey(finding.rule, location.file, finding.subject),
        fixable: finding.fix !== undefined,
        baselined: false,
        related: [],
      };
      if (context.role === 'test' && rule !== undefined && !ruleRunsOn(rule, { file: context, registry })) held.push(violation);
      else found.push(violation);
    }
    const generated = isGeneratedSource(file.sourceFile.text);
    const fileDeclarations = generated ? [] : typeDeclarations(file);
    // a drifted mock lives in a test file: near copies are looked for in every file
    if (!generated) shapes.push(...shapesOf(file, extensionPoints));
    if (context.role === 'source') declarations.push(...fileDeclarations);
    else heldBack.set(context.path, { violations: held, declarations: fileDeclarations });
  }
  const promoted = importedBySource(contexts, importsOf);
  for (const [path, held] of heldBack) {
    if (!promoted.has(path)) continue;
    found.push(...held.violations);
    declarations.push(...held.declarations);
  }
  const test = contexts.filter((context) => context.role === 'test' && !promoted.has(context.path)).length;
  found.push(...duplicateNames(declarations, registry));
  found.push(...structuralDuplicates(declarations, registry, registry.data.check.structuralMinMembers));
  found.push(...nearCopies(shapes, registry, registry.data.check.nearCopyThreshold, registry.data.check.structuralMinMembers));
  found.push(...checkDeprecatedEntryPoints(registry, workspace, shims));
  const byPath = new Map(contexts.map((context) => [context.path, context]));
  const parse = (path: string): ParsedFile => {
    const context = byPath.get(path) ?? workspace.fileContext(path);
    return parseFile(context, readFileSync(path, 'utf8'));
  };
  found.push(...typePass({ registry, workspace, files: parsed, known, parse, aliasNames, shapes, found }));
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

/** Extensions a relative specifier may leave out, and the TypeScript files a `.js` specifier stands for. */
const RESOLVE_SUFFIXES = ['', '.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'];

/** The scanned files a file imports by relative path (imports, re-exports, require, import(), mocks). */
function relativeImports(file: ParsedFile, known: ReadonlySet<string>): string[] {
  const targets: string[] = [];
  for (const node of file.nodes) {
    const reference = moduleReferenceOf(node);
    if (reference === undefined || !reference.specifier.text.startsWith('.')) continue;
    const base = resolve(dirname(file.context.path), reference.specifier.text);
    const stem = base.replace(/\.[cm]?jsx?$/, '');
    const hit = [...RESOLVE_SUFFIXES.map((suffix) => base + suffix), ...RESOLVE_SUFFIXES.slice(1).map((suffix) => stem + suffix)].find((path) => known.has(path));
    if (hit !== undefined) targets.push(hit);
  }
  return targets;
}

/** Test-role files that non-test files import, directly or through other such files. */
function importedBySource(contexts: readonly FileContext[], importsOf: ReadonlyMap<string, readonly string[]>): Set<string> {
  const role = new Map(contexts.map((context) => [context.path, context.role]));
  const promoted = new Set<string>();
  const queue = contexts.filter((context) => context.role === 'source').map((context) => context.path);
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const target of importsOf.get(path) ?? []) {
      if (role.get(target) !== 'test' || promoted.has(target)) continue;
      promoted.add(target);
      queue.push(target);
    }
  }
  return promoted;
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
