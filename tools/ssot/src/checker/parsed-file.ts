import ts from 'typescript';
import type { FileContext } from '../workspace-model';
import type { Location } from './violation';

/** One scanned file: its parse and its role. */
export interface ParsedFile {
  context: FileContext;
  sourceFile: ts.SourceFile;
}

export function parseFile(context: FileContext, text: string): ParsedFile {
  const kind = context.path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return { context, sourceFile: ts.createSourceFile(context.path, text, ts.ScriptTarget.Latest, true, kind) };
}

/** The 1-based location of text[start, end) in a parsed file. */
export function locationOf(file: ParsedFile, start: number, end: number): Location {
  const from = file.sourceFile.getLineAndCharacterOfPosition(start);
  const to = file.sourceFile.getLineAndCharacterOfPosition(end);
  return { file: file.context.rel, line: from.line + 1, column: from.character + 1, endLine: to.line + 1, endColumn: to.character + 1 };
}
