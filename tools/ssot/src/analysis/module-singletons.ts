import ts from 'typescript';
import { bindingIdentifiers, hasModifier, unwrap } from './ast';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';

const HOLDER_NAME = /^_*(instance|singleton|sharedInstance|shared|defaultInstance|current)$/i;
const GET_INSTANCE = /^(getInstance|getSingleton|getSharedInstance|sharedInstance)$/;
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);
/**
 * Calls that return primitives or plain data, so a `let` holding their result is a counter, a
 * flag, a time or a frozen settings object, not an instance of anything.
 */
const PRIMITIVE_CALLS = new Set([
  'Number', 'String', 'Boolean', 'BigInt', 'Symbol', 'parseInt', 'parseFloat', 'Date.now', 'performance.now', 'JSON.stringify',
  'JSON.parse', 'structuredClone', 'Object.freeze', 'Object.assign', 'Object.fromEntries', 'Object.keys', 'Object.values', 'Object.entries',
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
/** Classes (static holders, getInstance) and assignments (to module variables or globals). */
const VISITED_KINDS: readonly ts.SyntaxKind[] = [ts.SyntaxKind.ClassDeclaration, ts.SyntaxKind.ClassExpression, ts.SyntaxKind.BinaryExpression];

/**
 * Module-level mutable holders of instances: a top-level `let`/`var` that holds (or is later
 * assigned) a `new` or a call result, including one inside a module-level IIFE; a static
 * field that holds the class's own instance (`static instance`); a static getInstance() with
 * no such field; and instances parked on globalThis. Each holder is reported once.
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
    const assignedInstance = new Set<string>();
    // `const g = globalThis` (or `global as any`): a property set on g is set on the global object
    const globalAliases = new Set<string>();
    for (const statement of sourceFile.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined && isGlobalObject(declaration.initializer)) globalAliases.add(declaration.name.text);
      }
    }
    // classes of this module whose instances carry state that can change (a field that is not readonly)
    const statefulHere = new Set(
      sourceFile.statements.flatMap((statement) => (ts.isClassDeclaration(statement) && statement.name !== undefined && hasMutableState(statement) ? [statement.name.text] : [])),
    );

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
        } else if (ts.isBinaryExpression(node) && ASSIGNMENTS.has(node.operatorToken.kind) && isInstanceExpression(node.right)) {
          const target = unwrap(node.left);
          if (ts.isIdentifier(target)) {
            assignedInstance.add(target.text);
          } else if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && (isGlobalObject(target.expression) || isGlobalAlias(target.expression, globalAliases))) {
            const name = target.getText(sourceFile);
            nodeFindings.push(finding(target, 'globalHolder', name, { name }));
          }
        }
      },
      findings() {
        const findings: FileFinding[] = [];
        for (const statement of moduleScopeStatements(sourceFile.statements)) {
          if (!ts.isVariableStatement(statement) || statement.declarationList.flags & ts.NodeFlags.Const) continue;
          const declarationWord = statement.declarationList.flags & ts.NodeFlags.Let ? 'let' : 'var';
          for (const declaration of statement.declarationList.declarations) {
            const initialized = declaration.initializer !== undefined && isInstanceExpression(declaration.initializer);
            const primitive = isPrimitiveHolder(declaration) || isSettingsHolder(declaration);
            for (const identifier of bindingIdentifiers(declaration.name)) {
              if (!primitive && (initialized || assignedInstance.has(identifier.text))) {
                findings.push(finding(identifier, 'moduleVariable', identifier.text, { declaration: declarationWord, name: identifier.text }));
              }
            }
          }
        }
        for (const statement of sourceFile.statements) {
          if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
          const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
          for (const declaration of statement.declarationList.declarations) {
            if (!ts.isIdentifier(declaration.name) || declaration.initializer === undefined) continue;
            const value = unwrap(declaration.initializer);
            const name = declaration.name.text;
            if (isMemoizedInstance(value)) {
              findings.push(finding(declaration.name, 'memoized', name, { name }));
            } else if (exported && ts.isNewExpression(value) && ts.isIdentifier(value.expression)) {
              // an exported instance of a stateful class of this module, or of a registry concept, is the module's
              // singleton; one of a class with only readonly fields (a descriptor, a script) is a constant
              const className = value.expression.text;
              if (statefulHere.has(className) || registry.matchName(className)?.concept.kind === 'class') findings.push(finding(declaration.name, 'exportedInstance', name, { name, className }));
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

function isInstanceExpression(expression: ts.Expression): boolean {
  let value = unwrap(expression);
  if (ts.isAwaitExpression(value)) value = unwrap(value.expression);
  if (ts.isNewExpression(value) || ts.isClassExpression(value)) return true;
  if (!ts.isCallExpression(value)) return false;
  const callee = unwrap(value.expression);
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
      ? `${callee.expression.text}.${callee.name.text}`
      : '';
  if (ts.isPropertyAccessExpression(callee) && PRIMITIVE_METHODS.test(callee.name.text)) return false;
  return !PRIMITIVE_CALLS.has(name) && !name.startsWith('Math.');
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

function hasMutableState(node: ts.ClassDeclaration): boolean {
  return node.members.some(
    (member) =>
      (ts.isPropertyDeclaration(member) && !hasModifier(member, ts.SyntaxKind.StaticKeyword) && !hasModifier(member, ts.SyntaxKind.ReadonlyKeyword)) ||
      (ts.isConstructorDeclaration(member) &&
        member.parameters.some((parameter) => ts.isParameterPropertyDeclaration(parameter, member) && !hasModifier(parameter, ts.SyntaxKind.ReadonlyKeyword))),
  );
}

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
  if (!ts.isBlock(fn.body)) return isInstanceExpression(fn.body) && !isDynamicImport(fn.body);
  return fn.body.statements.some((statement) => ts.isReturnStatement(statement) && statement.expression !== undefined && isInstanceExpression(statement.expression));
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
