import ts from 'typescript';
import type { Registry } from '../registry';
import { walk } from './ast';
import type { TextEdit } from './file-rule';
import type { ModuleReference } from './module-references';

/** Where the names imported through a bad specifier should come from instead. */
export interface RewriteTarget {
  /** For names that are not registry concepts, and for namespace, side-effect and `export *` forms. */
  fallback: string | null;
  /** The canonical name the old module's default export stood for. */
  defaultExport?: string;
}

export type RewritePlan = { edits: TextEdit[]; destinations: string[] } | { unfixable: string };

interface Binding {
  /** The canonical name at the destination. */
  imported: string;
  /** The local (import) or exported (re-export) name, kept so the rest of the file is untouched. */
  local: string;
  typeOnly: boolean;
}

type Destination = { destination: string; canonical: string } | { unfixable: string };

/**
 * Plans the edits that move one import, re-export, require or import() off a bad specifier.
 * Registry concepts go to their owner's entry under their canonical name (legacy aliases are
 * renamed at the import, `{ Canonical as Alias }`, so the code that uses them is unchanged);
 * other names go to `target.fallback`. When every name goes to one place under its own name,
 * only the specifier text changes; otherwise the statement is rewritten, one per destination,
 * in the original quote and semicolon style. Namespace imports keep their form and rename
 * legacy alias members (`ns.WebSocketManager` → `ns.UnifiedWebSocketManager`).
 */
export function planRewrite(reference: ModuleReference, target: RewriteTarget, registry: Registry, sourceFile: ts.SourceFile): RewritePlan {
  const { holder } = reference;
  if (ts.isImportDeclaration(holder)) return planImport(holder, reference, target, registry, sourceFile);
  if (ts.isExportDeclaration(holder)) return planExport(holder, reference, target, registry, sourceFile);
  return target.fallback === null
    ? { unfixable: `no replacement is known for '${reference.specifier.text}'` }
    : specifierOnly(reference, target.fallback, sourceFile);
}

function planImport(
  node: ts.ImportDeclaration,
  reference: ModuleReference,
  target: RewriteTarget,
  registry: Registry,
  sourceFile: ts.SourceFile,
): RewritePlan {
  const clause = node.importClause;
  if (clause === undefined) {
    return target.fallback === null ? { unfixable: 'a side-effect import needs a replacement module' } : specifierOnly(reference, target.fallback, sourceFile);
  }
  const bindings = clause.namedBindings;
  if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
    if (clause.name !== undefined) return { unfixable: 'a default plus namespace import cannot be split safely' };
    return planNamespace(bindings.name.text, reference, target, registry, sourceFile);
  }
  const elements: { binding: Binding; destination: string }[] = [];
  if (clause.name !== undefined) {
    if (target.defaultExport === undefined) return { unfixable: `the registry does not say what the default export of '${reference.specifier.text}' was` };
    const resolved = destinationOf(target.defaultExport, target, registry);
    if ('unfixable' in resolved) return resolved;
    elements.push({ binding: { imported: resolved.canonical, local: clause.name.text, typeOnly: false }, destination: resolved.destination });
  }
  for (const element of bindings?.elements ?? []) {
    const resolved = destinationOf((element.propertyName ?? element.name).text, target, registry);
    if ('unfixable' in resolved) return resolved;
    elements.push({ binding: { imported: resolved.canonical, local: element.name.text, typeOnly: element.isTypeOnly }, destination: resolved.destination });
  }
  const original = new Map((bindings?.elements ?? []).map((element) => [element.name.text, (element.propertyName ?? element.name).text]));
  const unchangedNames = clause.name === undefined && elements.every(({ binding }) => original.get(binding.local) === binding.imported);
  return regroup(node, elements, unchangedNames, reference, sourceFile, (list, destination, quote) =>
    `import ${clause.isTypeOnly ? 'type ' : ''}${list} from ${quote}${destination}${quote}`,
  );
}

function planExport(
  node: ts.ExportDeclaration,
  reference: ModuleReference,
  target: RewriteTarget,
  registry: Registry,
  sourceFile: ts.SourceFile,
): RewritePlan {
  const clause = node.exportClause;
  if (clause === undefined || ts.isNamespaceExport(clause)) {
    return target.fallback === null ? { unfixable: `'export *' needs a replacement module` } : specifierOnly(reference, target.fallback, sourceFile);
  }
  const elements: { binding: Binding; destination: string }[] = [];
  for (const element of clause.elements) {
    const name = (element.propertyName ?? element.name).text;
    const resolved = destinationOf(name === 'default' && target.defaultExport !== undefined ? target.defaultExport : name, target, registry);
    if ('unfixable' in resolved) return resolved;
    elements.push({ binding: { imported: resolved.canonical, local: element.name.text, typeOnly: element.isTypeOnly }, destination: resolved.destination });
  }
  const unchangedNames = clause.elements.every((element, index) => (element.propertyName ?? element.name).text === elements[index]?.binding.imported);
  return regroup(node, elements, unchangedNames, reference, sourceFile, (list, destination, quote) =>
    `export ${node.isTypeOnly ? 'type ' : ''}${list} from ${quote}${destination}${quote}`,
  );
}

function planNamespace(local: string, reference: ModuleReference, target: RewriteTarget, registry: Registry, sourceFile: ts.SourceFile): RewritePlan {
  if (target.fallback === null) return { unfixable: 'a namespace import needs a replacement module' };
  const destination = target.fallback;
  const renames: TextEdit[] = [];
  let problem: string | undefined;
  walk(sourceFile, (node) => {
    let member: ts.Identifier | undefined;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === local && ts.isIdentifier(node.name)) member = node.name;
    if (ts.isQualifiedName(node) && ts.isIdentifier(node.left) && node.left.text === local) member = node.right;
    if (member === undefined) return;
    const match = registry.matchName(member.text);
    if (match === undefined) return;
    const home = registry.entryOf(match.concept);
    if (home !== destination) problem ??= `${local}.${member.text} lives in '${home}', not '${destination}'`;
    else if (match.canonicalName !== member.text) renames.push({ start: member.getStart(sourceFile), end: member.getEnd(), text: match.canonicalName });
  });
  if (problem !== undefined) return { unfixable: problem };
  const plan = specifierOnly(reference, destination, sourceFile);
  return { edits: [...plan.edits, ...renames], destinations: plan.destinations };
}

function destinationOf(name: string, target: RewriteTarget, registry: Registry): Destination {
  const match = registry.matchName(name);
  if (match !== undefined) return { destination: registry.entryOf(match.concept), canonical: match.canonicalName };
  if (target.fallback !== null) return { destination: target.fallback, canonical: name };
  return { unfixable: `no replacement is known for ${name}` };
}

function specifierOnly(reference: ModuleReference, destination: string, sourceFile: ts.SourceFile): { edits: TextEdit[]; destinations: string[] } {
  const literal = reference.specifier;
  return { edits: [{ start: literal.getStart(sourceFile) + 1, end: literal.getEnd() - 1, text: destination }], destinations: [destination] };
}

/**
 * One destination and no renames: change the specifier only. Otherwise one statement per
 * destination (in first-use order), keeping the original quotes, semicolon, indentation and,
 * for a multi-line list, one name per line.
 */
function regroup(
  node: ts.ImportDeclaration | ts.ExportDeclaration,
  elements: { binding: Binding; destination: string }[],
  unchangedNames: boolean,
  reference: ModuleReference,
  sourceFile: ts.SourceFile,
  formatStatement: (list: string, destination: string, quote: string) => string,
): RewritePlan {
  const groups = new Map<string, Binding[]>();
  for (const { binding, destination } of elements) groups.set(destination, [...(groups.get(destination) ?? []), binding]);
  const [only] = groups.keys();
  if (groups.size === 1 && only !== undefined && unchangedNames) return specifierOnly(reference, only, sourceFile);
  if (node.attributes !== undefined) return { unfixable: 'an import with attributes cannot be split safely' };

  const start = node.getStart(sourceFile);
  const text = sourceFile.text;
  const original = text.slice(start, node.getEnd());
  const quote = text[reference.specifier.getStart(sourceFile)] ?? "'";
  const semicolon = original.trimEnd().endsWith(';') ? ';' : '';
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, start))?.[0] ?? '';
  const multiLine = /\{\s*\n/.test(original);
  const elementIndent = multiLine ? (/\{\s*\n([ \t]*)/.exec(original)?.[1] ?? `${indent}  `) : '';
  const trailingComma = /,\s*\}/.test(original);

  const statements = [...groups].map(([destination, bindings]) => {
    const names = bindings.map(
      (binding) => `${binding.typeOnly ? 'type ' : ''}${binding.imported === binding.local ? binding.local : `${binding.imported} as ${binding.local}`}`,
    );
    const list = multiLine
      ? `{\n${names.map((name) => `${elementIndent}${name}`).join(',\n')}${trailingComma ? ',' : ''}\n${indent}}`
      : `{ ${names.join(', ')} }`;
    return formatStatement(list, destination, quote) + semicolon;
  });
  return { edits: [{ start, end: node.getEnd(), text: statements.join(`\n${indent}`) }], destinations: [...groups.keys()] };
}
