import ts from 'typescript';
import type { NameMatch, Registry } from '../registry';
import type { FileContext } from '../workspace-model';
import { bindingIdentifiers, declarationKind, hasModifier, locallyExportedNames, unwrap } from './ast';
import { type ExtensionRegistrations, extensionPointNames, extensionRegistrations, isRegisteredExtension } from './extension-points';
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
  ts.SyntaxKind.ExportAssignment,
  ts.SyntaxKind.HeritageClause,
];

/**
 * A class, interface, type, enum or namespace (at any depth), or an exported const or function,
 * whose name is a canonical concept or a legacy alias, declared outside the concept's owner.
 * Re-exporting under the same name is not a definition; exporting another symbol under a
 * canonical name (`export { X as ConnectionInfo }`) is. A declaration the file registers through
 * one of the concept's `extensionPoints` (`defineProtocolExtensions({ clientMessages: { ask: AskMessageSchema } })`)
 * is the application's own member of the family, not a second definition.
 */
export const canonicalDefinitions: FileRule = defineFileRule({
  id: 'canonical-definitions',
  description: 'One definition per concept: canonical names and legacy aliases are declared only by their owner package',
  messages: {
    definition: "{{kind}} {{name}} redefines a canonical concept owned by {{owner}}: import it from '{{entry}}' instead",
    alias: "{{kind}} {{name}} defines a legacy alias of {{canonical}} outside its owner {{owner}}: import {{canonical}} from '{{entry}}' instead",
    exportedAs: "export of {{local}} as {{name}} gives a canonical name owned by {{owner}} to another symbol: import {{canonical}} from '{{entry}}' instead",
    rename: '{{kind}} {{name}} is a second name for {{canonical}} (owned by {{owner}}), which the registry does not list as an alias: use {{canonical}} itself',
    implementation: "class {{name}} implements {{canonical}} (owned by {{owner}}) but is not one of the registry's implementations of it: use the existing one, or list it under the concept's implementations with a reason",
    defaultExport: 'default export of {{canonical}} (owned by {{owner}}) lets every importer give it a name of its own: export it by name',
  },
  fixable: false,
  appliesTo: () => true,
  visit({ sourceFile, file, registry }: AnalysisInput): FileVisit {
    const findings: FileFinding[] = [];
    const exportedLocals = locallyExportedNames(sourceFile);
    const registrations = extensionRegistrations(sourceFile, extensionPointNames(registry));
    const check = (nameNode: ts.Node, name: string, declaration: ts.Node): void => {
      const finding = definitionFinding(registry, file, name, declaration, nameNode, sourceFile, registrations);
      if (finding) findings.push(finding);
    };
    const isTopLevelExported = (node: ts.Node, name: string): boolean =>
      hasModifier(node, ts.SyntaxKind.ExportKeyword) || (node.parent === sourceFile && exportedLocals.has(name));
    const references = conceptReferences(sourceFile, registry);
    const rename = (nameNode: ts.Node, name: string, declaration: ts.Node, concept: NameMatch): void => {
      const kind = ts.isExportDeclaration(declaration) ? 'export' : declarationKind(declaration);
      findings.push(renameFinding(registry, name, kind, concept, nameNode, sourceFile));
    };

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isTypeAliasDeclaration(node) && node.parent === sourceFile) {
          const aliased = references.ofType(node.type);
          if (aliased === undefined) check(node.name, node.name.text, node);
          // a type alias that stays in its module is erased shorthand; exported, it is a second name
          else if (isTopLevelExported(node, node.name.text) && isNewName(registry, node.name.text, aliased)) rename(node.name, node.name.text, node, aliased);
        } else if (
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
            const aliased = node.parent === sourceFile && declaration.initializer !== undefined ? references.ofValue(declaration.initializer) : undefined;
            if (aliased !== undefined && ts.isIdentifier(declaration.name)) {
              // `const X = Canonical`: the same name is the canonical itself, another name is a second one
              if (isNewName(registry, declaration.name.text, aliased)) rename(declaration.name, declaration.name.text, declaration, aliased);
              continue;
            }
            for (const identifier of bindingIdentifiers(declaration.name)) {
              if (isTopLevelExported(node, identifier.text)) check(identifier, identifier.text, declaration);
            }
          }
        } else if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ImplementsKeyword && ts.isClassLike(node.parent)) {
          const className = node.parent.name?.text ?? 'default';
          for (const type of node.types) {
            const contract = references.ofValue(type.expression);
            if (contract === undefined || file.pkg?.name === contract.concept.owner || isAllowedImplementation(contract, className, file)) continue;
            const entry = registry.entryOf(contract.concept);
            findings.push({
              rule: 'canonical-definitions',
              messageId: 'implementation',
              data: { name: className, canonical: contract.canonicalName, owner: contract.concept.owner, entry },
              start: type.getStart(sourceFile),
              end: type.getEnd(),
              subject: `${className}:${contract.canonicalName}`,
              hint: contract.concept.fix ?? `use the implementation of ${contract.canonicalName} the registry lists, or add { "name": "${className}", "reason": "…" } to its implementations`,
            });
          }
        } else if (ts.isExportAssignment(node)) {
          const aliased = references.ofValue(node.expression);
          if (aliased !== undefined && !isRegisteredDefault(registry, file, aliased)) findings.push(defaultExportFinding(registry, aliased, node, sourceFile));
        } else if (ts.isExportDeclaration(node) && node.exportClause !== undefined) {
          if (ts.isNamespaceExport(node.exportClause)) {
            const finding = exportedAsFinding(registry, file, '*', node.exportClause.name, sourceFile);
            if (finding) findings.push(finding);
          } else {
            for (const element of node.exportClause.elements) {
              const local = element.propertyName?.text;
              if (local === undefined || local === element.name.text) continue;
              const finding = exportedAsFinding(registry, file, local, element.name, sourceFile);
              if (finding) {
                findings.push(finding);
                continue;
              }
              // `export { Canonical as Other }`, from this file or another module, in the owner too
              const aliased = node.moduleSpecifier === undefined ? references.ofName(local) : registry.matchName(local);
              if (aliased === undefined || aliased.role !== 'canonical' || aliased.concept.name === undefined) continue;
              if (element.name.text === 'default') {
                if (!isRegisteredDefault(registry, file, aliased)) findings.push(defaultExportFinding(registry, aliased, element.name, sourceFile));
              } else if (isNewName(registry, element.name.text, aliased)) rename(element.name, element.name.text, node, aliased);
            }
          }
        }
      },
      findings: () => findings,
    };
  },
});

/**
 * Which registry concept a value or type written in this file refers to by name: an identifier
 * (through a renamed import, `import { MessageRouter as R }`) or a namespace member (`ns.MessageRouter`,
 * `types.ConnectionInfo`). Only named concepts: a pattern names a family, not one symbol.
 */
function conceptReferences(sourceFile: ts.SourceFile, registry: Registry) {
  const importedAs = new Map<string, string>();
  for (const statement of sourceFile.statements) {
    const bindings = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : undefined;
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) importedAs.set(element.name.text, (element.propertyName ?? element.name).text);
    }
  }
  // a module variable that merely shares a concept's name (`const AppConfig = 1`) is not the concept
  const variables = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) for (const declaration of statement.declarationList.declarations) for (const id of bindingIdentifiers(declaration.name)) variables.add(id.text);
  }
  const ofName = (name: string): NameMatch | undefined => {
    const imported = importedAs.get(name);
    if (imported === undefined && variables.has(name)) return undefined;
    const match = registry.matchName(imported ?? name);
    return match !== undefined && match.role === 'canonical' && match.concept.name !== undefined ? match : undefined;
  };
  return {
    ofName,
    ofValue(expression: ts.Expression): NameMatch | undefined {
      const value = unwrap(expression);
      if (ts.isIdentifier(value)) return ofName(value.text);
      if (ts.isPropertyAccessExpression(value) && ts.isIdentifier(value.expression) && ts.isIdentifier(value.name)) return ofName(value.name.text);
      return undefined;
    },
    ofType(type: ts.TypeNode): NameMatch | undefined {
      if (!ts.isTypeReferenceNode(type) || type.typeArguments !== undefined) return undefined;
      const name = ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
      return ofName(name);
    },
  };
}

/**
 * Inside `declare module 'eslint' { … }` a declaration types that package, whose names may
 * happen to be a concept's: only an augmentation of the concept's own module is a second
 * definition of it.
 */
function describesAnotherModule(declaration: ts.Node, match: NameMatch): boolean {
  for (let node: ts.Node | undefined = declaration.parent; node !== undefined; node = node.parent) {
    if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      const module = node.name.text;
      return module !== match.concept.owner && !module.startsWith(`${match.concept.owner}/`);
    }
  }
  return false;
}

/** The registry lists this class (in this package, when it names one) among the concept's implementations. */
function isAllowedImplementation(match: NameMatch, className: string, file: FileContext): boolean {
  return (match.concept.implementations ?? []).some((allowed) => allowed.name === className && (allowed.package === undefined || allowed.package === file.pkg?.name));
}

/** The shim of a deprecated entry whose default export the registry names (`defaultExport`) serves it on purpose. */
function isRegisteredDefault(registry: Registry, file: FileContext, match: NameMatch): boolean {
  return registry.data.imports.some((rule) => rule.shim === file.rel && rule.defaultExport === match.canonicalName);
}

/** A name other than the concept's own and its registered aliases. */
function isNewName(registry: Registry, name: string, concept: NameMatch): boolean {
  return name !== concept.canonicalName && !(concept.concept.aliases ?? []).includes(name) && registry.matchName(name) === undefined;
}

function renameFinding(registry: Registry, name: string, kind: string, match: NameMatch, nameNode: ts.Node, sourceFile: ts.SourceFile): FileFinding {
  const entry = registry.entryOf(match.concept);
  return {
    rule: 'canonical-definitions',
    messageId: 'rename',
    data: { kind, name, owner: match.concept.owner, entry, canonical: match.canonicalName },
    start: nameNode.getStart(sourceFile),
    end: nameNode.getEnd(),
    subject: name,
    hint: match.concept.fix ?? `use ${match.canonicalName} from '${entry}' under its own name (or list ${name} in the registry's aliases while callers move)`,
  };
}

function defaultExportFinding(registry: Registry, match: NameMatch, node: ts.Node, sourceFile: ts.SourceFile): FileFinding {
  const entry = registry.entryOf(match.concept);
  return {
    rule: 'canonical-definitions',
    messageId: 'defaultExport',
    data: { owner: match.concept.owner, entry, canonical: match.canonicalName },
    start: node.getStart(sourceFile),
    end: node.getEnd(),
    subject: `default:${match.canonicalName}`,
    hint: `export { ${match.canonicalName} } and import it by that name`,
  };
}

function definitionFinding(
  registry: Registry,
  file: FileContext,
  name: string,
  declaration: ts.Node,
  nameNode: ts.Node,
  sourceFile: ts.SourceFile,
  registrations: ExtensionRegistrations,
): FileFinding | undefined {
  const match = registry.matchName(name);
  if (match === undefined || file.pkg?.name === match.concept.owner) return undefined;
  if (describesAnotherModule(declaration, match)) return undefined;
  if (isRegisteredExtension(registrations, name, match.concept)) return undefined;
  const kind = declarationKind(declaration);
  const entry = registry.entryOf(match.concept);
  return {
    rule: 'canonical-definitions',
    messageId: match.role === 'alias' ? 'alias' : 'definition',
    data: { kind, name, owner: match.concept.owner, entry, canonical: match.canonicalName },
    start: nameNode.getStart(sourceFile),
    end: nameNode.getEnd(),
    subject: name,
    hint: registry.conceptHint(match, `delete this ${kind}`),
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
    hint: registry.conceptHint(match, 'remove this export', ' where it is used'),
  };
}
