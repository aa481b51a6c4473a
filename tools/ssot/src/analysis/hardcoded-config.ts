import ts from 'typescript';
import { moduleCallSpecifier, unwrap } from './ast';
import { SUBSTITUTION, findEndpoint } from './endpoints';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';

const PROCESS_MODULES = new Set(['process', 'node:process']);
/** String and template literals (endpoints) and the ways of reaching process.env. */
const VISITED_KINDS: readonly ts.SyntaxKind[] = [
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateExpression,
  ts.SyntaxKind.PropertyAccessExpression,
  ts.SyntaxKind.ElementAccessExpression,
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.ImportDeclaration,
];

/**
 * Endpoints and environment reads belong to the config package: outside it, non-test source
 * may not hold a URL with a scheme and a literal host, a host:port pair or a loopback address
 * in a string or template literal, nor read process.env (however it is spelled).
 */
export const hardcodedConfig: FileRule = defineFileRule({
  id: 'no-hardcoded-config',
  description: 'Endpoints and environment variables are read only by the config package',
  messages: {
    url: 'hard-coded endpoint {{value}}: take it from the configuration ({{configPackage}})',
    hostPort: 'hard-coded host:port {{value}}: take it from the configuration ({{configPackage}})',
    loopback: 'hard-coded address {{value}}: take it from the configuration ({{configPackage}})',
    processEnv: 'process.env is read only by {{configPackage}}: take the setting from its loadConfig() instead',
  },
  fixable: false,
  appliesTo: (file, registry) => file.role === 'source' && (registry.configPackage === undefined || file.pkg?.name !== registry.configPackage),
  visit({ sourceFile, registry }: AnalysisInput): FileVisit {
    const configPackage = registry.configPackage ?? 'the config package';
    const hint = `read it from loadConfig() in ${configPackage}`;
    const findings: FileFinding[] = [];
    const report = (node: ts.Node, messageId: string, subject: string, value: string): void => {
      findings.push({
        rule: 'no-hardcoded-config',
        messageId,
        data: { value, configPackage },
        start: node.getStart(sourceFile),
        end: node.getEnd(),
        subject,
        hint,
      });
    };
    const checkText = (node: ts.Node, text: string): void => {
      const match = findEndpoint(text, (url) => registry.isAllowedUrl(url));
      if (match) report(node, match.kind, match.value, match.value);
    };

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
          if (!isModuleName(node)) checkText(node, node.text);
        } else if (ts.isTemplateExpression(node)) {
          checkText(node, [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(SUBSTITUTION));
        } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isProcess(node.expression)) {
          report(node, 'processEnv', 'process.env', 'process.env');
        } else if (ts.isElementAccessExpression(node) && isStringValue(node.argumentExpression, 'env') && isProcess(node.expression)) {
          report(node, 'processEnv', 'process.env', 'process.env');
        } else if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer && isProcess(node.initializer)) {
          for (const element of node.name.elements) {
            const key = element.propertyName ?? element.name;
            if ((ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === 'env') report(element, 'processEnv', 'process.env', 'process.env');
          }
        } else if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && PROCESS_MODULES.has(node.moduleSpecifier.text)) {
          const bindings = node.importClause?.namedBindings;
          if (bindings && ts.isNamedImports(bindings)) {
            for (const element of bindings.elements) {
              if ((element.propertyName ?? element.name).text === 'env') report(element, 'processEnv', 'process.env', 'process.env');
            }
          }
        }
      },
      findings: () => findings,
    };
  },
});

/** Module specifiers and ambient module names are paths, not endpoints. */
function isModuleName(node: ts.StringLiteralLike): boolean {
  const parent = node.parent;
  return (
    ((ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) && parent.moduleSpecifier === node) ||
    ts.isExternalModuleReference(parent) ||
    (ts.isModuleDeclaration(parent) && parent.name === node) ||
    (ts.isLiteralTypeNode(parent) && ts.isImportTypeNode(parent.parent)) ||
    (ts.isCallExpression(parent) && moduleCallSpecifier(parent) === node)
  );
}

function isProcess(expression: ts.Expression): boolean {
  const target = unwrap(expression);
  if (ts.isIdentifier(target)) return target.text === 'process';
  return (
    ts.isPropertyAccessExpression(target) &&
    target.name.text === 'process' &&
    ts.isIdentifier(unwrap(target.expression)) &&
    ['globalThis', 'global'].includes((unwrap(target.expression) as ts.Identifier).text)
  );
}

function isStringValue(expression: ts.Expression, value: string): boolean {
  return ts.isStringLiteralLike(expression) && expression.text === value;
}
