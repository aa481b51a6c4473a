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
  ts.SyntaxKind.ImportEqualsDeclaration,
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
    // a statement of the module itself, or an exported member of a namespace of it (`Compat.Motor`)
    const isModuleMember = (node: ts.Node): boolean => node.parent === sourceFile || (ts.isModuleBlock(node.parent) && hasModifier(node, ts.SyntaxKind.ExportKeyword) && isModuleNamespace(node.parent.parent, sourceFile));
    const references = conceptReferences(sourceFile, registry);
    const rename = (nameNode: ts.Node, name: string, declaration: ts.Node, concept: NameMatch): void => {
      const kind = ts.isExportDeclaration(declaration) || ts.isExpressionStatement(declaration) ? 'export' : ts.isImportEqualsDeclaration(declaration) ? 'import' : declarationKind(declaration);
      findings.push(renameFinding(registry, name, kind, concept, nameNode, sourceFile));
    };

    // `exports.Motor = core.Engine`, `module.exports = { Motor: Engine }`: a CommonJS export under a
    // second name (module-level statements only, so they are read here rather than among every node)
    for (const statement of sourceFile.statements) {
      if (!ts.isExpressionStatement(statement)) continue;
      for (const { nameNode, name, value, holder } of commonJsExports(statement.expression)) {
        const aliased = references.ofValue(value);
        if (aliased === undefined || !isNewName(registry, name, aliased)) continue;
        if (holder === undefined) rename(nameNode, name, statement, aliased);
        else findings.push(renameFinding(registry, `${holder}.${name}`, 'property', aliased, nameNode, sourceFile));
      }
    }

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isTypeAliasDeclaration(node)) {
          const aliased = references.ofType(node.type);
          // `type TaskRecord = core.TaskRecord` (in a namespace too) is the canonical under its own name
          if (aliased === undefined || !isOwnName(node.name.text, aliased)) check(node.name, node.name.text, node);
          // a type alias that stays in its module is erased shorthand; exported, it is a second name
          if (aliased !== undefined && isModuleMember(node) && isTopLevelExported(node, node.name.text) && isNewName(registry, node.name.text, aliased)) rename(node.name, node.name.text, node, aliased);
        } else if (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) {
          if (node.name === undefined) return;
          check(node.name, node.name.text, node);
          // `export interface BlobStore extends StorageDriver {}`, `export class EngineV2 extends Engine {}`: nothing added, so only a
          // second name (a decorated class may be registered, say as an injection token, so it is more than a name)
          const aliased = isModuleMember(node) && node.members.length === 0 && !(ts.isClassDeclaration(node) && ts.getDecorators(node) !== undefined) ? references.ofSoleBase(node) : undefined;
          if (aliased !== undefined && isTopLevelExported(node, node.name.text) && isNewName(registry, node.name.text, aliased) && !isMerged(node)) rename(node.name, node.name.text, node, aliased);
        } else if ((ts.isClassExpression(node) || ts.isEnumDeclaration(node)) && node.name !== undefined) {
          check(node.name, node.name.text, node);
        } else if (ts.isImportEqualsDeclaration(node)) {
          // `import Reactor = core.Engine`: a module-level second name, like `const Reactor = core.Engine`
          const aliased = isModuleMember(node) && !ts.isExternalModuleReference(node.moduleReference) ? references.ofEntity(node.moduleReference) : undefined;
          if (aliased !== undefined && isNewName(registry, node.name.text, aliased)) rename(node.name, node.name.text, node, aliased);
        } else if (ts.isModuleDeclaration(node) && ts.isIdentifier(node.name)) {
          check(node.name, node.name.text, node);
        } else if (ts.isFunctionDeclaration(node) && node.name !== undefined && isTopLevelExported(node, node.name.text)) {
          check(node.name, node.name.text, node);
        } else if (ts.isVariableStatement(node)) {
          const moduleMember = isModuleMember(node);
          for (const declaration of node.declarationList.declarations) {
            const aliased = moduleMember && declaration.initializer !== undefined ? references.ofValue(declaration.initializer) : undefined;
            if (aliased !== undefined && ts.isIdentifier(declaration.name)) {
              // `const X = Canonical`: the same name is the canonical itself, another name is a second one
              if (isNewName(registry, declaration.name.text, aliased)) rename(declaration.name, declaration.name.text, declaration, aliased);
              continue;
            }
            // `const [Reactor] = [Engine]`, `const { Motor } = { Motor: Engine }`: each name bound to its literal's value
            const literal = moduleMember && declaration.initializer !== undefined && !ts.isIdentifier(declaration.name) ? unwrap(declaration.initializer) : undefined;
            const fromLiteral = literal !== undefined && (ts.isArrayLiteralExpression(literal) || ts.isObjectLiteralExpression(literal)) ? literal : undefined;
            // `const { Engine: Turbine } = core` (a namespace import or a required module): a second name
            const renamed = node.parent === sourceFile && ts.isObjectBindingPattern(declaration.name) && declaration.initializer !== undefined && references.isModuleObject(declaration.initializer) ? declaration.name : undefined;
            for (const identifier of bindingIdentifiers(declaration.name)) {
              const value = fromLiteral === undefined ? undefined : literalValueOf(identifier, fromLiteral);
              const bound = value === undefined ? undefined : references.ofValue(value);
              if (bound !== undefined) {
                if (isNewName(registry, identifier.text, bound)) rename(identifier, identifier.text, declaration, bound);
                continue;
              }
              const member = renamed === undefined ? undefined : renamedMember(identifier);
              const concept = member === undefined ? undefined : references.ofMember(member);
              if (concept !== undefined) {
                if (isNewName(registry, identifier.text, concept)) rename(identifier, identifier.text, declaration, concept);
                continue;
              }
              if (isTopLevelExported(node, identifier.text)) check(identifier, identifier.text, declaration);
            }
            // `export const compat = { Switch: Engine }`: importers write `compat.Switch`, a second name
            const holder = ts.isIdentifier(declaration.name) ? declaration.name.text : undefined;
            const exported = moduleMember && holder !== undefined && declaration.initializer !== undefined && isTopLevelExported(node, holder) ? unwrap(declaration.initializer) : undefined;
            if (holder === undefined || exported === undefined || !ts.isObjectLiteralExpression(exported)) continue;
            for (const [nameNode, name, value] of namedProperties(exported)) {
              const bound = references.ofValue(value);
              if (bound !== undefined && isNewName(registry, name, bound)) findings.push(renameFinding(registry, `${holder}.${name}`, 'property', bound, nameNode, sourceFile));
            }
          }
        } else if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ImplementsKeyword && ts.isClassLike(node.parent)) {
          const className = classBindingName(node.parent);
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
  // names bound to a whole module: `import * as core`, `import core = require(…)`, `const core = require(…)`
  const modules = new Set<string>();
  for (const statement of sourceFile.statements) {
    const bindings = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : undefined;
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) importedAs.set(element.name.text, (element.propertyName ?? element.name).text);
    } else if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
      modules.add(bindings.name.text);
    } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
      modules.add(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined && isModuleLoad(declaration.initializer)) modules.add(declaration.name.text);
      }
    }
  }
  // a module variable that merely shares a concept's name (`const AppConfig = 1`) is not the concept;
  // one destructured from a module object (`const { Engine } = require('@rt/core')`) is its member, like an import
  const variables = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const fromModule = ts.isObjectBindingPattern(declaration.name) && declaration.initializer !== undefined && isModuleObject(declaration.initializer);
      for (const id of bindingIdentifiers(declaration.name)) {
        const member = fromModule && id.parent.parent === declaration.name ? memberOf(id) : undefined;
        if (member === undefined) variables.add(id.text);
        else importedAs.set(id.text, member);
      }
    }
  }
  function isModuleObject(expression: ts.Expression): boolean {
    const value = unwrap(expression);
    return ts.isIdentifier(value) ? modules.has(value.text) : isModuleLoad(value);
  }
  const ofName = (name: string): NameMatch | undefined => {
    const imported = importedAs.get(name);
    if (imported === undefined && variables.has(name)) return undefined;
    const match = registry.matchName(imported ?? name);
    return match !== undefined && match.role === 'canonical' && match.concept.name !== undefined ? match : undefined;
  };
  const ofValue = (expression: ts.Expression): NameMatch | undefined => {
    const value = unwrap(expression);
    if (ts.isIdentifier(value)) return ofName(value.text);
    // a member's name is not the module variable of that name
    if (ts.isPropertyAccessExpression(value) && ts.isIdentifier(value.expression) && ts.isIdentifier(value.name)) return ofMember(value.name.text);
    return undefined;
  };
  function ofMember(name: string): NameMatch | undefined {
    const match = registry.matchName(name);
    return match !== undefined && match.role === 'canonical' && match.concept.name !== undefined ? match : undefined;
  }
  return {
    ofName,
    ofValue,
    ofType(type: ts.TypeNode): NameMatch | undefined {
      if (!ts.isTypeReferenceNode(type) || type.typeArguments !== undefined) return undefined;
      const name = ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
      return ofName(name);
    },
    /** A member of a module object taken by name (`const { Engine: E } = core`). */
    ofMember,
    /** `import X = Engine` or `import X = core.Engine`, read like the value `core.Engine`. */
    ofEntity(entity: ts.EntityName): NameMatch | undefined {
      if (ts.isIdentifier(entity)) return ofName(entity.text);
      return ts.isIdentifier(entity.left) ? ofName(entity.right.text) : undefined;
    },
    /** The concept an interface or class extends when it extends exactly that one (and implements nothing), without type arguments. */
    ofSoleBase(node: ts.InterfaceDeclaration | ts.ClassDeclaration): NameMatch | undefined {
      const clauses = node.heritageClauses;
      const [base] = clauses?.length === 1 && clauses[0]?.token === ts.SyntaxKind.ExtendsKeyword && clauses[0].types.length === 1 ? clauses[0].types : [];
      return base === undefined || base.typeArguments !== undefined ? undefined : ofValue(base.expression);
    },
    /** A namespace import, a required module, or the `require(…)` / `await import(…)` itself. */
    isModuleObject,
  };
}

/** `require('x')` or `await import('x')`: the module object itself. */
function isModuleLoad(expression: ts.Expression): boolean {
  let value = unwrap(expression);
  if (ts.isAwaitExpression(value)) value = unwrap(value.expression);
  if (!ts.isCallExpression(value) || value.arguments.length !== 1 || !ts.isStringLiteralLike(value.arguments[0] as ts.Expression)) return false;
  return value.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(value.expression) && value.expression.text === 'require');
}

/** The member a binding element of a flat object pattern takes (`Engine` in `{ Engine }` and in `{ Engine: Turbine }`). */
function memberOf(identifier: ts.Identifier): string | undefined {
  const element = identifier.parent;
  if (!ts.isBindingElement(element) || element.dotDotDotToken !== undefined || !ts.isObjectBindingPattern(element.parent)) return undefined;
  const property = element.propertyName ?? element.name;
  return ts.isIdentifier(property) || ts.isStringLiteral(property) ? property.text : undefined;
}

/** The member a binding element renames (`Engine` in `{ Engine: Turbine }`), when it is one of a flat object pattern. */
function renamedMember(identifier: ts.Identifier): string | undefined {
  const element = identifier.parent;
  if (!ts.isBindingElement(element) || element.dotDotDotToken !== undefined || element.propertyName === undefined || !ts.isObjectBindingPattern(element.parent)) return undefined;
  const property = element.propertyName;
  return ts.isIdentifier(property) || ts.isStringLiteral(property) ? property.text : undefined;
}

/** Another declaration of the same name in the same scope merges with this interface or class, so it may add members. */
function isMerged(node: ts.InterfaceDeclaration | ts.ClassDeclaration): boolean {
  const name = node.name?.text;
  const statements = ts.isSourceFile(node.parent) || ts.isModuleBlock(node.parent) ? node.parent.statements : [];
  return statements.some(
    (statement) =>
      statement !== node &&
      (ts.isInterfaceDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isModuleDeclaration(statement) || ts.isFunctionDeclaration(statement)) &&
      statement.name !== undefined &&
      ts.isIdentifier(statement.name) &&
      statement.name.text === name,
  );
}

/**
 * A namespace of the module (`namespace Compat`, `namespace A.B`, or an exported namespace inside
 * one), not an ambient module (`declare module 'x'`), whose exported members are the module's too.
 */
function isModuleNamespace(node: ts.Node, sourceFile: ts.SourceFile): boolean {
  for (let current = node; ts.isModuleDeclaration(current) && ts.isIdentifier(current.name); ) {
    const parent = current.parent;
    if (parent === sourceFile) return true;
    if (ts.isModuleDeclaration(parent)) current = parent;
    else if (ts.isModuleBlock(parent) && hasModifier(current, ts.SyntaxKind.ExportKeyword)) current = parent.parent;
    else return false;
  }
  return false;
}

/** The value a name of a destructuring pattern takes from a literal (`[Engine]` for `[Reactor]`, `{ Motor: Engine }` for `{ Motor }`), one level deep. */
function literalValueOf(identifier: ts.Identifier, literal: ts.ArrayLiteralExpression | ts.ObjectLiteralExpression): ts.Expression | undefined {
  const element = identifier.parent;
  if (!ts.isBindingElement(element) || element.dotDotDotToken !== undefined || element.parent.parent !== declarationOf(literal)) return undefined;
  if (ts.isArrayBindingPattern(element.parent) && ts.isArrayLiteralExpression(literal)) {
    const index = element.parent.elements.indexOf(element);
    const value = literal.elements[index];
    return value === undefined || ts.isOmittedExpression(value) || literal.elements.slice(0, index + 1).some(ts.isSpreadElement) ? undefined : value;
  }
  if (!ts.isObjectBindingPattern(element.parent) || !ts.isObjectLiteralExpression(literal)) return undefined;
  const key = element.propertyName ?? element.name;
  const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
  let value: ts.Expression | undefined;
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) value = undefined;
    else if (ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) && property.name.text === name) value = property.initializer;
    else if (ts.isShorthandPropertyAssignment(property) && property.name.text === name) value = property.name;
  }
  return value;
}

/** The declaration a (possibly wrapped) initializer belongs to. */
function declarationOf(expression: ts.Expression): ts.Node {
  let holder: ts.Node = expression.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder) || ts.isTypeAssertionExpression(holder)) holder = holder.parent;
  return holder;
}

/** `exports.X` and `module.exports.X` (or `['X']`): the name X a CommonJS module exports there. */
function commonJsExportName(target: ts.Expression): ts.Identifier | ts.StringLiteralLike | undefined {
  if (!ts.isPropertyAccessExpression(target) && !ts.isElementAccessExpression(target)) return undefined;
  const name = ts.isPropertyAccessExpression(target) ? target.name : ts.isStringLiteralLike(target.argumentExpression) ? target.argumentExpression : undefined;
  return name !== undefined && !ts.isPrivateIdentifier(name) && isExportsObject(target.expression) ? name : undefined;
}

/** `exports` or `module.exports`. */
function isExportsObject(expression: ts.Expression): boolean {
  if (ts.isIdentifier(expression)) return expression.text === 'exports';
  return ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && expression.expression.text === 'module' && expression.name.text === 'exports';
}

/**
 * The names a module-level CommonJS assignment exports and their values: `exports.Motor = v` and
 * `module.exports.Motor = v` (Motor), `module.exports = { Motor: v }` (each property written out),
 * and the named properties of an object exported by name, `module.exports.compat = { Motor: v }`
 * (Motor: importers write `require(…).compat.Motor`, a second name all the same).
 */
function commonJsExports(expression: ts.Expression): { nameNode: ts.Node; name: string; value: ts.Expression; holder?: string }[] {
  if (!ts.isBinaryExpression(expression) || expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return [];
  const target = expression.left;
  const value = unwrap(expression.right);
  const name = commonJsExportName(target);
  const entry = ([nameNode, key, held]: [ts.Node, string, ts.Expression], holder?: string) => ({ nameNode, name: key, value: held, ...(holder === undefined ? {} : { holder }) });
  if (name !== undefined) return [entry([name, name.text, expression.right]), ...(ts.isObjectLiteralExpression(value) ? namedProperties(value).map((property) => entry(property, name.text)) : [])];
  if (!(ts.isPropertyAccessExpression(target) && isExportsObject(target)) || !ts.isObjectLiteralExpression(value)) return [];
  return literalProperties(value).map((property) => entry(property));
}

/**
 * The properties of an object exported by name that name what they hold: a key written like a
 * class name (`compat.Switch`). A lower-case key is an entry of a lookup table (`drivers.memory`),
 * and an all-capitals one a constant's or protocol's key (`ENGINES.V8`, `{ HTTP: … }`), not a name.
 */
function namedProperties(literal: ts.ObjectLiteralExpression): [ts.Node, string, ts.Expression][] {
  return literalProperties(literal).filter(([, name]) => /^[A-Z]/.test(name) && /[a-z]/.test(name));
}

/** The written-out properties of an object literal, each a name and its value. */
function literalProperties(literal: ts.ObjectLiteralExpression): [ts.Node, string, ts.Expression][] {
  return literal.properties.flatMap((property): [ts.Node, string, ts.Expression][] =>
    ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? [[property.name, property.name.text, property.initializer]] : [],
  );
}

/**
 * The name a class goes by: its own, else the binding an anonymous class expression is assigned
 * to (`const MemDriver = class implements …`, as JavaScript names it), else `default`.
 */
function classBindingName(node: ts.ClassLikeDeclaration): string {
  if (node.name !== undefined) return node.name.text;
  let holder: ts.Node = node.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder) || ts.isNonNullExpression(holder) || ts.isTypeAssertionExpression(holder)) holder = holder.parent;
  if ((ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder) || ts.isPropertyDeclaration(holder)) && ts.isIdentifier(holder.name)) return holder.name.text;
  if (ts.isBinaryExpression(holder) && holder.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(holder.left)) return holder.left.text;
  return 'default';
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

/** The concept's own name or one of its registered aliases. */
function isOwnName(name: string, concept: NameMatch): boolean {
  return name === concept.canonicalName || (concept.concept.aliases ?? []).includes(name);
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
