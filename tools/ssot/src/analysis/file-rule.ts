import type ts from 'typescript';
import { type NodeVisitor, allNodes, isGeneratedSource, visitNodes } from './ast';
import type { Registry, RuleId } from '../registry';
import type { FileContext, WorkspaceIndex } from '../workspace-model';

/** Replace text[start, end) with `text`; offsets into the file's text. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** One violation found in one file, before it is shown by ESLint or the checker. */
export interface FileFinding {
  rule: RuleId;
  messageId: string;
  data: Record<string, string>;
  /** Offsets of the code the finding points at. */
  start: number;
  end: number;
  /** What the finding is about (a name or a specifier); with the rule and file it keys the baseline. */
  subject: string;
  /** One line saying how to fix it. */
  hint: string;
  /** Edits that fix it, when a safe fix is known. */
  fix?: TextEdit[];
}

export interface AnalysisInput {
  sourceFile: ts.SourceFile;
  file: FileContext;
  registry: Registry;
  workspace: WorkspaceIndex;
}

/**
 * One rule's pass over one file: it is handed each node of its kinds in document order (with
 * the other rules', in the same loop), then asked for what it found.
 */
export interface FileVisit extends NodeVisitor {
  findings(): FileFinding[];
}

/** A per-file rule: ESLint runs it through the plugin, the checker runs it over every file. */
export interface FileRule {
  id: RuleId;
  description: string;
  /** Message templates by id, with {{placeholders}} (ESLint's format). */
  messages: Record<string, string>;
  fixable: boolean;
  appliesTo(file: FileContext, registry: Registry): boolean;
  /** Starts the rule's pass over one file; the caller feeds it the nodes (analyzeFile does so for every rule at once). */
  visit(input: AnalysisInput): FileVisit;
  /** This rule alone over one file; `nodes` is the file's node list when the caller has it (else allNodes). */
  analyze(input: AnalysisInput, nodes?: readonly ts.Node[]): FileFinding[];
}

/** A rule from its visit: analyze() runs that visit alone over the file. */
export function defineFileRule(rule: Omit<FileRule, 'analyze'>): FileRule {
  return {
    ...rule,
    analyze(input: AnalysisInput, nodes?: readonly ts.Node[]): FileFinding[] {
      if (isGeneratedSource(input.sourceFile.text)) return [];
      const visit = rule.visit(input);
      visitNodes(nodes ?? allNodes(input.sourceFile), [visit]);
      return visit.findings();
    },
  };
}

/** Fills a message template the way ESLint does, so both front ends print the same text. */
export function formatMessage(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, key: string) => data[key] ?? whole);
}
