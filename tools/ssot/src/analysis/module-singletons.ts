import ts from 'typescript';
import { bindingIdentifiers, hasModifier, unwrap } from './ast';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';

const HOLDER_NAME = /^_*(instance|singleton|sharedInstance|shared|defaultInstance|current)$/i;
const GET_INSTANCE = /^(getInstance|getSingleton|getSharedInstance|sharedInstance)$/;
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);
/** Calls that return primitives, so a `let` holding their result is a counter or a time, not an instance. */
const PRIMITIVE_CALLS = new Set(['Number', 'String', 'Boolean', 'BigInt', 'Symbol', 'parseInt', 'parseFloat', 'Date.now', 'performance.now', 'JSON.stringify']);
const ASSIGNMENTS = new Set([
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
]);
const HINT = 'register it in the dependency-injection container (tsyringe) and inject it where it is needed';
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
    moduleVariable: 'module-level {{declaration}} {{name}} holds one instance for the whole process: register it in the container instead',
    staticHolder: 'static {{name}} of {{className}} holds one instance for the whole process: register it in the container instead',
    getInstance: '{{className}}.{{name}}() hands out one cached instance for the whole process: register it in the container instead',
    globalHolder: 'assigning an instance to {{name}} makes it process-wide: register it in the container instead',
  },
  fixable: false,
  appliesTo: (file) => file.role === 'source',
  visit({ sourceFile }: AnalysisInput): FileVisit {
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
      hint: HINT,
    });
    const assignedInstance = new Set<string>();

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
          } else if ((ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) && isGlobalObject(target.expression)) {
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
            for (const identifier of bindingIdentifiers(declaration.name)) {
              if (initialized || assignedInstance.has(identifier.text)) {
                findings.push(finding(identifier, 'moduleVariable', identifier.text, { declaration: declarationWord, name: identifier.text }));
              }
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
  return !PRIMITIVE_CALLS.has(name) && !name.startsWith('Math.');
}

function isStaticHolder(member: ts.PropertyDeclaration, className: string): boolean {
  if (!hasModifier(member, ts.SyntaxKind.StaticKeyword)) return false;
  if (HOLDER_NAME.test(memberName(member.name))) return true;
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

function isGlobalObject(expression: ts.Expression): boolean {
  const target = unwrap(expression);
  return ts.isIdentifier(target) && GLOBAL_OBJECTS.has(target.text);
}
