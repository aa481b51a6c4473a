import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type TextEdit, formatMessage, forbiddenImports, ruleRunsOn } from '../analysis';
import { locationOf, parseFile } from '../checker/parsed-file';
import { findRegistryFile, loadRegistry } from '../registry';
import { WorkspaceIndex } from '../workspace-model';

export interface MigrateOptions {
  /** Where to start looking for ssot.config.json (default: the current folder). */
  cwd?: string;
  configFile?: string;
  /** Report what would change without writing. */
  dryRun?: boolean;
}

export interface MigratedFile {
  file: string;
  imports: number;
}

export interface UnfixedImport {
  file: string;
  line: number;
  column: number;
  message: string;
  hint: string;
}

export interface MigrateResult {
  root: string;
  dryRun: boolean;
  filesScanned: number;
  /** Files whose imports were (or, in a dry run, would be) rewritten. */
  changed: MigratedFile[];
  importsChanged: number;
  /** Bad imports with no safe automatic rewrite. */
  unfixed: UnfixedImport[];
}

/**
 * Rewrites every import through a forbidden or deprecated specifier, every deep import and
 * every cross-package relative import that has a safe rewrite, using the same plans as
 * `eslint --fix`. Only the import statements change; running it again changes nothing.
 */
export function runMigrate(options: MigrateOptions = {}): MigrateResult {
  const cwd = resolve(options.cwd ?? process.cwd());
  const registry = loadRegistry(options.configFile === undefined ? findRegistryFile(cwd) : resolve(cwd, options.configFile));
  const workspace = WorkspaceIndex.load(registry);
  const dryRun = options.dryRun ?? false;
  const files = workspace.sourceFiles();
  const changed: MigratedFile[] = [];
  const unfixed: UnfixedImport[] = [];

  for (const path of files) {
    const original = readFileSync(path, 'utf8');
    const context = workspace.fileContext(path);
    if (!ruleRunsOn(forbiddenImports, { file: context, registry })) continue;
    let text = original;
    let imports = 0;
    let fileUnfixed: UnfixedImport[] = [];
    // The passes of `eslint --fix`: each pass applies the fixes that do not overlap an earlier
    // one, then the file is analysed again; a rewrite that joins another import waits for the
    // next pass when that import is being rewritten too. Same passes, same output as ESLint.
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      const parsed = parseFile(context, text);
      const findings = forbiddenImports.analyze({ sourceFile: parsed.sourceFile, file: context, registry, workspace }, parsed.nodes);
      fileUnfixed = findings
        .filter((finding) => finding.fix === undefined)
        .map((finding) => {
          const location = locationOf(parsed, finding.start, finding.end);
          const message = formatMessage(forbiddenImports.messages[finding.messageId] ?? finding.messageId, finding.data);
          return { file: location.file, line: location.line, column: location.column, message, hint: finding.hint };
        });
      const fixes = findings.flatMap((finding) => (finding.fix === undefined ? [] : [mergeFix(text, finding.fix)]));
      if (fixes.length === 0) break;
      const { output, applied } = applyFixes(text, fixes);
      text = output;
      imports += applied;
    }
    unfixed.push(...fileUnfixed);
    if (imports === 0) continue;
    if (!dryRun) writeFileSync(path, text);
    changed.push({ file: context.rel, imports });
  }
  return { root: registry.root, dryRun, filesScanned: files.length, changed, importsChanged: changed.reduce((sum, f) => sum + f.imports, 0), unfixed };
}

/** ESLint's limit on fix passes per file. */
const MAX_PASSES = 10;

/** One finding's edits as one replacement of the span they cover, as ESLint merges a fix's parts. */
function mergeFix(text: string, edits: readonly TextEdit[]): TextEdit {
  const start = Math.min(...edits.map((edit) => edit.start));
  const end = Math.max(...edits.map((edit) => edit.end));
  const shifted = edits.map((edit) => ({ start: edit.start - start, end: edit.end - start, text: edit.text }));
  return { start, end, text: applyEdits(text.slice(start, end), shifted) };
}

/** Applies fixes in order of position, skipping any that overlaps one already applied (ESLint's rule). */
function applyFixes(text: string, fixes: readonly TextEdit[]): { output: string; applied: number } {
  const sorted = [...fixes].sort((a, b) => a.start - b.start || a.end - b.end);
  let output = '';
  let lastEnd = Number.NEGATIVE_INFINITY;
  let applied = 0;
  for (const fix of sorted) {
    if (lastEnd >= fix.start) continue;
    output += text.slice(Math.max(0, lastEnd), fix.start) + fix.text;
    lastEnd = fix.end;
    applied += 1;
  }
  return { output: output + text.slice(Math.max(0, lastEnd)), applied };
}

/** Applies non-overlapping edits from the end of the text backwards, so earlier offsets stay valid. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let result = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const edit of sorted) {
    if (edit.end > limit) throw new RangeError(`overlapping edits at ${edit.start}..${edit.end}`);
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
    limit = edit.start;
  }
  return result;
}

export function formatMigrateReport(result: MigrateResult): string {
  const verb = result.dryRun ? 'would change' : 'changed';
  const lines = [
    `agentwire-ssot migrate${result.dryRun ? ' (dry run)' : ''}: ${result.importsChanged} import${result.importsChanged === 1 ? '' : 's'} in ${result.changed.length} file${result.changed.length === 1 ? '' : 's'} ${verb} (${result.filesScanned} files scanned)`,
  ];
  for (const file of result.changed) lines.push(`  ${file.file}: ${file.imports} import${file.imports === 1 ? '' : 's'}`);
  if (result.unfixed.length > 0) {
    lines.push('', `${result.unfixed.length} import${result.unfixed.length === 1 ? '' : 's'} need a hand:`);
    for (const item of result.unfixed) lines.push(`  ${item.file}:${item.line}:${item.column}  ${item.message}`, `      fix: ${item.hint}`);
  }
  return `${lines.join('\n')}\n`;
}
