import ts from 'typescript';
import type { Concept, Registry } from '../registry';

/**
 * The names of a file's values that it passes to imported functions, by function: for each
 * `import { fn } from 'pkg'` (or `import * as ns`) called as `fn(…)` / `ns.fn(…)`, every
 * identifier in the call's arguments, keyed `pkg#fn`. A concept's `extensionPoints` are such
 * functions of its owner (e.g. defineProtocolExtensions): a declaration handed to one is an
 * application registering its own member of the family, not a second definition of it.
 */
export type ExtensionRegistrations = ReadonlyMap<string, ReadonlySet<string>>;

/** The function names the registry's concepts list as extension points (every linted file asks: kept by the registry). */
export function extensionPointNames(registry: Registry): ReadonlySet<string> {
  return registry.extensionPointNames;
}

/**
 * Only calls of functions named in `points` are looked at; a file that imports none of them is
 * not walked at all (most files).
 */
export function extensionRegistrations(sourceFile: ts.SourceFile, points: ReadonlySet<string>): ExtensionRegistrations {
  const named = new Map<string, string>();
  const namespaces = new Map<string, string>();
  if (points.size === 0) return new Map();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const specifier = statement.moduleSpecifier.text;
    const bindings = statement.importClause?.namedBindings;
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        const imported = (element.propertyName ?? element.name).text;
        if (points.has(imported)) named.set(element.name.text, `${specifier}#${imported}`);
      }
    } else if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
      namespaces.set(bindings.name.text, specifier);
    }
  }
  const registrations = new Map<string, Set<string>>();
  if (named.size === 0 && namespaces.size === 0) return registrations;
  const calleeOf = (callee: ts.Expression): string | undefined => {
    if (ts.isIdentifier(callee)) return named.get(callee.text);
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && ts.isIdentifier(callee.name)) {
      const specifier = namespaces.get(callee.expression.text);
      return specifier === undefined || !points.has(callee.name.text) ? undefined : `${specifier}#${callee.name.text}`;
    }
    return undefined;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = calleeOf(node.expression);
      if (callee !== undefined) for (const argument of node.arguments) collectValueNames(argument, callee, registrations);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return registrations;
}

/** True when `name` is passed, in this file, to one of the concept's extension points (a function of its owner or entry). */
export function isRegisteredExtension(registrations: ExtensionRegistrations, name: string, concept: Concept): boolean {
  const points = concept.extensionPoints;
  if (points === undefined || points.length === 0) return false;
  const through = registrations.get(name);
  if (through === undefined) return false;
  const modules = concept.entry === undefined ? [concept.owner] : [concept.owner, concept.entry];
  return points.some((point) => modules.some((module) => through.has(`${module}#${point}`)));
}

/** Identifiers used as values inside an argument (not property names, nor the member of `a.b`). */
function collectValueNames(argument: ts.Node, callee: string, into: Map<string, Set<string>>): void {
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const isKey = (ts.isPropertyAssignment(parent) && parent.name === node) || (ts.isPropertyAccessExpression(parent) && parent.name === node);
      if (!isKey) {
        const callees = into.get(node.text) ?? new Set<string>();
        callees.add(callee);
        into.set(node.text, callees);
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(argument);
}
