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
  /** Functions of this module by name, with the expressions they return: a module value made by calling one is what it returns; computed on first use. */
  localFunctions(): ReadonlyMap<string, readonly ts.Expression[]>;
  /** A JavaScript file, where a class declares its fields by assigning `this.x`. */
  javaScript: boolean;
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
    filledCollection: 'module-level {{name}} is filled with an instance of {{className}} when the module loads: one for the whole process',
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
    let functions: ReadonlyMap<string, readonly ts.Expression[]> | undefined;
    const scope: InstanceScope = {
      factories,
      statefulHere,
      registry,
      localConstants: () => (constants ??= localConstants(sourceFile, exportedNames())),
      localFunctions: () => (functions ??= localFunctions(sourceFile)),
      javaScript,
    };
    // a static field's value that makes it a holder: a `new` of the class itself, of a stateful class of this module or of a registry class
    const isStaticInstance = (expression: ts.Expression, className: string): boolean => {
      const value = passThrough(expression);
      if (!ts.isNewExpression(value)) return false;
      const constructed = unwrap(value.expression);
      if (ts.isClassExpression(constructed)) return hasMutableState(constructed, javaScript);
      if (!ts.isIdentifier(constructed)) return false;
      return constructed.text === className || statefulHere.has(constructed.text) || registry.matchName(constructed.text)?.concept.kind === 'class';
    };
    // module-level Maps, Sets and arrays by name, with the methods that put a value in them; computed on first use
    let collections: ReadonlyMap<string, CollectionKind> | undefined;
    // collections already reported as filled with an instance: each is reported once
    const filledCollections = new Set<string>();

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isClassLike(node)) {
          const className = node.name?.text ?? '(anonymous class)';
          const holder =
            node.members.find((member) => ts.isPropertyDeclaration(member) && isStaticHolder(member, className, isStaticInstance))?.name ??
            staticBlockHolder(node, className, isStaticInstance);
          if (holder !== undefined) {
            nodeFindings.push(finding(holder, 'staticHolder', `${className}.${memberName(holder)}`, { name: memberName(holder), className }));
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
          if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return;
          if (node.parent === sourceFile && COLLECTION_METHODS.has(callee.name.text)) {
            // `box.set('default', new Reg())` at load: a module-level Map, Set or array that holds an instance is its holder
            const name = callee.expression.text;
            const kind = (collections ??= moduleCollections(sourceFile)).get(name);
            if (kind === undefined || filledCollections.has(name)) return;
            for (const value of collectedValues(kind, callee.name.text, call.arguments)) {
              // depth 1: a module constant put in it (`box.set('a', reg)`) is followed to its value
              const className = exportedInstanceClass(value, scope, 'nested', 1);
              if (className === undefined) continue;
              filledCollections.add(name);
              nodeFindings.push(finding(call, 'filledCollection', name, { name, className }));
              return;
            }
            return;
          }
          if (DEFINERS.get(callee.expression.text)?.has(callee.name.text) !== true) return;
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
            if (ts.isIdentifier(declaration.name) && isMemoizedInstance(value, factories)) {
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

/** The functions a file declares at its top level (`function f`, `const f = () => …`), by name, with the values they return. */
function localFunctions(sourceFile: ts.SourceFile): Map<string, readonly ts.Expression[]> {
  const functions = new Map<string, readonly ts.Expression[]>();
  for (const statement of sourceFile.statements) {
    if (ts.isFunctionDeclaration(statement)) {
      if (statement.name !== undefined && statement.asteriskToken === undefined) functions.set(statement.name.text, returnedValues(statement));
    } else if (ts.isVariableStatement(statement) && statement.declarationList.flags & ts.NodeFlags.Const) {
      for (const declaration of statement.declarationList.declarations) {
        const fn = declaration.initializer === undefined ? undefined : unwrap(declaration.initializer);
        if (ts.isIdentifier(declaration.name) && fn !== undefined && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && fn.asteriskToken === undefined) {
          functions.set(declaration.name.text, returnedValues(fn));
        }
      }
    }
  }
  return functions;
}

/**
 * What a function returns: its expression body, or the values of the return statements of its
 * body itself (not of nested blocks), a variable of the body followed to its initializer (`const
 * pool = new Pool(); …; return pool`).
 */
function returnedValues(fn: ts.FunctionLikeDeclaration): ts.Expression[] {
  if (fn.body === undefined) return [];
  if (!ts.isBlock(fn.body)) return [fn.body];
  const statements = fn.body.statements;
  const initializerOf = (name: string): ts.Expression | undefined => {
    for (const statement of statements) {
      if (!ts.isVariableStatement(statement)) continue;
      const declaration = statement.declarationList.declarations.find((candidate) => ts.isIdentifier(candidate.name) && candidate.name.text === name);
      if (declaration !== undefined) return declaration.initializer;
    }
    return undefined;
  };
  return statements.flatMap((statement) => {
    if (!ts.isReturnStatement(statement) || statement.expression === undefined) return [];
    const returned = passThrough(statement.expression);
    return [(ts.isIdentifier(returned) ? initializerOf(returned.text) : undefined) ?? statement.expression];
  });
}

/**
 * The instance a getter or method of an object literal memoizes on the object: `get reg() {
 * return Object.defineProperty(this, 'reg', { value: new Reg() }).reg; }` (also with the value in
 * a const of the body, or `Reflect.defineProperty`) and `return (this._reg ??= new Reg())`. Only
 * the statements of the body itself are read.
 */
function memoizedOnThis(member: ts.GetAccessorDeclaration | ts.MethodDeclaration): ts.Expression | undefined {
  const statements = member.body?.statements;
  if (statements === undefined) return undefined;
  for (const statement of statements) {
    const expression = ts.isExpressionStatement(statement) ? statement.expression : ts.isReturnStatement(statement) ? statement.expression : undefined;
    if (expression === undefined) continue;
    // `Object.defineProperty(this, …).reg`: the call under the property read
    let value = unwrap(expression);
    while (ts.isPropertyAccessExpression(value) || ts.isElementAccessExpression(value)) value = unwrap(value.expression);
    if (ts.isBinaryExpression(value) && ASSIGNMENTS.has(value.operatorToken.kind)) {
      const target = unwrap(value.left);
      if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && target.expression.kind === ts.SyntaxKind.ThisKeyword) return value.right;
      continue;
    }
    if (!ts.isCallExpression(value)) continue;
    const callee = value.expression;
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression) || callee.name.text !== 'defineProperty') continue;
    const definer = `${callee.expression.text}.defineProperty`;
    const [target, ...rest] = value.arguments;
    if (target === undefined || unwrap(target).kind !== ts.SyntaxKind.ThisKeyword || !DEFINERS.get(callee.expression.text)?.has('defineProperty')) continue;
    const [definition] = globalDefinitions(definer, value, rest);
    if (definition === undefined) continue;
    // `{ value }` of a const of the body
    const held = unwrap(definition.value);
    if (!ts.isIdentifier(held)) return definition.value;
    for (const candidate of statements) {
      if (!ts.isVariableStatement(candidate)) continue;
      const declaration = candidate.declarationList.declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === held.text);
      if (declaration?.initializer !== undefined) return declaration.initializer;
    }
  }
  return undefined;
}

/** What a module-level collection is, which decides the methods that put a value in it. */
type CollectionKind = 'map' | 'set' | 'array';
const COLLECTION_METHODS = new Set(['set', 'add', 'push', 'unshift']);
const COLLECTION_CLASSES: ReadonlyMap<string, CollectionKind> = new Map([
  ['Map', 'map'],
  ['WeakMap', 'map'],
  ['Set', 'set'],
  ['WeakSet', 'set'],
  ['Array', 'array'],
]);

/**
 * The file's top-level constants made as a Map, Set or array (`const box = new Map()`, `const
 * list = []`), by name (a `let` made by `new` is reported as a module variable already).
 */
function moduleCollections(sourceFile: ts.SourceFile): Map<string, CollectionKind> {
  const collections = new Map<string, CollectionKind>();
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const value = declaration.initializer === undefined ? undefined : unwrap(declaration.initializer);
      if (!ts.isIdentifier(declaration.name) || value === undefined) continue;
      const kind = ts.isArrayLiteralExpression(value)
        ? 'array'
        : ts.isNewExpression(value) && ts.isIdentifier(value.expression)
          ? COLLECTION_CLASSES.get(value.expression.text)
          : undefined;
      if (kind !== undefined) collections.set(declaration.name.text, kind);
    }
  }
  return collections;
}

/** The values a call of a collection's method puts in it: a Map's `set(k, v)` v, a Set's `add(v)` v, an array's `push(…)`/`unshift(…)` arguments. */
function collectedValues(kind: CollectionKind, method: string, args: readonly ts.Expression[]): readonly ts.Expression[] {
  if (kind === 'map') return method === 'set' && args[1] !== undefined ? [args[1]] : [];
  if (kind === 'set') return method === 'add' && args[0] !== undefined ? [args[0]] : [];
  return method === 'push' || method === 'unshift' ? args.filter((arg) => !ts.isSpreadElement(arg)) : [];
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
    const constructed = unwrap(value.expression);
    // `new (class { count = 0; … })()`: an instance of a stateful class written in place
    if (ts.isClassExpression(constructed)) return hasMutableState(constructed, scope.javaScript) ? (constructed.name?.text ?? '(anonymous class)') : undefined;
    if (!ts.isIdentifier(constructed)) return undefined;
    const className = constructed.text;
    if (scope.statefulHere.has(className)) return className;
    return at !== 'default' && scope.registry.matchName(className)?.concept.kind === 'class' ? className : undefined;
  }
  if (ts.isCallExpression(value)) {
    const concept = at === 'nested' || at === 'commonjs' ? factoryConcept(value, scope.factories()) : undefined;
    if (concept !== undefined || depth >= MAX_NESTING) return concept;
    // `await makeReg()` of a function of this module (or an IIFE) that returns an instance: made once, at load
    const callee = unwrap(value.expression);
    const returned = ts.isIdentifier(callee) ? scope.localFunctions().get(callee.text) : ts.isArrowFunction(callee) || ts.isFunctionExpression(callee) ? returnedValues(callee) : undefined;
    for (const made of returned ?? []) {
      const className = exportedInstanceClass(made, scope, 'nested', depth + 1);
      if (className !== undefined) return className;
    }
    return undefined;
  }
  if (depth >= MAX_NESTING) return undefined;
  if (ts.isObjectLiteralExpression(value)) {
    for (const property of value.properties) {
      const held = ts.isPropertyAssignment(property)
        ? property.initializer
        : ts.isShorthandPropertyAssignment(property)
          ? property.name
          : ts.isGetAccessorDeclaration(property) || ts.isMethodDeclaration(property)
            ? memoizedOnThis(property)
            : undefined;
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
    const property = literal.properties.find((candidate) => (ts.isPropertyAssignment(candidate) || ts.isShorthandPropertyAssignment(candidate)) && memberName(candidate.name) === 'value');
    if (property === undefined) return undefined;
    return ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
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

/** Whether a static field's value is an instance that makes the field a holder (isStaticInstance in the rule's visit). */
type StaticInstanceTest = (expression: ts.Expression, className: string) => boolean;

function isStaticHolder(member: ts.PropertyDeclaration, className: string, isInstance: StaticInstanceTest): boolean {
  if (!hasModifier(member, ts.SyntaxKind.StaticKeyword)) return false;
  if (HOLDER_NAME.test(memberName(member.name))) return true;
  // `static readonly empty = new TextRange(…)` is a constant value of the class, never replaced: not a holder
  if (hasModifier(member, ts.SyntaxKind.ReadonlyKeyword)) return false;
  if (member.type !== undefined && mentionsType(member.type, className)) return true;
  return member.initializer !== undefined && isInstance(member.initializer, className);
}

/**
 * `static inst: Reg; static { Holder.inst = new Reg(); }`: a static field given its instance in a
 * static block (by the class's name or `this`), as if initialized with it; only the statements of
 * the block itself are read. The declared field is the holder (the assignment target when none is
 * declared); a readonly one is a constant, as its initializer would be.
 */
function staticBlockHolder(node: ts.ClassLikeDeclaration, className: string, isInstance: StaticInstanceTest): ts.PropertyName | undefined {
  for (const member of node.members) {
    if (!ts.isClassStaticBlockDeclaration(member)) continue;
    for (const statement of member.body.statements) {
      if (!ts.isExpressionStatement(statement)) continue;
      const assignment = unwrap(statement.expression);
      if (!ts.isBinaryExpression(assignment) || !ASSIGNMENTS.has(assignment.operatorToken.kind)) continue;
      const target = unwrap(assignment.left);
      if (!ts.isPropertyAccessExpression(target)) continue;
      const owner = unwrap(target.expression);
      if (!(owner.kind === ts.SyntaxKind.ThisKeyword || (ts.isIdentifier(owner) && owner.text === node.name?.text))) continue;
      if (!isInstance(assignment.right, className)) continue;
      const name = memberName(target.name);
      const declared = node.members.find((field) => ts.isPropertyDeclaration(field) && hasModifier(field, ts.SyntaxKind.StaticKeyword) && memberName(field.name) === name);
      if (declared === undefined) return target.name;
      if (!hasModifier(declared, ts.SyntaxKind.ReadonlyKeyword)) return declared.name;
    }
  }
  return undefined;
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

function hasMutableState(node: ts.ClassLikeDeclaration, javaScript: boolean): boolean {
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
function assignsOwnField(node: ts.ClassLikeDeclaration): boolean {
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

/**
 * `memoize(() => new Client())`, `once(() => createClient())`: one instance kept for the process
 * behind a function. `lazy` is also a deferred definition (`z.lazy(() => z.object(…))` is a
 * recursive schema, `lazy(() => import(…))` a component): behind it only a `new`, a class
 * expression or a registry class's factory counts, not any call.
 */
function isMemoizedInstance(value: ts.Expression, factories: () => ReadonlyMap<string, string>): boolean {
  if (!ts.isCallExpression(value)) return false;
  const callee = unwrap(value.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  if (!MEMOIZERS.test(name)) return false;
  const [first] = value.arguments;
  const fn = first === undefined ? undefined : unwrap(first);
  if (fn === undefined || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  const strongOnly = name.toLowerCase() === 'lazy';
  const makesInstance = (made: ts.Expression): boolean => {
    const evidence = instanceEvidence(made, strongOnly ? factories : noFactories);
    return strongOnly ? evidence === 'strong' : evidence !== undefined;
  };
  // `lazy(() => import('./Page'))` loads a module on first use: the module system keeps it, not this file
  if (!ts.isBlock(fn.body)) return makesInstance(fn.body) && !isDynamicImport(fn.body);
  return fn.body.statements.some((statement) => ts.isReturnStatement(statement) && statement.expression !== undefined && makesInstance(statement.expression));
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
