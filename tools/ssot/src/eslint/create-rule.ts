import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import ts from 'typescript';
import { type FileRule, ruleRunsOn } from '../analysis';
import { type SsotLintSettings, lintEnvironment } from './lint-environment';

export type SsotRuleModule = TSESLint.RuleModule<string, [], { description: string }>;

interface ParserServicesWithNodeMaps {
  esTreeNodeToTSNodeMap?: { get(node: TSESTree.Node): ts.Node | undefined };
}

/**
 * Wraps a per-file rule as an ESLint rule. The analysis runs on the TypeScript syntax tree that
 * @typescript-eslint/parser already built (or on a fresh parse under another parser), so lint
 * and the checker run the same code and report the same findings.
 */
export function createRule(rule: FileRule): SsotRuleModule {
  return {
    defaultOptions: [],
    meta: {
      type: 'problem',
      docs: { description: rule.description },
      messages: rule.messages,
      schema: [],
      ...(rule.fixable ? { fixable: 'code' as const } : {}),
    },
    create(context) {
      const settings = (context.settings as { ssot?: SsotLintSettings }).ssot;
      const { registry, workspace } = lintEnvironment(context.filename, context.cwd, settings);
      const file = workspace.fileContext(context.filename);
      if (file.excluded || !ruleRunsOn(rule, { file, registry })) return {};
      return {
        Program(program) {
          const { sourceCode } = context;
          const mapped = (sourceCode.parserServices as ParserServicesWithNodeMaps | undefined)?.esTreeNodeToTSNodeMap?.get(program);
          const sourceFile =
            mapped !== undefined && ts.isSourceFile(mapped)
              ? mapped
              : ts.createSourceFile(context.filename, sourceCode.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
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
