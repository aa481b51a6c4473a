import ts from 'typescript';
import { linkAndFlatten, scriptKindOf } from '../analysis/ast';
import type { FileContext } from '../workspace-model';
import type { Location } from './violation';

/** One scanned file: its parse, every node of it (depth first) and its role. */
export interface ParsedFile {
  context: FileContext;
  sourceFile: ts.SourceFile;
  nodes: readonly ts.Node[];
}

/**
 * Parses a file the way the rules need it: with parent pointers, which linkAndFlatten sets while
 * it lists the nodes for the rules (cheaper than the parser's own extra pass), and without the
 * JSDoc of TypeScript files, which no rule reads (comments stay trivia, so every position is the
 * same). A JavaScript file's JSDoc is its types (`@type`, `@param`): the type pass's Program
 * reads them from this tree.
 */
export function parseFile(context: FileContext, text: string): ParsedFile {
  const options: ts.CreateSourceFileOptions = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseForTypeInfo };
  const sourceFile = ts.createSourceFile(context.path, text, options, false, scriptKindOf(context.path));
  return { context, sourceFile, nodes: linkAndFlatten(sourceFile) };
}

/**
 * The first syntax error of a parsed file, if any. The parser keeps them on the SourceFile
 * (`parseDiagnostics`, not part of the public typings but present in every TypeScript 5
 * release); reading them costs nothing, where a second parse or a Program would.
 */
export function firstSyntaxError(file: ParsedFile): { start: number; end: number; message: string } | undefined {
  const diagnostics = (file.sourceFile as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics;
  const first = diagnostics?.[0];
  if (diagnostics === undefined || first === undefined) return undefined;
  return {
    start: first.start,
    end: first.start + first.length,
    message: `TS${first.code}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}${diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : ''}`,
  };
}

/** The 1-based location of text[start, end) in a parsed file. */
export function locationOf(file: ParsedFile, start: number, end: number): Location {
  const from = file.sourceFile.getLineAndCharacterOfPosition(start);
  const to = file.sourceFile.getLineAndCharacterOfPosition(end);
  return { file: file.context.rel, line: from.line + 1, column: from.character + 1, endLine: to.line + 1, endColumn: to.character + 1 };
}
