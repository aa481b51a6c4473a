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
    const text = readFileSync(path, 'utf8');
    const parsed = parseFile(workspace.fileContext(path), text);
    const input = { sourceFile: parsed.sourceFile, file: parsed.context, registry, workspace };
    if (!ruleRunsOn(forbiddenImports, input)) continue;
    const edits: TextEdit[] = [];
    let imports = 0;
    for (const finding of forbiddenImports.analyze(input, parsed.nodes)) {
      if (finding.fix === undefined) {
        const location = locationOf(parsed, finding.start, finding.end);
        const message = formatMessage(forbiddenImports.messages[finding.messageId] ?? finding.messageId, finding.data);
        unfixed.push({ file: location.file, line: location.line, column: location.column, message, hint: finding.hint });
      } else {
        edits.push(...finding.fix);
        imports += 1;
      }
    }
    if (imports === 0) continue;
    const rewritten = applyEdits(text, edits);
    if (!dryRun) writeFileSync(path, rewritten);
    changed.push({ file: parsed.context.rel, imports });
  }
  return { root: registry.root, dryRun, filesScanned: files.length, changed, importsChanged: changed.reduce((sum, f) => sum + f.imports, 0), unfixed };
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
