import ts from 'typescript';
import { FREEZE_CALLS, bindingIdentifiers, hasModifier, isJavaScriptPath, locallyExportedNames, qualifiedCalleeName, unwrap } from './ast';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';
import type { Registry } from '../registry';

const HOLDER_NAME = /^_*(instance|singleton|sharedInstance|shared|defaultInstance|current)$/i;
const GET_INSTANCE = /^(getInstance|getSingleton|getSharedInstance|sharedInstance)$/;
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);
/**
 * Calls that return primitives or plain data, so a `let` holding their result is a counter, a
 * flag, a time or a frozen settings object, not an instance of anything.
 */
const PRIMITIVE_CALLS = new Set([
  'Number', 'String', 'Boolean', 'BigInt', 'Symbol', 'parseInt', 'parseFloat', 'Date.now', 'performance.now', 'JSON.stringify',
  'JSON.parse', 'structuredClone', 'Object.assign', 'Object.fromEntries', 'Object.keys', 'Object.values', 'Object.entries',
  'Array.from', 'Array.of', 'Array.isArray',
]);
/** Methods that answer a question or return text (`argv.includes('--x')`, `name.startsWith('a')`): their result is a flag or a string. */
const PRIMITIVE_METHODS = /^(includes|has|some|every|startsWith|endsWith|test|indexOf|lastIndexOf|findIndex|toString|toFixed|trim\w*|join|padStart|padEnd|toLowerCase|toUpperCase|charAt|charCodeAt|localeCompare|is[A-Z]\w*)$/;
const ASSIGNMENTS = new Set([
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
]);
/** `Object.defineProperty(globalThis, …)` and its kin: calls that put a value on an object they are given. */
const DEFINERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Object', new Set(['defineProperty', 'defineProperties', 'assign'])],
  ['Reflect', new Set(['defineProperty', 'set'])],
]);
/** How far into object and array literals (and module constants they name) an exported value is searched for an instance. */
const MAX_NESTING = 4;
/**
 * Classes (static holders, getInstance), assignments (to module variables, globals and CommonJS
 * exports) and expression statements (only a statement that is a call of `Object.defineProperty`
 * or its kin is looked at: such a call is written as a statement, and statements are far fewer
 * than calls).
 */
const VISITED_KINDS: readonly ts.SyntaxKind[] = [ts.SyntaxKind.ClassDeclaration, ts.SyntaxKind.ClassExpression, ts.SyntaxKind.BinaryExpression, ts.SyntaxKind.ExpressionStatement];

/**
 * How sure an expression makes an instance: `strong` for `new`, a class expression or a call of
 * a registry class's factory; `weak` for a call of a function the rule does not know (a client
 * maker or a data reader alike).
 */
type Evidence = 'strong' | 'weak';

/** What deciding whether a value is an instance needs from the file. */
interface InstanceScope {
  /** Local name → the registry class concept whose factory it calls (`createEngine`, or a renamed import of it); computed on first use. */
  factories(): ReadonlyMap<string, string>;
  /** Classes of this module whose instances carry state that can change. */
  statefulHere: ReadonlySet<string>;
  registry: Registry;
  /** Module constants that are not exported, by name: an exported object literal naming one holds its value; computed on first use. */
  localConstants(): ReadonlyMap<string, ts.Expression>;
}

/**
 * Module-level mutable holders of instances: a top-level `let`/`var` that holds (or is later
 * assigned) a `new` or a call result, including one inside a module-level IIFE, unless the call
 * is of a function the rule does not know and a setter replaces the value from its parameter; a
 * static field that holds the class's own instance (`static instance`); a static getInstance()
 * with no such field; instances parked on globalThis (assigned, or put there by
 * `Object.defineProperty` and its kin); and exported instances: by `export const`, `export { x }`,
 * `export default`, `module.exports`/`exports.x`, also frozen, inside object and array literals
 * or destructured from them. Each holder is reported once.
 */
export const moduleSingletons: FileRule = defineFileRule({
  id: 'no-module-singletons',
  description: 'No module-level singletons: process-wide state lives in a container registration',
  messages: {
    moduleVariable: 'module-level {{declaration}} {{name}} holds one instance for the whole process',
    staticHolder: 'static {{name}} of {{className}} holds one instance for the whole process',
    getInstance: '{{className}}.{{name}}() hands out one cached instance for the whole process',
    globalHolder: 'assigning an instance to {{name}} makes it process-wide',
    memoized: 'module-level {{name}} memoizes one instance for the whole process',
    exportedInstance: 'exported {{name}} is one instance of {{className}} shared by every importer',
  },
  fixable: false,
  appliesTo: (file) => file.role === 'source',
  visit({ sourceFile, registry }: AnalysisInput): FileVisit {
    const hint = registry.ruleHint('no-module-singletons');
    // Module variables are reported first, and whether one is later assigned an instance is
    // known only after the whole file: the other findings wait in their own list.
    const nodeFindings: FileFinding[] = [];
    const finding = (node: ts.Node, messageId: string, subject: string, data: Record<string, string>): FileFinding => ({
      rule: 'no-module-singletons',
      messageId,
      data,
      start: node.getStart(sourceFile),
      end: node.getEnd(),
      subject,
      hint,
    });
    // module variables assigned an instance somewhere, with the strongest evidence seen
    const assignedInstance = new Map<string, Evidence>();
    // assignments of a name (`opts = o`, `opts = deepFreeze(o)`): a setter when o is a parameter of the function around it
    const setterCandidates: { name: string; assignment: ts.BinaryExpression }[] = [];
    // `const g = globalThis` (or `global as any`): a property set on g is set on the global object
    const globalAliases = new Set<string>();
    for (const statement of sourceFile.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined && isGlobalObject(declaration.initializer)) globalAliases.add(declaration.name.text);
      }
    }
    // classes of this module whose instances carry state that can change (a field that is not readonly)
    const javaScript = isJavaScriptPath(sourceFile.fileName);
    const statefulHere = new Set(
      sourceFile.statements.flatMap((statement) => (ts.isClassDeclaration(statement) && statement.name !== undefined && hasMutableState(statement, javaScript) ? [statement.name.text] : [])),
    );
    const isGlobalTarget = (expression: ts.Expression): boolean => isGlobalObject(expression) || isGlobalAlias(expression, globalAliases);
    // computed on first use: most files assign no instance and export none
    let factoryNames: ReadonlyMap<string, string> | undefined;
    const factories = (): ReadonlyMap<string, string> => (factoryNames ??= localFactories(sourceFile, registry));
    let exportedHere: ReadonlySet<string> | undefined;
    const exportedNames = (): ReadonlySet<string> => (exportedHere ??= locallyExportedNames(sourceFile));
    let constants: ReadonlyMap<string, ts.Expression> | undefined;
    const scope: InstanceScope = { factories, statefulHere, registry, localConstants: () => (constants ??= localConstants(sourceFile, exportedNames())) };

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isClassLike(node)) {
          const className = node.name?.text ?? '(anonymous class)';
          const holder = node.members.find((member) => ts.isPropertyDeclaration(member) && isStaticHolder(member, className));
          if (holder !== undefined && holder.name !== undefined) {
            nodeFindings.push(finding(holder.name, 'staticHolder', `${className}.${memberName(holder.name)}`, { name: memberName(holder.name), className }));
          } else {
            const getter = node.members.find(
              (member) => ts.isMethodDeclaration(member) && hasModifier(member, ts.SyntaxKind.StaticKeyword) && GET_INSTANCE.test(memberName(member.name)),
            );
            if (getter?.name !== undefined) {
              nodeFindings.push(finding(getter.name, 'getInstance', `${className}.${memberName(getter.name)}`, { name: memberName(getter.name), className }));
            }
          }
        } else if (ts.isBinaryExpression(node)) {
          if (!ASSIGNMENTS.has(node.operatorToken.kind)) return;
          const target = unwrap(node.left);
          if (ts.isIdentifier(target)) {
            const evidence = instanceEvidence(node.right, factories);
            if (evidence !== undefined && assignedInstance.get(target.text) !== 'strong') assignedInstance.set(target.text, evidence);
            else if (evidence === undefined && ts.isIdentifier(passThrough(node.right))) setterCandidates.push({ name: target.text, assignment: node });
          } else if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && isGlobalTarget(target.expression)) {
            if (instanceEvidence(node.right, factories) === undefined) return;
            const name = target.getText(sourceFile);
            nodeFindings.push(finding(target, 'globalHolder', name, { name }));
          } else if (isCommonJsExport(target)) {
            const className = exportedInstanceClass(node.right, scope, 'commonjs', 0);
            if (className === undefined) return;
            const name = target.getText(sourceFile);
            nodeFindings.push(finding(target, 'exportedInstance', name, { name, className }));
          }
        } else if (ts.isExpressionStatement(node)) {
          const call = node.expression;
          if (!ts.isCallExpression(call)) return;
          const callee = call.expression;
          if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression) || DEFINERS.get(callee.expression.text)?.has(callee.name.text) !== true) return;
          const [target, ...rest] = call.arguments;
          const onGlobal = target !== undefined && isGlobalTarget(target);
          if (target === undefined || !(onGlobal || isCommonJsExport(unwrap(target)) || isExportsObject(target))) return;
          for (const { node: at, key, value } of globalDefinitions(`${callee.expression.text}.${callee.name.text}`, call, rest)) {
            const name = propertyPath(target.getText(sourceFile), key, sourceFile);
            if (onGlobal) {
              if (instanceEvidence(value, factories) !== undefined) nodeFindings.push(finding(at, 'globalHolder', name, { name }));
            } else {
              // `Object.defineProperty(exports, 'x', { value: new X() })`: a CommonJS export like `exports.x = new X()`
              const className = exportedInstanceClass(value, scope, 'commonjs', 0);
              if (className !== undefined) nodeFindings.push(finding(at, 'exportedInstance', name, { name, className }));
            }
          }
        }
      },
      findings() {
        const findings: FileFinding[] = [];
        // `opts = value` in a function of `value`: callers replace it, the module does not make it
        const isSetter = (name: string): boolean => setterCandidates.some((candidate) => candidate.name === name && isParameterValue(candidate.assignment.right, candidate.assignment));
        for (const statement of moduleScopeStatements(sourceFile.statements)) {
          if (!ts.isVariableStatement(statement) || statement.declarationList.flags & ts.NodeFlags.Const) continue;
          const declarationWord = statement.declarationList.flags & ts.NodeFlags.Let ? 'let' : 'var';
          const exported = statement.parent === sourceFile && hasModifier(statement, ts.SyntaxKind.ExportKeyword);
          for (const declaration of statement.declarationList.declarations) {
            let initialized = declaration.initializer === undefined ? undefined : instanceEvidence(declaration.initializer, factories);
            // `export let services = { tracker: new Tracker() }`: an instance every importer reaches
            if (initialized === undefined && exported && declaration.initializer !== undefined && exportedInstanceClass(declaration.initializer, scope, 'nested', 0) !== undefined) initialized = 'strong';
            const primitive = isPrimitiveHolder(declaration) || isSettingsHolder(declaration);
            for (const identifier of bindingIdentifiers(declaration.name)) {
              const assigned = assignedInstance.get(identifier.text);
              const evidence = initialized === 'strong' || assigned === 'strong' ? 'strong' : (initialized ?? assigned);
              // only a call of an unknown function where it is declared, and a setter replaces the value: data a caller hands
              // in (`let c = readDefaults()` … `c = next`); made later in a function, it is memoized (`x ??= make()`), setter or not
              if (primitive || evidence === undefined || (evidence === 'weak' && assigned === undefined && isSetter(identifier.text))) continue;
              findings.push(finding(identifier, 'moduleVariable', identifier.text, { declaration: declarationWord, name: identifier.text }));
            }
          }
        }
        for (const statement of sourceFile.statements) {
          if (ts.isExportAssignment(statement)) {
            // `export default new Counter()` (`export =` is CommonJS); the type pass takes a default export of a registry class's instance
            const className = exportedInstanceClass(statement.expression, scope, statement.isExportEquals ? 'commonjs' : 'default', 0);
            const name = statement.isExportEquals ? 'export =' : 'default';
            if (className !== undefined) findings.push(finding(statement.expression, 'exportedInstance', name, { name, className }));
            continue;
          }
          if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
          const exportKeyword = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
          for (const declaration of statement.declarationList.declarations) {
            if (declaration.initializer === undefined) continue;
            const value = unwrap(declaration.initializer);
            if (ts.isIdentifier(declaration.name) && isMemoizedInstance(value)) {
              const name = declaration.name.text;
              findings.push(finding(declaration.name, 'memoized', name, { name }));
              continue;
            }
            if (!exportKeyword && exportedNames().size === 0) continue;
            // an exported instance of a stateful class of this module, or of a registry concept, is the module's
            // singleton; one of a class with only readonly fields (a descriptor, a script) is a constant
            for (const { identifier, value: bound, nested } of boundValues(declaration.name, declaration.initializer)) {
              const name = identifier.text;
              if (!exportKeyword && !exportedNames().has(name)) continue;
              // `export const x = createEngine(d)` is the type pass's (it reads the factory's return type); named in
              // `export { x }`, in a pattern or a literal it sees none
              const className = exportedInstanceClass(bound, scope, nested || !exportKeyword ? 'nested' : 'declared', 0);
              if (className !== undefined) findings.push(finding(identifier, 'exportedInstance', name, { name, className }));
            }
          }
        }
        return [...findings, ...nodeFindings];
      },
    };
  },
});

/** Statements that run once per process: the file's own, and those of module-level IIFEs. */
function moduleScopeStatements(statements: readonly ts.Statement[]): ts.Statement[] {
  const result: ts.Statement[] = [];
  for (const statement of statements) {
    result.push(statement);
    const expressions: ts.Expression[] = [];
    if (ts.isExpressionStatement(statement)) expressions.push(statement.expression);
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (declaration.initializer) expressions.push(declaration.initializer);
    }
    for (const expression of expressions) {
      const body = iifeBody(expression);
      if (body !== undefined) result.push(...moduleScopeStatements(body));
    }
  }
  return result;
}

function iifeBody(expression: ts.Expression): readonly ts.Statement[] | undefined {
  const call = unwrap(expression);
  if (!ts.isCallExpression(call)) return undefined;
  const callee = unwrap(call.expression);
  if ((ts.isFunctionExpression(callee) || ts.isArrowFunction(callee)) && ts.isBlock(callee.body)) return callee.body.statements;
  return undefined;
}

/** The value a pass-through call returns (`Object.freeze(x)` is x), and what `await` waits for. */
function passThrough(expression: ts.Expression): ts.Expression {
  return throughWrappers(expression).value;
}

/** passThrough, and whether a freeze-like call was passed (`frozen`). */
function throughWrappers(expression: ts.Expression): { value: ts.Expression; frozen: boolean } {
  let value = unwrap(expression);
  let frozen = false;
  for (let depth = 0; depth < 8; depth += 1) {
    if (ts.isAwaitExpression(value)) {
      value = unwrap(value.expression);
    } else if (ts.isCallExpression(value) && value.arguments[0] !== undefined && FREEZE_CALLS.has(qualifiedCalleeName(value.expression))) {
      value = unwrap(value.arguments[0]);
      frozen = true;
    } else {
      break;
    }
  }
  return { value, frozen };
}

/** Whether (and how surely) an expression makes an instance; undefined for a value (data, a primitive, a name). */
function instanceEvidence(expression: ts.Expression, factories: () => ReadonlyMap<string, string>): Evidence | undefined {
  const { value, frozen } = throughWrappers(expression);
  if (ts.isNewExpression(value) || ts.isClassExpression(value)) return 'strong';
  if (!ts.isCallExpression(value)) return undefined;
  if (factoryConcept(value, factories()) !== undefined) return 'strong';
  // what an unknown call returns and the code freezes is data (`Object.freeze(loadDefaults())`)
  if (frozen) return undefined;
  const callee = unwrap(value.expression);
  if (ts.isPropertyAccessExpression(callee) && PRIMITIVE_METHODS.test(callee.name.text)) return undefined;
  const name = qualifiedCalleeName(callee);
  return PRIMITIVE_CALLS.has(name) || name.startsWith('Math.') ? undefined : 'weak';
}

/** The registry class concept a call of its factory makes (`createEngine(d)`, `core.createEngine(d)`, a renamed import). */
function factoryConcept(call: ts.CallExpression, factories: ReadonlyMap<string, string>): string | undefined {
  if (factories.size === 0) return undefined;
  const callee = unwrap(call.expression);
  if (ts.isIdentifier(callee)) return factories.get(callee.text);
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? factories.get(callee.name.text) : undefined;
}

/** The registry's class factories by the names this file calls them: their own, and the local names of renamed imports. */
function localFactories(sourceFile: ts.SourceFile, registry: Registry): ReadonlyMap<string, string> {
  const byName = registry.classFactories;
  if (byName.size === 0) return byName;
  let local: Map<string, string> | undefined;
  for (const statement of sourceFile.statements) {
    const bindings = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : undefined;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      const concept = element.propertyName === undefined ? undefined : byName.get(element.propertyName.text);
      if (concept !== undefined) (local ??= new Map(byName)).set(element.name.text, concept);
    }
  }
  return local ?? byName;
}

/** Module constants a file does not export, by name, with their values. */
function localConstants(sourceFile: ts.SourceFile, exported: ReadonlySet<string>): Map<string, ts.Expression> {
  const constants = new Map<string, ts.Expression>();
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const) || hasModifier(statement, ts.SyntaxKind.ExportKeyword)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined && !exported.has(declaration.name.text)) constants.set(declaration.name.text, declaration.initializer);
    }
  }
  return constants;
}

/**
 * Where an exported value stands, which decides what the per-file rule reports and what it
 * leaves to the type pass (cross-module-singletons, which reads `export const x = f()` and
 * `export default new X()` of an imported name through the checker): `declared` is the value of
 * `export const x = …` (a registry factory's call there is the type pass's), `default` the
 * expression of `export default …` (a registry class's `new` there is the type pass's),
 * `commonjs` a value given to `module.exports`, `exports.x` or `export =` (the type pass reads
 * none), and `nested` one inside an object or array literal, a freeze, a destructuring pattern or
 * a constant exported by name (`export { x }`), where the type pass sees nothing.
 */
type ExportRoute = 'declared' | 'default' | 'commonjs' | 'nested';

/**
 * The class of the instance an exported value is or holds: a `new` of a stateful class of this
 * module or of a registry class, or a call of a registry class's factory, also frozen, inside
 * object and array literals, or through a module constant such a literal names.
 */
function exportedInstanceClass(expression: ts.Expression, scope: InstanceScope, route: ExportRoute, depth: number): string | undefined {
  const { value, frozen } = throughWrappers(expression);
  // `Object.freeze(new X())` is no construction the type pass reads (`await` is)
  const at: ExportRoute = frozen ? 'nested' : route;
  if (ts.isNewExpression(value)) {
    if (!ts.isIdentifier(value.expression)) return undefined;
    const className = value.expression.text;
    if (scope.statefulHere.has(className)) return className;
    return at !== 'default' && scope.registry.matchName(className)?.concept.kind === 'class' ? className : undefined;
  }
  if (ts.isCallExpression(value)) return at === 'nested' || at === 'commonjs' ? factoryConcept(value, scope.factories()) : undefined;
  if (depth >= MAX_NESTING) return undefined;
  if (ts.isObjectLiteralExpression(value)) {
    for (const property of value.properties) {
      const held = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
      const className = held === undefined ? undefined : exportedInstanceClass(held, scope, 'nested', depth + 1);
      if (className !== undefined) return className;
    }
  } else if (ts.isArrayLiteralExpression(value)) {
    for (const element of value.elements) {
      const className = ts.isSpreadElement(element) || ts.isOmittedExpression(element) ? undefined : exportedInstanceClass(element, scope, 'nested', depth + 1);
      if (className !== undefined) return className;
    }
  } else if (ts.isIdentifier(value) && depth > 0) {
    // `export const services = { tracker }` of a module constant `tracker` that is not exported itself
    const constant = scope.localConstants().get(value.text);
    if (constant !== undefined) return exportedInstanceClass(constant, scope, 'nested', depth + 1);
  }
  return undefined;
}

/**
 * The names a declaration binds with the values they get where the initializer is written out:
 * `const [a] = [x]` binds a to x, `const { a } = { a: x }` binds a to x (nested: the type pass
 * sees no pattern). A name whose value is not written out is left out.
 */
function boundValues(name: ts.BindingName, initializer: ts.Expression, nested = false): { identifier: ts.Identifier; value: ts.Expression; nested: boolean }[] {
  if (ts.isIdentifier(name)) return [{ identifier: name, value: initializer, nested }];
  const value = passThrough(initializer);
  const result: { identifier: ts.Identifier; value: ts.Expression; nested: boolean }[] = [];
  if (ts.isArrayBindingPattern(name) && ts.isArrayLiteralExpression(value)) {
    name.elements.forEach((element, index) => {
      const held = value.elements[index];
      if (ts.isOmittedExpression(element) || element.dotDotDotToken !== undefined || held === undefined || ts.isSpreadElement(held) || ts.isOmittedExpression(held)) return;
      result.push(...boundValues(element.name, held, true));
    });
  } else if (ts.isObjectBindingPattern(name) && ts.isObjectLiteralExpression(value)) {
    for (const element of name.elements) {
      const key = element.propertyName ?? (ts.isIdentifier(element.name) ? element.name : undefined);
      const keyText = key === undefined || !(ts.isIdentifier(key) || ts.isStringLiteralLike(key)) ? undefined : key.text;
      if (keyText === undefined || element.dotDotDotToken !== undefined) continue;
      const property = value.properties.find((candidate) => (ts.isPropertyAssignment(candidate) || ts.isShorthandPropertyAssignment(candidate)) && memberName(candidate.name) === keyText);
      const held = property === undefined ? undefined : ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
      if (held !== undefined) result.push(...boundValues(element.name, held, true));
    }
  }
  return result;
}

/** `module.exports`, `module.exports.x`, `module.exports['x']`, `exports.x`: what a CommonJS module gives its importers. */
function isCommonJsExport(target: ts.Expression): boolean {
  if (ts.isPropertyAccessExpression(target) && ts.isIdentifier(target.expression) && target.expression.text === 'module' && target.name.text === 'exports') return true;
  if (!ts.isPropertyAccessExpression(target) && !ts.isElementAccessExpression(target)) return false;
  const owner = unwrap(target.expression);
  return (ts.isIdentifier(owner) && owner.text === 'exports') || isCommonJsExport(owner);
}

/** `exports` itself (`module.exports` is isCommonJsExport's). */
function isExportsObject(expression: ts.Expression): boolean {
  const target = unwrap(expression);
  return ts.isIdentifier(target) && target.text === 'exports';
}

/** `x` in a function with a parameter x (also `deepFreeze(x)`): a value the function's caller hands in. */
function isParameterValue(expression: ts.Expression, at: ts.Node): boolean {
  const value = passThrough(expression);
  if (!ts.isIdentifier(value)) return false;
  for (let current: ts.Node | undefined = at.parent; current !== undefined && !ts.isSourceFile(current); current = current.parent) {
    if (ts.isFunctionLike(current) && current.parameters.some((parameter) => bindingIdentifiers(parameter.name).some((identifier) => identifier.text === value.text))) return true;
  }
  return false;
}

/**
 * The properties a definer call puts on its target: `Object.defineProperty(t, 'k', { value })`,
 * `Reflect.defineProperty` alike, `Reflect.set(t, 'k', value)`, `Object.defineProperties(t, { k:
 * { value } })` and `Object.assign(t, { k: value })` (object literals only).
 */
function globalDefinitions(definer: string, call: ts.CallExpression, rest: readonly ts.Expression[]): { node: ts.Node; key: ts.Node; value: ts.Expression }[] {
  const [first, second] = rest;
  const descriptorValue = (descriptor: ts.Expression | undefined): ts.Expression | undefined => {
    const literal = descriptor === undefined ? undefined : unwrap(descriptor);
    if (literal === undefined || !ts.isObjectLiteralExpression(literal)) return undefined;
    const property = literal.properties.find((candidate) => ts.isPropertyAssignment(candidate) && memberName(candidate.name) === 'value');
    return property !== undefined && ts.isPropertyAssignment(property) ? property.initializer : undefined;
  };
  const properties = (literal: ts.Expression | undefined): ts.PropertyAssignment[] => {
    const object = literal === undefined ? undefined : unwrap(literal);
    return object !== undefined && ts.isObjectLiteralExpression(object) ? object.properties.filter(ts.isPropertyAssignment) : [];
  };
  if (first === undefined) return [];
  if (definer === 'Reflect.set') return second === undefined ? [] : [{ node: call, key: first, value: second }];
  if (definer === 'Object.defineProperty' || definer === 'Reflect.defineProperty') {
    const value = descriptorValue(second);
    return value === undefined ? [] : [{ node: call, key: first, value }];
  }
  if (definer === 'Object.defineProperties') {
    return properties(first).flatMap((property) => {
      const value = descriptorValue(property.initializer);
      return value === undefined ? [] : [{ node: property.name, key: property.name, value }];
    });
  }
  // Object.assign(target, …sources)
  return rest.flatMap((source) => properties(source).map((property) => ({ node: property.name, key: property.name, value: property.initializer })));
}

/** `globalThis.__registry`, `globalThis['a-b']`, `g[KEY]`: how the rule names a property defined on a global. */
function propertyPath(target: string, key: ts.Node, sourceFile: ts.SourceFile): string {
  const text = ts.isIdentifier(key) || ts.isStringLiteralLike(key) ? key.text : undefined;
  if (text !== undefined && /^[A-Za-z_$][\w$]*$/.test(text)) return `${target}.${text}`;
  return `${target}[${key.getText(sourceFile)}]`;
}

/**
 * A `let` declared as a primitive (`let verbose = false`, `let retries: number`) stays one:
 * later assignments of call results are values of the same kind (a flag set from argv), not
 * instances. One starting as null or undefined may still become a lazily created instance.
 */
function isPrimitiveHolder(declaration: ts.VariableDeclaration): boolean {
  const type = declaration.type;
  if (type !== undefined && isPrimitiveType(type)) return true;
  const initializer = declaration.initializer === undefined ? undefined : unwrap(declaration.initializer);
  if (initializer === undefined) return false;
  if (ts.isPrefixUnaryExpression(initializer)) return ts.isNumericLiteral(initializer.operand) || ts.isBigIntLiteral(initializer.operand);
  return (
    initializer.kind === ts.SyntaxKind.TrueKeyword ||
    initializer.kind === ts.SyntaxKind.FalseKeyword ||
    ts.isNumericLiteral(initializer) ||
    ts.isBigIntLiteral(initializer) ||
    ts.isStringLiteralLike(initializer) ||
    ts.isTemplateExpression(initializer)
  );
}

/**
 * A `let defaultConfig = merge(…)` with a setter holds settings, plain data a caller may replace,
 * not an object with behaviour; only `new` makes such a name an instance holder.
 */
function isSettingsHolder(declaration: ts.VariableDeclaration): boolean {
  if (!ts.isIdentifier(declaration.name) || !/(config|configuration|options|settings|defaults|preferences)$/i.test(declaration.name.text)) return false;
  const initializer = declaration.initializer === undefined ? undefined : unwrap(declaration.initializer);
  return initializer === undefined || !ts.isNewExpression(initializer);
}

function isPrimitiveType(type: ts.TypeNode): boolean {
  const PRIMITIVE_KEYWORDS = [ts.SyntaxKind.BooleanKeyword, ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword, ts.SyntaxKind.BigIntKeyword];
  if (PRIMITIVE_KEYWORDS.includes(type.kind)) return true;
  if (ts.isLiteralTypeNode(type)) return type.literal.kind !== ts.SyntaxKind.NullKeyword;
  if (ts.isUnionTypeNode(type)) {
    // `string | undefined`: a value not yet computed is still a primitive
    const defined = type.types.filter((member) => member.kind !== ts.SyntaxKind.UndefinedKeyword && !(ts.isLiteralTypeNode(member) && member.literal.kind === ts.SyntaxKind.NullKeyword));
    return defined.length > 0 && defined.every((member) => isPrimitiveType(member));
  }
  return false;
}

function isStaticHolder(member: ts.PropertyDeclaration, className: string): boolean {
  if (!hasModifier(member, ts.SyntaxKind.StaticKeyword)) return false;
  if (HOLDER_NAME.test(memberName(member.name))) return true;
  // `static readonly empty = new TextRange(…)` is a constant value of the class, never replaced: not a holder
  if (hasModifier(member, ts.SyntaxKind.ReadonlyKeyword)) return false;
  if (member.type !== undefined && mentionsType(member.type, className)) return true;
  const initializer = member.initializer === undefined ? undefined : unwrap(member.initializer);
  return initializer !== undefined && ts.isNewExpression(initializer) && ts.isIdentifier(initializer.expression) && initializer.expression.text === className;
}

function mentionsType(type: ts.TypeNode, className: string): boolean {
  if (ts.isTypeReferenceNode(type)) return ts.isIdentifier(type.typeName) && type.typeName.text === className;
  if (ts.isUnionTypeNode(type)) return type.types.some((member) => mentionsType(member, className));
  if (ts.isParenthesizedTypeNode(type)) return mentionsType(type.type, className);
  return false;
}

function memberName(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name) ? name.text.replace(/^#/, '') : '';
}

function hasMutableState(node: ts.ClassDeclaration, javaScript: boolean): boolean {
  return (
    node.members.some(
      (member) =>
        (ts.isPropertyDeclaration(member) && !hasModifier(member, ts.SyntaxKind.StaticKeyword) && !hasModifier(member, ts.SyntaxKind.ReadonlyKeyword)) ||
        (ts.isConstructorDeclaration(member) &&
          member.parameters.some((parameter) => ts.isParameterPropertyDeclaration(parameter, member) && !hasModifier(parameter, ts.SyntaxKind.ReadonlyKeyword))),
    ) ||
    // TypeScript declares every field a method assigns: a readonly one stays, another is found above
    (javaScript && assignsOwnField(node))
  );
}

/**
 * `this.n = 0` in a constructor or method (the statements of its body): JavaScript declares a
 * class's fields so, and such a field can change unless it is declared readonly.
 */
function assignsOwnField(node: ts.ClassDeclaration): boolean {
  let readonlyFields: Set<string> | undefined;
  for (const member of node.members) {
    if (!(ts.isConstructorDeclaration(member) || ts.isMethodDeclaration(member) || ts.isSetAccessorDeclaration(member)) || member.body === undefined) continue;
    if (hasModifier(member, ts.SyntaxKind.StaticKeyword)) continue;
    for (const statement of member.body.statements) {
      if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression) || !ASSIGNMENTS.has(statement.expression.operatorToken.kind)) continue;
      const target = unwrap(statement.expression.left);
      if (!ts.isPropertyAccessExpression(target) || target.expression.kind !== ts.SyntaxKind.ThisKeyword) continue;
      readonlyFields ??= new Set(
        node.members.flatMap((field) => (ts.isPropertyDeclaration(field) && hasModifier(field, ts.SyntaxKind.ReadonlyKeyword) ? [memberName(field.name)] : [])),
      );
      if (!readonlyFields.has(memberName(target.name))) return true;
    }
  }
  return false;
}

/** For the memoized check, where any call counts (the factories only make a call surer). */
const NO_FACTORIES: ReadonlyMap<string, string> = new Map();
const noFactories = (): ReadonlyMap<string, string> => NO_FACTORIES;

/** Wrappers that call their function once and keep the result. */
const MEMOIZERS = /^(memoize|memoizeOne|memo|once|lazy|cached?|singleton|shared)$/i;

/** `memoize(() => new Client())`, `once(() => createClient())`: one instance kept for the process behind a function. */
function isMemoizedInstance(value: ts.Expression): boolean {
  if (!ts.isCallExpression(value)) return false;
  const callee = unwrap(value.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  if (!MEMOIZERS.test(name)) return false;
  const [first] = value.arguments;
  const fn = first === undefined ? undefined : unwrap(first);
  if (fn === undefined || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  // `lazy(() => import('./Page'))` loads a module on first use: the module system keeps it, not this file
  if (!ts.isBlock(fn.body)) return instanceEvidence(fn.body, noFactories) !== undefined && !isDynamicImport(fn.body);
  return fn.body.statements.some((statement) => ts.isReturnStatement(statement) && statement.expression !== undefined && instanceEvidence(statement.expression, noFactories) !== undefined);
}

function isDynamicImport(expression: ts.Expression): boolean {
  const value = unwrap(expression);
  return ts.isCallExpression(value) && value.expression.kind === ts.SyntaxKind.ImportKeyword;
}

function isGlobalAlias(expression: ts.Expression, aliases: ReadonlySet<string>): boolean {
  const target = unwrap(expression);
  return ts.isIdentifier(target) && aliases.has(target.text);
}

function isGlobalObject(expression: ts.Expression): boolean {
  const target = unwrap(expression);
  return ts.isIdentifier(target) && GLOBAL_OBJECTS.has(target.text);
}
