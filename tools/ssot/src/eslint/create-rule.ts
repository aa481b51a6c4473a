import ts from 'typescript';
import { type FileRule, ruleRunsOn } from '../analysis';
import { scriptKindOf } from '../analysis/ast';
import { type SsotLintSettings, lintEnvironment } from './lint-environment';

/*
 * The part of ESLint's rule API these rules use, declared here rather than imported from
 * @typescript-eslint/utils: the shipped .d.ts files may only name packages the manifest declares,
 * and a workspace using the plugin should not need typescript-eslint's utils for its types.
 * ESLint's own RuleModule type accepts these modules as they are.
 */

/** A position ESLint reports: line from 1, column from 0. */
export interface LintPosition {
  line: number;
  column: number;
}

export interface LintFixer {
  replaceTextRange(range: [number, number], text: string): unknown;
}

/** The rule context members the rules read. */
export interface LintRuleContext {
  readonly filename: string;
  readonly cwd: string;
  readonly settings: Record<string, unknown>;
  readonly sourceCode: {
    readonly text: string;
    readonly parserServices?: unknown;
    getLocFromIndex(index: number): LintPosition;
  };
  report(descriptor: {
    messageId: string;
    data?: Record<string, string>;
    loc: { start: LintPosition; end: LintPosition };
    fix?: ((fixer: LintFixer) => unknown) | null;
  }): void;
}

export interface SsotRuleModule {
  defaultOptions: [];
  meta: {
    type: 'problem';
    docs: { description: string };
    messages: Record<string, string>;
    schema: [];
    fixable?: 'code';
  };
  create(context: LintRuleContext): Record<string, (node: never) => void>;
}

interface ParserServicesWithNodeMaps {
  esTreeNodeToTSNodeMap?: { get(node: unknown): ts.Node | undefined };
}

/** What the rule that speaks for the plugin reports when the registry cannot be loaded. */
const REGISTRY_MESSAGE_ID = 'registryUnavailable';

/**
 * Wraps a per-file rule as an ESLint rule. The analysis runs on the TypeScript syntax tree that
 * @typescript-eslint/parser already built (or on a fresh parse under another parser), so lint
 * and the checker run the same code and report the same findings.
 */
export function createRule(rule: FileRule): SsotRuleModule {
  // One rule reports a missing or invalid registry, so a file gets one finding, not one per rule.
  const speaksForPlugin = rule.id === 'canonical-definitions';
  return {
    defaultOptions: [],
    meta: {
      type: 'problem',
      docs: { description: rule.description },
      messages: { ...rule.messages, [REGISTRY_MESSAGE_ID]: '{{problem}}' },
      schema: [],
      ...(rule.fixable ? { fixable: 'code' as const } : {}),
    },
    create(context): Record<string, (node: never) => void> {
      const settings = (context.settings as { ssot?: SsotLintSettings }).ssot;
      const environment = lintEnvironment(context.filename, context.cwd, settings);
      if ('problem' in environment) {
        // Without a registry the rules have nothing to check against; failing the whole ESLint
        // run (the previous behaviour) lost every other rule's results, so say it once instead.
        if (!speaksForPlugin) return {};
        return {
          Program() {
            const start = { line: 1, column: 0 };
            context.report({ messageId: REGISTRY_MESSAGE_ID, data: { problem: environment.problem }, loc: { start, end: start } });
          },
        };
      }
      const { registry, workspace } = environment;
      const file = workspace.fileContext(context.filename);
      if (file.excluded || !ruleRunsOn(rule, { file, registry })) return {};
      return {
        Program(program: never) {
          const { sourceCode } = context;
          const mapped = (sourceCode.parserServices as ParserServicesWithNodeMaps | undefined)?.esTreeNodeToTSNodeMap?.get(program);
          const sourceFile =
            mapped !== undefined && ts.isSourceFile(mapped)
              ? mapped
              : ts.createSourceFile(context.filename, sourceCode.text, ts.ScriptTarget.Latest, true, scriptKindOf(context.filename));
          for (const finding of rule.analyze({ sourceFile, file, registry, workspace })) {
            const edits = finding.fix;
            context.report({
              messageId: finding.messageId,
              data: finding.data,
              loc: { start: sourceCode.getLocFromIndex(finding.start), end: sourceCode.getLocFromIndex(finding.end) },
              fix: edits === undefined ? null : (fixer) => edits.map((edit) => fixer.replaceTextRange([edit.start, edit.end], edit.text)),
            });
          }
        },
      };
    },
  };
}
