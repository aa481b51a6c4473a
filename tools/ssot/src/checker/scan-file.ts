import ts from 'typescript';
import { analyzeFile, formatMessage, FILE_RULES, ruleRunsOn } from '../analysis';
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
  /** The scanned files it imports (importedFiles). */
  imports: string[];
  /** Findings that stand whatever the file's role: a syntax error first, then the rules' findings. */
  violations: Violation[];
  /** A test file's findings of source-only rules: reported only if production code imports the file. */
  heldBack: Violation[];
  declarations: TypeDeclaration[];
  shapes: Shape[];
  /** What the type pass may ask the checker about in this file. */
  candidates: TypeCandidates;
}

/** Scans one parsed file: every rule, its type declarations and shapes, its imports. */
export function scanFile(setup: ScanSetup, file: ParsedFile): FileScan {
  const { registry, workspace } = setup;
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
  // Test files are analysed as source too, and what only source rules found is held back: a
  // file under a test folder that production code imports is production code, so moving code
  // there must not hide its findings (decided once every file's imports are known).
  const asSource = context.role === 'test' ? { ...context, role: 'source' as const } : context;
  const heldBack: Violation[] = [];
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
    if (context.role === 'test' && rule !== undefined && !ruleRunsOn(rule, { file: context, registry })) heldBack.push(violation);
    else violations.push(violation);
  }
  const generated = isGeneratedSource(file.sourceFile.text);
  return {
    aliasNames: [...aliasNames],
    imports: importedFiles(file, setup.known, workspace),
    violations,
    heldBack,
    declarations: generated ? [] : typeDeclarations(file),
    // a drifted mock lives in a test file: near copies are looked for in every file
    shapes: generated ? [] : shapesOf(file, setup.extensionPoints),
    candidates: typeCandidates(file, registry, workspace),
  };
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
