import ts from 'typescript';
import type { Registry } from '../registry';
import type { FileContext } from '../workspace-model';
import { bindingIdentifiers, declarationKind, hasModifier, locallyExportedNames } from './ast';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';

/** The kinds of node canonical-definitions looks at. */
const VISITED_KINDS: readonly ts.SyntaxKind[] = [
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.ModuleDeclaration,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.VariableStatement,
  ts.SyntaxKind.ExportDeclaration,
];

/**
 * A class, interface, type, enum or namespace (at any depth), or an exported const or function,
 * whose name is a canonical concept or a legacy alias, declared outside the concept's owner.
 * Re-exporting under the same name is not a definition; exporting another symbol under a
 * canonical name (`export { X as ConnectionInfo }`) is.
 */
export const canonicalDefinitions: FileRule = defineFileRule({
  id: 'canonical-definitions',
  description: 'One definition per concept: canonical names and legacy aliases are declared only by their owner package',
  messages: {
    definition: "{{kind}} {{name}} redefines a canonical concept owned by {{owner}}: import it from '{{entry}}' instead",
    alias: "{{kind}} {{name}} defines a legacy alias of {{canonical}} outside its owner {{owner}}: import {{canonical}} from '{{entry}}' instead",
    exportedAs: "export of {{local}} as {{name}} gives a canonical name owned by {{owner}} to another symbol: import {{canonical}} from '{{entry}}' instead",
  },
  fixable: false,
  appliesTo: () => true,
  visit({ sourceFile, file, registry }: AnalysisInput): FileVisit {
    const findings: FileFinding[] = [];
    const exportedLocals = locallyExportedNames(sourceFile);
    const check = (nameNode: ts.Node, name: string, declaration: ts.Node): void => {
      const finding = definitionFinding(registry, file, name, declaration, nameNode, sourceFile);
      if (finding) findings.push(finding);
    };
    const isTopLevelExported = (node: ts.Node, name: string): boolean =>
      hasModifier(node, ts.SyntaxKind.ExportKeyword) || (node.parent === sourceFile && exportedLocals.has(name));

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (
          (ts.isClassDeclaration(node) || ts.isClassExpression(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node)) &&
          node.name !== undefined
        ) {
          check(node.name, node.name.text, node);
        } else if (ts.isModuleDeclaration(node) && ts.isIdentifier(node.name)) {
          check(node.name, node.name.text, node);
        } else if (ts.isFunctionDeclaration(node) && node.name !== undefined && isTopLevelExported(node, node.name.text)) {
          check(node.name, node.name.text, node);
        } else if (ts.isVariableStatement(node)) {
          for (const declaration of node.declarationList.declarations) {
            for (const identifier of bindingIdentifiers(declaration.name)) {
              if (isTopLevelExported(node, identifier.text)) check(identifier, identifier.text, declaration);
            }
          }
        } else if (ts.isExportDeclaration(node) && node.exportClause !== undefined) {
          if (ts.isNamespaceExport(node.exportClause)) {
            const finding = exportedAsFinding(registry, file, '*', node.exportClause.name, sourceFile);
            if (finding) findings.push(finding);
          } else {
            for (const element of node.exportClause.elements) {
              const local = element.propertyName?.text;
              if (local === undefined || local === element.name.text) continue;
              const finding = exportedAsFinding(registry, file, local, element.name, sourceFile);
              if (finding) findings.push(finding);
            }
          }
        }
      },
      findings: () => findings,
    };
  },
});

function definitionFinding(
  registry: Registry,
  file: FileContext,
  name: string,
  declaration: ts.Node,
  nameNode: ts.Node,
  sourceFile: ts.SourceFile,
): FileFinding | undefined {
  const match = registry.matchName(name);
  if (match === undefined || file.pkg?.name === match.concept.owner) return undefined;
  const kind = declarationKind(declaration);
  const entry = registry.entryOf(match.concept);
  return {
    rule: 'canonical-definitions',
    messageId: match.role === 'alias' ? 'alias' : 'definition',
    data: { kind, name, owner: match.concept.owner, entry, canonical: match.canonicalName },
    start: nameNode.getStart(sourceFile),
    end: nameNode.getEnd(),
    subject: name,
    hint: `delete this ${kind} and import { ${match.canonicalName} } from '${entry}'`,
  };
}

function exportedAsFinding(
  registry: Registry,
  file: FileContext,
  local: string,
  exported: ts.ModuleExportName,
  sourceFile: ts.SourceFile,
): FileFinding | undefined {
  const match = registry.matchName(exported.text);
  if (match === undefined || file.pkg?.name === match.concept.owner) return undefined;
  const entry = registry.entryOf(match.concept);
  return {
    rule: 'canonical-definitions',
    messageId: 'exportedAs',
    data: { local, name: exported.text, owner: match.concept.owner, entry, canonical: match.canonicalName },
    start: exported.getStart(sourceFile),
    end: exported.getEnd(),
    subject: exported.text,
    hint: `remove this export and import { ${match.canonicalName} } from '${entry}' where it is used`,
  };
}
