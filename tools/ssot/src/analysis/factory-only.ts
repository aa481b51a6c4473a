import ts from 'typescript';
import type { Concept } from '../registry';
import { hasModifier, unwrap } from './ast';
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
  // a registry without factories has no factory-only class to find (and every call would be walked for nothing)
  appliesTo: (_file, registry) => registry.hasFactories,
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
    // `const { construct } = Reflect`: a later `construct(X, args)` is `Reflect.construct(X, args)`
    const reflectAliases = new Map<string, { object: string; member: string }>();
    // calls with arguments: `make(UnifiedWebSocketManager)` where make constructs its parameter, and
    // reflective calls through an alias (`R.construct(X, args)` after `const R = Reflect`)
    const calls: ts.CallExpression[] = [];
    // names the file binds to a list's element, as a callback's parameter (`list.map((C) => …)`) or
    // a for-of variable: only a name among them is looked up in a list (a walk up its ancestors)
    const elementNames = new Set<string>();

    const resolve = (expression: ts.Expression, seen: ReadonlySet<string> = new Set()): { name: string; concept: Concept } | undefined => {
      const callee = unwrap(expression);
      let name: string | undefined;
      // `new (cond ? X : Other)()`, `new (Maybe ?? X)()`: either branch may be the value constructed
      if (ts.isConditionalExpression(callee)) return resolve(callee.whenTrue, seen) ?? resolve(callee.whenFalse, seen);
      if (ts.isBinaryExpression(callee)) {
        const operator = callee.operatorToken.kind;
        if (operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.BarBarToken) return resolve(callee.left, seen) ?? resolve(callee.right, seen);
        // a class is truthy, so `a && X` is X and `X && a` is a; `(a, X)` and `(C = X)` are X
        if (operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.CommaToken || operator === ts.SyntaxKind.EqualsToken) return resolve(callee.right, seen);
        return undefined;
      }
      if (ts.isCallExpression(callee)) {
        // `X.bind(null)`, `Function.prototype.bind.call(X, null)`: `new` of a bound function constructs its target
        const bound = boundFunctionOf(callee);
        if (bound !== undefined) return resolve(bound, seen);
        // `ctors.get('engine')` where `const ctors = new Map([['engine', X]])`
        const entries = mapEntriesOf(callee, seen);
        if (entries === undefined) return undefined;
        const [key] = callee.arguments;
        const wanted = key !== undefined && (ts.isStringLiteralLike(key) || ts.isNumericLiteral(key)) ? key.text : undefined;
        for (const [entryKey, value] of entries) {
          // a key the call does not spell out may be any entry's
          if (wanted === undefined || entryKey === undefined || entryKey === wanted) {
            const target = resolve(value, entries.seen);
            if (target) return target;
          }
        }
        return undefined;
      }
      if ((ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) && !(ts.isPropertyAccessExpression(callee) && callee.name.text === 'constructor')) {
        // `new this.ctor()` where the class declares `ctor = X`
        const field = callee.expression.kind === ts.SyntaxKind.ThisKeyword && ts.isPropertyAccessExpression(callee) ? thisFieldInitializer(callee) : undefined;
        if (field !== undefined) return resolve(field, seen);
        // `new table.engine()`, `new list[0]()` where the file binds `table = { engine: X }`, `list = [X]`
        const member = literalMember(callee, seen);
        if (member !== undefined) {
          const target = resolve(member.value, member.seen);
          if (target) return target;
        }
      }
      if (ts.isIdentifier(callee) && aliases.has(callee.text) && !seen.has(callee.text)) {
        const aliased = aliases.get(callee.text);
        if (typeof aliased === 'string') return factoryOnlyNamed(aliased);
        return aliased === undefined ? undefined : resolve(aliased, new Set([...seen, callee.text]));
      }
      if (ts.isIdentifier(callee)) {
        const imported = importedAs.get(callee.text);
        // `[X].map((C) => new C())`, `for (const C of [X])`: C is each element of the list in turn
        const list = imported === undefined && elementNames.has(callee.text) && !seen.has(callee.text) ? listBinding(callee) : undefined;
        const elements = list === undefined ? undefined : listLiteral(list, new Set([...seen, callee.text]));
        if (elements !== undefined) return elementOf(elements);
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
    /** The object or array literal a name of this file is bound to (`const table = { … }`), with the names followed to it. */
    function literalBoundTo(expression: ts.Expression, seen: ReadonlySet<string>): { literal: ts.Expression; seen: ReadonlySet<string> } | undefined {
      const holder = unwrap(expression);
      if (!ts.isIdentifier(holder) || seen.has(holder.text)) return undefined;
      const bound = aliases.get(holder.text);
      return bound === undefined || typeof bound === 'string' ? undefined : { literal: unwrap(bound), seen: new Set([...seen, holder.text]) };
    }
    /** The value at `table.key` / `table['key']` / `list[0]` when table or list is bound to a literal of this file. */
    function literalMember(access: ts.PropertyAccessExpression | ts.ElementAccessExpression, seen: ReadonlySet<string>): { value: ts.Expression; seen: ReadonlySet<string> } | undefined {
      const bound = literalBoundTo(access.expression, seen);
      if (bound === undefined) return undefined;
      const key = ts.isPropertyAccessExpression(access) ? access.name.text : ts.isStringLiteralLike(access.argumentExpression) || ts.isNumericLiteral(access.argumentExpression) ? access.argumentExpression.text : undefined;
      if (key === undefined) return undefined;
      const { literal } = bound;
      if (ts.isArrayLiteralExpression(literal)) {
        const element = /^\d+$/.test(key) ? literal.elements[Number(key)] : undefined;
        return element === undefined || ts.isSpreadElement(element) || ts.isOmittedExpression(element) || literal.elements.slice(0, Number(key)).some(ts.isSpreadElement) ? undefined : { value: element, seen: bound.seen };
      }
      if (!ts.isObjectLiteralExpression(literal)) return undefined;
      // the last property of that name wins, as at run time
      for (let index = literal.properties.length - 1; index >= 0; index -= 1) {
        const property = literal.properties[index];
        if (property === undefined || ts.isSpreadAssignment(property)) return undefined;
        const name = property.name !== undefined && (ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name) || ts.isNumericLiteral(property.name)) ? property.name.text : undefined;
        if (name !== key) continue;
        if (ts.isPropertyAssignment(property)) return { value: property.initializer, seen: bound.seen };
        if (ts.isShorthandPropertyAssignment(property)) return { value: property.name, seen: bound.seen };
        return undefined;
      }
      return undefined;
    }
    /** The `[key, value]` entries of `holder.get(…)` when holder is bound to `new Map([[key, value], …])` in this file. */
    function mapEntriesOf(call: ts.CallExpression, seen: ReadonlySet<string>): (readonly [string | undefined, ts.Expression][] & { seen: ReadonlySet<string> }) | undefined {
      const callee = unwrap(call.expression);
      if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'get' || call.arguments.length !== 1) return undefined;
      const bound = literalBoundTo(callee.expression, seen);
      const made = bound?.literal;
      const list = made !== undefined && ts.isNewExpression(made) && ts.isIdentifier(made.expression) && made.expression.text === 'Map' && made.arguments?.length === 1 ? unwrap(made.arguments[0] as ts.Expression) : undefined;
      if (bound === undefined || list === undefined || !ts.isArrayLiteralExpression(list)) return undefined;
      const entries: [string | undefined, ts.Expression][] = [];
      for (const element of list.elements) {
        const entry = unwrap(element as ts.Expression);
        if (!ts.isArrayLiteralExpression(entry) || entry.elements.length !== 2) continue;
        const [key, value] = entry.elements as unknown as [ts.Expression, ts.Expression];
        entries.push([ts.isStringLiteralLike(key) || ts.isNumericLiteral(key) ? key.text : undefined, value]);
      }
      return Object.assign(entries, { seen: bound.seen });
    }
    /** The array literal a list is (`[X, Y]`, or a name of this file bound to one), with the names followed to it. */
    function listLiteral(list: ts.Expression, seen: ReadonlySet<string>): { literal: ts.ArrayLiteralExpression; seen: ReadonlySet<string> } | undefined {
      const value = unwrap(list);
      const bound = ts.isIdentifier(value) ? literalBoundTo(value, seen) : { literal: value, seen };
      return bound !== undefined && ts.isArrayLiteralExpression(bound.literal) ? { literal: bound.literal, seen: bound.seen } : undefined;
    }
    /**
     * The first element of an array literal that is a factory-only class (`[...others, X]`: others'
     * elements too). A list spread twice is looked through once (`[...L, ...L]` chains would
     * otherwise take twice as long at each step): had it held one, the first look would have returned it.
     */
    function elementOf({ literal, seen }: { literal: ts.ArrayLiteralExpression; seen: ReadonlySet<string> }, looked = new Set<ts.ArrayLiteralExpression>()): { name: string; concept: Concept } | undefined {
      if (looked.has(literal)) return undefined;
      looked.add(literal);
      for (const element of literal.elements) {
        const spread = ts.isSpreadElement(element) ? listLiteral(element.expression, seen) : undefined;
        const target = spread !== undefined ? elementOf(spread, looked) : ts.isSpreadElement(element) || ts.isOmittedExpression(element) ? undefined : resolve(element, seen);
        if (target) return target;
      }
      return undefined;
    }
    /**
     * The function a call binds, whose bound copy `new` constructs as it would the function:
     * `X.bind(null)`, `Function.prototype.bind.call(X, null)` (or `.apply(X, [null])`, `bind.call`
     * after `const bind = Function.prototype.bind`), `Reflect.apply(Function.prototype.bind, X, [null])`.
     */
    function boundFunctionOf(call: ts.CallExpression): ts.Expression | undefined {
      const callee = unwrap(call.expression);
      if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return undefined;
      const member = memberName(callee);
      let target: ts.Expression | undefined;
      if (member === 'bind') target = callee.expression;
      else if ((member === 'call' || member === 'apply') && isBindFunction(callee.expression)) target = call.arguments[0];
      else if (member === 'apply' && call.arguments[0] !== undefined && isBindFunction(call.arguments[0]) && routeOf(callee) === 'Reflect.apply') target = call.arguments[1];
      return target === undefined || ts.isSpreadElement(target) ? undefined : target;
    }
    /** `Function.prototype.bind` (any function's `bind`), also through `const bind = Function.prototype.bind`. */
    function isBindFunction(expression: ts.Expression): boolean {
      const value = unwrap(expression);
      const bound = ts.isIdentifier(value) ? aliases.get(value.text) : undefined;
      const named = bound !== undefined && typeof bound !== 'string' ? unwrap(bound) : value;
      return (ts.isPropertyAccessExpression(named) || ts.isElementAccessExpression(named)) && memberName(named) === 'bind';
    }
    /** The callee of a call, as a reflective route (`Reflect.construct`), through `const R = Reflect` and `const { construct } = Reflect`. */
    function routeOf(callee: ts.Expression): string | undefined {
      if (ts.isIdentifier(callee)) {
        const destructured = reflectAliases.get(callee.text);
        if (destructured !== undefined) return `${globalName(destructured.object)}.${destructured.member}`;
        const bound = aliases.get(callee.text);
        return bound !== undefined && typeof bound !== 'string' && (ts.isPropertyAccessExpression(bound) || ts.isElementAccessExpression(bound)) ? directRoute(bound, globalName) : undefined;
      }
      return ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee) ? directRoute(callee, globalName) : undefined;
    }
    /** `R` after `const R = Reflect` is Reflect (one step, as the routes are globals). */
    function globalName(name: string): string {
      const bound = aliases.get(name);
      return bound !== undefined && typeof bound !== 'string' && ts.isIdentifier(bound) && !aliases.has(bound.text) ? bound.text : name;
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
          // `for (const C of list)`
          if (node.parent.parent.kind === ts.SyntaxKind.ForOfStatement && ts.isIdentifier(node.name)) elementNames.add(node.name.text);
          const value = node.initializer === undefined ? undefined : unwrap(node.initializer);
          // aliases are kept by name for the whole file: a bound function (`const C = fn.bind(null)`),
          // which may bind anything, never replaces a name already bound (`const C = Engine` elsewhere)
          if (ts.isIdentifier(node.name) && value !== undefined && isAliasable(value) && !(ts.isCallExpression(value) && mayBind(value) && aliases.has(node.name.text))) aliases.set(node.name.text, value);
          else if (ts.isArrayBindingPattern(node.name) && value !== undefined && ts.isArrayLiteralExpression(value)) {
            // `const [E] = [UnifiedWebSocketManager]`: position by position, up to the first spread
            for (const [index, element] of node.name.elements.entries()) {
              const bound = value.elements[index];
              if (bound === undefined || ts.isSpreadElement(bound) || ts.isOmittedExpression(element) || element.dotDotDotToken !== undefined) break;
              if (ts.isIdentifier(element.name) && !ts.isOmittedExpression(bound)) aliases.set(element.name.text, bound);
            }
          }
        } else if (ts.isBindingElement(node)) {
          // `const { construct } = Reflect` (or `= R`, an alias of it): calls of construct are reflective
          const declaration = ts.isObjectBindingPattern(node.parent) ? node.parent.parent : undefined;
          const source = declaration !== undefined && ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined ? unwrap(declaration.initializer) : undefined;
          const key = node.propertyName ?? node.name;
          if (source !== undefined && ts.isIdentifier(source) && ts.isIdentifier(node.name) && (ts.isIdentifier(key) || ts.isStringLiteral(key))) reflectAliases.set(node.name.text, { object: source.text, member: key.text });
          // `const { UnifiedWebSocketManager: Ctor } = manager` (or a parameter destructured so)
          const member = node.propertyName !== undefined && (ts.isIdentifier(node.propertyName) || ts.isStringLiteral(node.propertyName)) ? node.propertyName.text : undefined;
          if (member !== undefined && node.dotDotDotToken === undefined && ts.isIdentifier(node.name) && member !== node.name.text) aliases.set(node.name.text, member);
        } else if (ts.isImportEqualsDeclaration(node)) {
          const reference = node.moduleReference;
          if (ts.isIdentifier(reference)) aliases.set(node.name.text, reference);
          else if (ts.isQualifiedName(reference)) aliases.set(node.name.text, reference.right.text);
        } else if (ts.isCallExpression(node)) {
          const member = memberName(node.expression);
          const element = member === undefined ? undefined : ELEMENT_CALLBACKS.get(member);
          if (element !== undefined) noteElementParameter(node, member === 'from' ? 1 : 0, element, elementNames);
          if (reflectiveTarget(node) !== undefined) candidates.push(node);
          else if (node.arguments.length > 0 && (ts.isIdentifier(node.expression) || REFLECTIVE_MEMBERS.has(member ?? ''))) calls.push(node);
        } else if (ts.isNewExpression(node) || (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(node.parent))) {
          candidates.push(node);
        }
      },
      findings() {
        function reportReflective(node: ts.CallExpression, reflective: ReturnType<typeof reflectiveTarget>): void {
          if (reflective === undefined) return;
          // `Reflect.construct(Object, [], X)`: the instance is made with X as new.target, so X's prototype
          const target = resolve(reflective.target) ?? (reflective.newTarget === undefined ? undefined : resolve(reflective.newTarget));
          if (target) report(node, 'reflect', target, { route: reflective.route });
        }
        // functions of this file that construct a parameter (`const make = (C) => new C()`), by name, with the parameter's position
        const constructing = new Map<string, Set<number>>();
        for (const node of candidates) {
          if (ts.isNewExpression(node)) {
            const target = resolve(node.expression);
            if (target) report(node, 'construct', target);
            else if (calls.length > 0) noteConstructedParameter(node, constructing);
          } else if (ts.isCallExpression(node)) {
            reportReflective(node, reflectiveTarget(node));
          } else if (ts.isClassLike(node.parent)) {
            for (const type of node.types) {
              const target = resolve(type.expression);
              if (target) report(type, 'extend', target, { child: node.parent.name?.text ?? '(anonymous)' });
            }
          }
        }
        for (const call of calls) {
          // `R.construct(X, args)` after `const R = Reflect`, `construct(X, args)` after `const { construct } = Reflect`
          const reflective = reflectiveTarget(call, routeOf);
          if (reflective !== undefined) {
            reportReflective(call, reflective);
            continue;
          }
          if (constructing.size > 0 && ts.isIdentifier(call.expression)) {
            const callee = call.expression.text;
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

/**
 * The list a name is bound to an element of: the list of `for (const C of list)` around it, or
 * the list whose elements a callback around it receives in that parameter (`list.map((C) => …)`,
 * `Array.from(list, (C) => …)`). Undefined when the nearest binding of the name is anything else.
 */
function listBinding(name: ts.Identifier): ts.Expression | undefined {
  let child: ts.Node = name;
  for (let scope: ts.Node = name.parent; !ts.isSourceFile(scope); child = scope, scope = scope.parent) {
    // the loop's variable is bound in its body only (`for (const C of [C])` reads an outer C)
    if (ts.isForOfStatement(scope) && child === scope.statement && ts.isVariableDeclarationList(scope.initializer)) {
      for (const declaration of scope.initializer.declarations) if (ts.isIdentifier(declaration.name) && declaration.name.text === name.text) return scope.expression;
      continue;
    }
    if (!ts.isFunctionLike(scope)) continue;
    const index = scope.parameters.findIndex((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === name.text);
    if (index < 0) continue;
    const call = scope.parent;
    if (!(ts.isArrowFunction(scope) || ts.isFunctionExpression(scope)) || !ts.isCallExpression(call)) return undefined;
    const callee = unwrap(call.expression);
    if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return undefined;
    const method = memberName(callee);
    const receiver = unwrap(callee.expression);
    if (method === 'from' && ts.isIdentifier(receiver) && receiver.text === 'Array') return index === 0 && call.arguments[1] === scope ? call.arguments[0] : undefined;
    return method !== undefined && ELEMENT_CALLBACKS.get(method) === index && call.arguments[0] === scope ? callee.expression : undefined;
  }
  return undefined;
}

/** `list.map((C) => …)`: the name of the callback's parameter at `element` (the callback is argument `at`). */
function noteElementParameter(call: ts.CallExpression, at: number, element: number, elementNames: Set<string>): void {
  const callback = call.arguments[at];
  const parameter = callback !== undefined && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)) ? callback.parameters[element] : undefined;
  if (parameter !== undefined && ts.isIdentifier(parameter.name)) elementNames.add(parameter.name.text);
}

/** Methods whose callback (their first argument) receives the list's elements, and in which parameter; `from` is `Array.from(list, callback)`. */
const ELEMENT_CALLBACKS: ReadonlyMap<string, number> = new Map([
  ['map', 0],
  ['forEach', 0],
  ['flatMap', 0],
  ['filter', 0],
  ['find', 0],
  ['findIndex', 0],
  ['findLast', 0],
  ['findLastIndex', 0],
  ['some', 0],
  ['every', 0],
  ['reduce', 1],
  ['reduceRight', 1],
  ['from', 0],
]);

/** Calls that make an instance without `new`, and which argument names the class (as X or X.prototype). */
const REFLECTIVE_ROUTES: ReadonlyMap<string, { argument: number; prototype: boolean }> = new Map([
  ['Reflect.construct', { argument: 0, prototype: false }],
  ['Object.create', { argument: 0, prototype: true }],
  ['Object.setPrototypeOf', { argument: 1, prototype: true }],
  ['Reflect.setPrototypeOf', { argument: 1, prototype: true }],
]);

/** `Reflect.construct` for `Reflect.construct` and `Reflect['construct']`, the object named through `objectName`. */
function directRoute(callee: ts.PropertyAccessExpression | ts.ElementAccessExpression, objectName: (name: string) => string = (name) => name): string | undefined {
  const member = memberName(callee);
  const object = unwrap(callee.expression);
  return member === undefined || !ts.isIdentifier(object) ? undefined : `${objectName(object.text)}.${member}`;
}

/** Initializers a later `new Name()` may construct through: a name, a member, a choice between them, a literal table or a Map. */
function isAliasable(value: ts.Expression): boolean {
  return (
    ts.isIdentifier(value) ||
    ts.isPropertyAccessExpression(value) ||
    ts.isElementAccessExpression(value) ||
    ts.isConditionalExpression(value) ||
    ts.isBinaryExpression(value) ||
    ts.isObjectLiteralExpression(value) ||
    ts.isArrayLiteralExpression(value) ||
    (ts.isNewExpression(value) && ts.isIdentifier(value.expression) && value.expression.text === 'Map') ||
    (ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression) && value.expression.name.text === 'get') ||
    (ts.isCallExpression(value) && mayBind(value))
  );
}

/** `X.bind(…)`, `….bind.call(X, …)`, `….bind.apply(X, …)`, `Reflect.apply(….bind, X, …)`: calls that may make a bound function, for `new` of it later. */
function mayBind(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) && !ts.isElementAccessExpression(callee)) return false;
  const member = memberName(callee);
  if (member === 'bind') return true;
  if (member !== 'call' && member !== 'apply') return false;
  const first = call.arguments[0];
  return memberName(unwrap(callee.expression)) === 'bind' || (member === 'apply' && first !== undefined && memberName(unwrap(first)) === 'bind');
}

/**
 * The initializer of the field `this.name` reads, in a method, accessor, constructor or field
 * initializer of the class declaring it (`ctor = X; make() { return new this.ctor(); }`);
 * arrow functions keep the class's `this`, other functions do not.
 */
function thisFieldInitializer(access: ts.PropertyAccessExpression): ts.Expression | undefined {
  let scope: ts.Node = access.parent;
  while (!ts.isSourceFile(scope) && !ts.isClassLike(scope) && !ts.isPropertyDeclaration(scope) && !ts.isClassStaticBlockDeclaration(scope) && !(ts.isFunctionLike(scope) && !ts.isArrowFunction(scope))) scope = scope.parent;
  const inClass = ts.isMethodDeclaration(scope) || ts.isConstructorDeclaration(scope) || ts.isGetAccessorDeclaration(scope) || ts.isSetAccessorDeclaration(scope) || ts.isPropertyDeclaration(scope) || ts.isClassStaticBlockDeclaration(scope);
  if (!inClass || !ts.isClassLike(scope.parent)) return undefined;
  const isStatic = ts.isClassStaticBlockDeclaration(scope) || hasModifier(scope, ts.SyntaxKind.StaticKeyword);
  const name = access.name.text;
  for (const member of scope.parent.members) {
    if (ts.isPropertyDeclaration(member) && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)) && member.name.text === name && hasModifier(member, ts.SyntaxKind.StaticKeyword) === isStatic) return member.initializer;
  }
  return undefined;
}

/** The member names of the reflective routes (`construct`), to keep only the calls that may be one through an alias. */
const REFLECTIVE_MEMBERS: ReadonlySet<string> = new Set([...REFLECTIVE_ROUTES.keys()].map((route) => route.slice(route.indexOf('.') + 1)));

/** `name` of `x.name(…)` and `x['name'](…)`. */
function memberName(callee: ts.Expression): string | undefined {
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression) ? callee.argumentExpression.text : undefined;
}

/**
 * The class a call constructs without `new`: `Reflect.construct(X, args)` (also written
 * `Reflect['construct']`), `Object.create(X.prototype)` and `Object.setPrototypeOf(o, X.prototype)`
 * (an instance that skipped the factory and the constructor alike). `newTarget` is the third
 * argument of `Reflect.construct`, whose prototype the instance gets. `routeOf` names the callee
 * (factory-only follows aliases of Reflect with it).
 */
export function reflectiveTarget(
  node: ts.CallExpression,
  routeOf: (callee: ts.Expression) => string | undefined = (callee) => (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee) ? directRoute(callee) : undefined),
): { target: ts.Expression; route: string; newTarget?: ts.Expression } | undefined {
  const route = routeOf(unwrap(node.expression));
  const shape = route === undefined ? undefined : REFLECTIVE_ROUTES.get(route);
  const argument = shape === undefined ? undefined : node.arguments[shape.argument];
  if (route === undefined || shape === undefined || argument === undefined) return undefined;
  if (!shape.prototype) return { target: argument, route, newTarget: route === 'Reflect.construct' ? node.arguments[2] : undefined };
  const prototype = unwrap(argument);
  return ts.isPropertyAccessExpression(prototype) && prototype.name.text === 'prototype' ? { target: prototype.expression, route } : undefined;
}
