import ts from 'typescript';
import type { Concept } from '../registry';
import { unwrap } from './ast';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';

/** Classes (whose names shadow imports), `new` expressions and heritage clauses. */
const VISITED_KINDS: readonly ts.SyntaxKind[] = [
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.NewExpression,
  ts.SyntaxKind.HeritageClause,
  ts.SyntaxKind.CallExpression,
  ts.SyntaxKind.VariableDeclaration,
];

/**
 * `new X(...)` (or `class Y extends X`) of a factory-only class or one of its aliases outside
 * the owner package. Follows renamed imports (`import { X as Y }`) and namespace members
 * (`new ns.X()`); a class the file declares itself under that name is left to
 * canonical-definitions, which reports the declaration.
 */
export const factoryOnly: FileRule = defineFileRule({
  id: 'factory-only',
  description: 'Factory-only classes are created by their factory, never with new outside their owner package',
  messages: {
    construct: "{{name}} is factory-only: get it from {{factory}} ('{{entry}}'), never with new",
    reflect: "{{route}} constructs factory-only {{name}} without new: get it from {{factory}} ('{{entry}}')",
    extend: "class {{child}} extends factory-only {{name}}, which bypasses {{factory}}: use the instance {{factory}} gives ('{{entry}}')",
  },
  fixable: false,
  appliesTo: () => true,
  visit({ sourceFile, file, registry }: AnalysisInput): FileVisit {
    const importedAs = new Map<string, string>();
    const declaredHere = new Set<string>();
    for (const statement of sourceFile.statements) {
      const bindings = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : undefined;
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) importedAs.set(element.name.text, (element.propertyName ?? element.name).text);
      }
    }
    // Whether a name is a class of this file is known only once every class is seen, so the
    // `new` expressions and extends clauses are kept and resolved at the end.
    const candidates: (ts.NewExpression | ts.HeritageClause | ts.CallExpression)[] = [];
    // `const Ctor = UnifiedWebSocketManager` (at any depth): a later `new Ctor()` is the same construction
    const aliases = new Map<string, ts.Expression>();

    const resolve = (expression: ts.Expression, seen: ReadonlySet<string> = new Set()): { name: string; concept: Concept } | undefined => {
      const callee = unwrap(expression);
      let name: string | undefined;
      if (ts.isIdentifier(callee) && aliases.has(callee.text) && !seen.has(callee.text)) {
        const aliased = aliases.get(callee.text);
        return aliased === undefined ? undefined : resolve(aliased, new Set([...seen, callee.text]));
      }
      if (ts.isIdentifier(callee)) {
        const imported = importedAs.get(callee.text);
        if (imported === undefined && declaredHere.has(callee.text)) return undefined;
        name = imported ?? callee.text;
      } else if (ts.isPropertyAccessExpression(callee)) {
        name = callee.name.text;
      } else if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) {
        name = callee.argumentExpression.text;
      }
      const concept = name === undefined ? undefined : registry.factoryOnly(name);
      return name === undefined || concept === undefined || file.pkg?.name === concept.owner ? undefined : { name, concept };
    };

    const findings: FileFinding[] = [];
    const report = (node: ts.Node, messageId: string, target: { name: string; concept: Concept }, extra: Record<string, string> = {}): void => {
      const factory = target.concept.factory ?? '';
      const entry = registry.entryOf(target.concept);
      findings.push({
        rule: 'factory-only',
        messageId,
        data: { name: target.name, factory, entry, ...extra },
        start: node.getStart(sourceFile),
        end: node.getEnd(),
        subject: target.concept.name ?? target.name,
        hint: target.concept.fix ?? `use ${factory} from '${entry}'`,
      });
    };
    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isClassLike(node)) {
          if (node.name !== undefined) declaredHere.add(node.name.text);
        } else if (ts.isVariableDeclaration(node)) {
          const value = node.initializer === undefined ? undefined : unwrap(node.initializer);
          if (ts.isIdentifier(node.name) && value !== undefined && (ts.isIdentifier(value) || ts.isPropertyAccessExpression(value))) aliases.set(node.name.text, value);
        } else if (ts.isCallExpression(node)) {
          if (reflectiveTarget(node) !== undefined) candidates.push(node);
        } else if (ts.isNewExpression(node) || (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(node.parent))) {
          candidates.push(node);
        }
      },
      findings() {
        for (const node of candidates) {
          if (ts.isNewExpression(node)) {
            const target = resolve(node.expression);
            if (target) report(node, 'construct', target);
          } else if (ts.isCallExpression(node)) {
            const reflective = reflectiveTarget(node);
            const target = reflective === undefined ? undefined : resolve(reflective.target);
            if (reflective !== undefined && target) report(node, 'reflect', target, { route: reflective.route });
          } else if (ts.isClassLike(node.parent)) {
            for (const type of node.types) {
              const target = resolve(type.expression);
              if (target) report(type, 'extend', target, { child: node.parent.name?.text ?? '(anonymous)' });
            }
          }
        }
        return findings;
      },
    };
  },
});

/**
 * The class a call constructs without `new`: `Reflect.construct(X, args)` and
 * `Object.create(X.prototype)` (an instance that skipped the factory and the constructor alike).
 */
function reflectiveTarget(node: ts.CallExpression): { target: ts.Expression; route: string } | undefined {
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
  const [first] = node.arguments;
  if (first === undefined) return undefined;
  const route = `${callee.expression.text}.${callee.name.text}`;
  if (route === 'Reflect.construct') return { target: first, route };
  const prototype = unwrap(first);
  if (route === 'Object.create' && ts.isPropertyAccessExpression(prototype) && prototype.name.text === 'prototype') return { target: prototype.expression, route };
  return undefined;
}
