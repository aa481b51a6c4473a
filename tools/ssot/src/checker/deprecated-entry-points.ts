import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { unwrap } from '../analysis/ast';
import type { ImportRule, Registry } from '../registry';
import type { WorkspaceIndex } from '../workspace-model';
import { type ParsedFile, locationOf, parseFile } from './parsed-file';
import { type Location, type Violation, violationKey } from './violation';

const CATEGORY = 'deprecated-entry-points';

/**
 * Each deprecated entry the registry keeps for migration must be served by its shim, which
 * marks every export `@deprecated` (so editors and type-aware lint show it at the use site)
 * and calls process.emitWarning(…, DeprecationWarning) at module level, which runs once per
 * process because Node caches the module.
 */
export function checkDeprecatedEntryPoints(registry: Registry, workspace: WorkspaceIndex, parsed: ReadonlyMap<string, ParsedFile>): Violation[] {
  const violations: Violation[] = [];
  for (const rule of registry.data.imports) {
    if (rule.status !== 'deprecated' || rule.shim === undefined) continue;
    const path = join(registry.root, rule.shim);
    if (!existsSync(path)) {
      const file = workspace.fileContext(registry.file).rel;
      violations.push(violation({ file, line: 1, column: 1, endLine: 1, endColumn: 1 }, rule, `deprecated entry '${rule.specifier}' names the shim ${rule.shim}, which does not exist`, 'create the shim or drop the entry from the registry'));
      continue;
    }
    const shim = parsed.get(path) ?? parseFile(workspace.fileContext(path), readFileSync(path, 'utf8'));
    violations.push(...checkShim(shim, rule));
  }
  return violations;
}

function checkShim(shim: ParsedFile, rule: ImportRule): Violation[] {
  const { sourceFile } = shim;
  const problems: Violation[] = [];
  const exports = sourceFile.statements.filter(isExportStatement);
  for (const statement of exports) {
    if (!hasDeprecatedJsDoc(statement, sourceFile)) {
      problems.push(
        violation(
          locationOf(shim, statement.getStart(sourceFile), statement.getStart(sourceFile)),
          rule,
          `this export of deprecated entry '${rule.specifier}' has no @deprecated JSDoc`,
          `add /** @deprecated import from '${rule.replacement ?? 'the canonical entry'}' */`,
        ),
      );
    }
  }
  if (exports.length === 0) {
    problems.push(violation(locationOf(shim, 0, 0), rule, `the shim of deprecated entry '${rule.specifier}' exports nothing`, 're-export the canonical symbol'));
  }
  if (!sourceFile.statements.some(isDeprecationWarning)) {
    problems.push(
      violation(
        locationOf(shim, 0, 0),
        rule,
        `the shim of deprecated entry '${rule.specifier}' does not emit a DeprecationWarning when loaded`,
        "call process.emitWarning(message, { type: 'DeprecationWarning', code }) at module level",
      ),
    );
  }
  return problems;
}

function isExportStatement(statement: ts.Statement): boolean {
  if (ts.isExportDeclaration(statement) || ts.isExportAssignment(statement)) return true;
  return ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function hasDeprecatedJsDoc(statement: ts.Statement, sourceFile: ts.SourceFile): boolean {
  const ranges = ts.getLeadingCommentRanges(sourceFile.text, statement.pos) ?? [];
  return ranges.some((range) => {
    const comment = sourceFile.text.slice(range.pos, range.end);
    return comment.startsWith('/**') && /@deprecated\b/.test(comment);
  });
}

/** process.emitWarning(msg, 'DeprecationWarning', …) or process.emitWarning(msg, { type: 'DeprecationWarning', … }) as a statement. */
function isDeprecationWarning(statement: ts.Statement): boolean {
  if (!ts.isExpressionStatement(statement)) return false;
  const call = unwrap(statement.expression);
  if (!ts.isCallExpression(call)) return false;
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'emitWarning') return false;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== 'process') return false;
  const kind = call.arguments[1];
  if (kind === undefined) return false;
  if (ts.isStringLiteralLike(kind)) return kind.text === 'DeprecationWarning';
  return (
    ts.isObjectLiteralExpression(kind) &&
    kind.properties.some(
      (p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'type' && ts.isStringLiteralLike(p.initializer) && p.initializer.text === 'DeprecationWarning',
    )
  );
}

function violation(location: Location, rule: ImportRule, message: string, hint: string): Violation {
  return {
    ...location,
    category: CATEGORY,
    message,
    hint,
    subject: rule.specifier,
    key: violationKey(CATEGORY, location.file, rule.specifier),
    fixable: false,
    baselined: false,
    related: [],
  };
}
