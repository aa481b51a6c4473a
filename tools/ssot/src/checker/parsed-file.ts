import ts from 'typescript';
import { linkAndFlatten } from '../analysis/ast';
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
 * it lists the nodes for the rules (cheaper than the parser's own extra pass), and without
 * JSDoc, which no rule reads (comments stay trivia, so every position is the same).
 */
export function parseFile(context: FileContext, text: string): ParsedFile {
  const kind = context.path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const options: ts.CreateSourceFileOptions = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };
  const sourceFile = ts.createSourceFile(context.path, text, options, false, kind);
  return { context, sourceFile, nodes: linkAndFlatten(sourceFile) };
}

/** The 1-based location of text[start, end) in a parsed file. */
export function locationOf(file: ParsedFile, start: number, end: number): Location {
  const from = file.sourceFile.getLineAndCharacterOfPosition(start);
  const to = file.sourceFile.getLineAndCharacterOfPosition(end);
  return { file: file.context.rel, line: from.line + 1, column: from.character + 1, endLine: to.line + 1, endColumn: to.character + 1 };
}
