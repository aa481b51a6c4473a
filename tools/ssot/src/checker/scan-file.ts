import ts from 'typescript';
import { type FileRule, analyzeFile, formatMessage, FILE_RULES, ruleRunsOn } from '../analysis';
import { isGeneratedSource } from '../analysis/ast';
import { MODULE_REFERENCE_KINDS, moduleReferenceOf } from '../analysis/module-references';
import type { Registry } from '../registry';
import type { WorkspaceIndex } from '../workspace-model';
import { type TypeDeclaration, typeDeclarations } from './declarations';
import { type Shape, shapesOf } from './near-copies';
import { type ParsedFile, firstSyntaxError, locationOf } from './parsed-file';
import { type TypeCandidates, collectAliasNames, resolveRelative, typeCandidates } from './type-pass';
import { type Violation, violationKey } from './violation';

/** What a scan of the whole workspace needs to scan one file. */
export interface ScanSetup {
  registry: Registry;
  workspace: WorkspaceIndex;
  /** Every scanned file's path. */
  known: ReadonlySet<string>;
  extensionPoints: ReadonlySet<string>;
}

/**
 * Everything the checker keeps of one file: plain data, no syntax tree, so the scan holds one
 * tree at a time (and the few the type pass starts from). Merged in the files' order, these give
 * the same report whatever order the files were scanned in.
 */
export interface FileScan {
  /** exportedAliasNames of the file (collectAliasNames). */
  aliasNames: string[];
  /** Findings that stand whatever the file's role: a syntax error first, then the findings of the rules that run on its role. */
  violations: Violation[];
  shapes: Shape[];
  /** What the type pass may ask the checker about in this file. */
  candidates: TypeCandidates;
  /**
   * What counts only in production code: a source file's at once; a test file's is undefined
   * until production code imports it (productionScan), which most test files never are.
   */
  production: ProductionScan | undefined;
}

/** What only production code contributes: its imports (which promote the test files they reach), its type declarations, the source-only rules' findings. */
export interface ProductionScan {
  /** The scanned files it imports (importedFiles). */
  imports: string[];
  declarations: TypeDeclaration[];
  /** A promoted test file's findings of the rules that run on source files only (a source file's are in FileScan.violations). */
  violations: Violation[];
}

/** Scans one parsed file: the rules that run on its role, its shapes and type-pass candidates, and for a source file what production code contributes. */
export function scanFile(setup: ScanSetup, file: ParsedFile): FileScan {
  const { registry } = setup;
  const { context } = file;
  const aliasNames = new Set<string>();
  collectAliasNames(file, aliasNames);
  const violations: Violation[] = [];
  const syntaxError = firstSyntaxError(file);
  if (syntaxError !== undefined) {
    // a broken file is scanned as far as the parser recovers; saying so keeps a silent miss from reading as clean
    const location = locationOf(file, syntaxError.start, syntaxError.end);
    violations.push({
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
  // A test file is analysed as source by the rules that run on tests; the source-only rules wait
  // for productionScan: a file under a test folder that production code imports is production
  // code, so moving code there must not hide its findings (decided once the imports are known).
  const rules = context.role === 'test' ? FILE_RULES.filter((rule) => ruleRunsOn(rule, { file: context, registry })) : FILE_RULES;
  violations.push(...ruleViolations(setup, file, rules));
  const generated = isGeneratedSource(file.sourceFile.text);
  return {
    aliasNames: [...aliasNames],
    violations,
    // a drifted mock lives in a test file: near copies are looked for in every file
    shapes: generated ? [] : shapesOf(file, setup.extensionPoints),
    candidates: typeCandidates(file, registry, setup.workspace),
    production: context.role === 'test' ? undefined : { imports: importedFiles(file, setup.known, setup.workspace), declarations: generated ? [] : typeDeclarations(file), violations: [] },
  };
}

/** What a test file that production code imports contributes as production code: its imports, declarations and the source-only rules' findings. */
export function productionScan(setup: ScanSetup, file: ParsedFile): ProductionScan {
  const { context } = file;
  const sourceOnly = FILE_RULES.filter((rule) => !ruleRunsOn(rule, { file: context, registry: setup.registry }));
  return {
    imports: importedFiles(file, setup.known, setup.workspace),
    declarations: isGeneratedSource(file.sourceFile.text) ? [] : typeDeclarations(file),
    violations: ruleViolations(setup, file, sourceOnly),
  };
}

/** The findings of these rules in one file, as violations; a test file is analysed as source. */
function ruleViolations(setup: ScanSetup, file: ParsedFile, rules: readonly FileRule[]): Violation[] {
  const { registry, workspace } = setup;
  const { context } = file;
  const asSource = context.role === 'test' ? { ...context, role: 'source' as const } : context;
  return analyzeFile({ sourceFile: file.sourceFile, file: asSource, registry, workspace }, file.nodes, rules).map((finding) => {
    const location = locationOf(file, finding.start, finding.end);
    const rule = FILE_RULES.find((r) => r.id === finding.rule);
    return {
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
  });
}

/** MODULE_REFERENCE_KINDS by kind: one lookup per node instead of a call. */
const REFERENCE_KINDS: readonly boolean[] = Array.from({ length: ts.SyntaxKind.Count }, (_, kind) => MODULE_REFERENCE_KINDS.includes(kind));

/** A file name with a script extension (a package.json target names one; a tsconfig `paths` target may leave it out). */
const EXTENSION = /\.(d\.)?[cm]?[jt]sx?$/;

/** A target that names its extension: the file itself, or the TypeScript source beside the JavaScript it names (`./src/x.js` → `./src/x.ts`). */
function knownTarget(target: string, known: ReadonlySet<string>): string | undefined {
  if (known.has(target)) return target;
  const source = target.replace(/\.([cm]?)js(x?)$/, '.$1ts$2');
  return source !== target && known.has(source) ? source : undefined;
}

/**
 * The scanned files a file imports (imports, re-exports, require, import(), mocks): by relative
 * path, by a workspace package's name through its `exports`, by a `#name` of its package's
 * `imports`, or through the root tsconfig's `paths` (a test file that production code reaches
 * by any of these is production code).
 */
function importedFiles(file: ParsedFile, known: ReadonlySet<string>, workspace: WorkspaceIndex): string[] {
  const targets: string[] = [];
  for (const node of file.nodes) {
    if (!REFERENCE_KINDS[node.kind]) continue;
    const reference = moduleReferenceOf(node);
    if (reference === undefined) continue;
    const specifier = reference.specifier.text;
    if (specifier.startsWith('.')) {
      const hit = resolveRelative(file.context.path, specifier, known);
      if (hit !== undefined) targets.push(hit);
      continue;
    }
    for (const candidate of workspace.specifierTargets(specifier, file.context.pkg)) {
      const hit = knownTarget(candidate, known) ?? (EXTENSION.test(candidate) ? undefined : resolveRelative(file.context.path, candidate, known));
      if (hit !== undefined) targets.push(hit);
    }
  }
  return targets;
}
