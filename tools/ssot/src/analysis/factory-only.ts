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
  ts.SyntaxKind.BindingElement,
  ts.SyntaxKind.ImportEqualsDeclaration,
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
    handOff: "{{callee}}() constructs the class it is given, so passing factory-only {{name}} bypasses {{factory}}: get it from {{factory}} ('{{entry}}')",
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
    // `const Ctor = UnifiedWebSocketManager` (at any depth): a later `new Ctor()` is the same construction;
    // a string is a member taken by name (`const { UnifiedWebSocketManager: Ctor } = manager`, `import Ctor = manager.X`)
    const aliases = new Map<string, ts.Expression | string>();
    // calls of a name with arguments: `make(UnifiedWebSocketManager)` where make constructs its parameter
    const calls: ts.CallExpression[] = [];

    const resolve = (expression: ts.Expression, seen: ReadonlySet<string> = new Set()): { name: string; concept: Concept } | undefined => {
      const callee = unwrap(expression);
      let name: string | undefined;
      if (ts.isIdentifier(callee) && aliases.has(callee.text) && !seen.has(callee.text)) {
        const aliased = aliases.get(callee.text);
        if (typeof aliased === 'string') return factoryOnlyNamed(aliased);
        return aliased === undefined ? undefined : resolve(aliased, new Set([...seen, callee.text]));
      }
      if (ts.isIdentifier(callee)) {
        const imported = importedAs.get(callee.text);
        if (imported === undefined && declaredHere.has(callee.text)) return undefined;
        name = imported ?? callee.text;
      } else if (ts.isPropertyAccessExpression(callee)) {
        // `new X.prototype.constructor()` is `new X()`
        const prototype = callee.name.text === 'constructor' ? unwrap(callee.expression) : undefined;
        if (prototype !== undefined && ts.isPropertyAccessExpression(prototype) && prototype.name.text === 'prototype') return resolve(prototype.expression, seen);
        name = callee.name.text;
      } else if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) {
        name = callee.argumentExpression.text;
      }
      return name === undefined ? undefined : factoryOnlyNamed(name);
    };
    function factoryOnlyNamed(name: string): { name: string; concept: Concept } | undefined {
      const concept = registry.factoryOnly(name);
      return concept === undefined || file.pkg?.name === concept.owner ? undefined : { name, concept };
    }

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
          if (ts.isIdentifier(node.name) && value !== undefined && (ts.isIdentifier(value) || ts.isPropertyAccessExpression(value) || ts.isElementAccessExpression(value))) aliases.set(node.name.text, value);
        } else if (ts.isBindingElement(node)) {
          // `const { UnifiedWebSocketManager: Ctor } = manager` (or a parameter destructured so)
          const member = node.propertyName !== undefined && (ts.isIdentifier(node.propertyName) || ts.isStringLiteral(node.propertyName)) ? node.propertyName.text : undefined;
          if (member !== undefined && node.dotDotDotToken === undefined && ts.isIdentifier(node.name) && member !== node.name.text) aliases.set(node.name.text, member);
        } else if (ts.isImportEqualsDeclaration(node)) {
          const reference = node.moduleReference;
          if (ts.isIdentifier(reference)) aliases.set(node.name.text, reference);
          else if (ts.isQualifiedName(reference)) aliases.set(node.name.text, reference.right.text);
        } else if (ts.isCallExpression(node)) {
          if (reflectiveTarget(node) !== undefined) candidates.push(node);
          else if (ts.isIdentifier(node.expression) && node.arguments.length > 0) calls.push(node);
        } else if (ts.isNewExpression(node) || (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(node.parent))) {
          candidates.push(node);
        }
      },
      findings() {
        // functions of this file that construct a parameter (`const make = (C) => new C()`), by name, with the parameter's position
        const constructing = new Map<string, Set<number>>();
        for (const node of candidates) {
          if (ts.isNewExpression(node)) {
            const target = resolve(node.expression);
            if (target) report(node, 'construct', target);
            else if (calls.length > 0) noteConstructedParameter(node, constructing);
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
        if (constructing.size > 0) {
          for (const call of calls) {
            const callee = (call.expression as ts.Identifier).text;
            for (const index of constructing.get(callee) ?? []) {
              const argument = call.arguments[index];
              const target = argument === undefined || ts.isSpreadElement(argument) ? undefined : resolve(argument);
              if (argument !== undefined && target) report(argument, 'handOff', target, { callee });
            }
          }
        }
        return findings;
      },
    };
  },
});

/**
 * `new C(…)` where C is a parameter of the function around it: a function bound to a name
 * (`function make(C)`, `const make = (C) => …`) constructs the class its caller passes there.
 */
function noteConstructedParameter(node: ts.NewExpression, constructing: Map<string, Set<number>>): void {
  const callee = unwrap(node.expression);
  if (!ts.isIdentifier(callee)) return;
  for (let scope: ts.Node = node.parent; !ts.isSourceFile(scope); scope = scope.parent) {
    if (!ts.isFunctionLike(scope)) continue;
    const index = scope.parameters.findIndex((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === callee.text);
    if (index < 0) continue;
    const holder = ts.isFunctionDeclaration(scope) ? scope : ts.isArrowFunction(scope) || ts.isFunctionExpression(scope) ? scope.parent : undefined;
    const name = holder !== undefined && (ts.isFunctionDeclaration(holder) || ts.isVariableDeclaration(holder)) && holder.name !== undefined && ts.isIdentifier(holder.name) ? holder.name.text : undefined;
    if (name !== undefined) constructing.set(name, (constructing.get(name) ?? new Set()).add(index));
    return;
  }
}

/** Calls that make an instance without `new`, and which argument names the class (as X or X.prototype). */
const REFLECTIVE_ROUTES: ReadonlyMap<string, { argument: number; prototype: boolean }> = new Map([
  ['Reflect.construct', { argument: 0, prototype: false }],
  ['Object.create', { argument: 0, prototype: true }],
  ['Object.setPrototypeOf', { argument: 1, prototype: true }],
  ['Reflect.setPrototypeOf', { argument: 1, prototype: true }],
]);

/**
 * The class a call constructs without `new`: `Reflect.construct(X, args)` (also written
 * `Reflect['construct']`), `Object.create(X.prototype)` and `Object.setPrototypeOf(o, X.prototype)`
 * (an instance that skipped the factory and the constructor alike).
 */
export function reflectiveTarget(node: ts.CallExpression): { target: ts.Expression; route: string } | undefined {
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return undefined;
  const member = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isStringLiteralLike(callee.argumentExpression) ? callee.argumentExpression.text : undefined;
  if (member === undefined || !ts.isIdentifier(callee.expression)) return undefined;
  const route = `${callee.expression.text}.${member}`;
  const shape = REFLECTIVE_ROUTES.get(route);
  const argument = shape === undefined ? undefined : node.arguments[shape.argument];
  if (shape === undefined || argument === undefined) return undefined;
  if (!shape.prototype) return { target: argument, route };
  const prototype = unwrap(argument);
  return ts.isPropertyAccessExpression(prototype) && prototype.name.text === 'prototype' ? { target: prototype.expression, route } : undefined;
}
