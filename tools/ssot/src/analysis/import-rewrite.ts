import ts from 'typescript';
import type { Registry } from '../registry';
import { isModuleMockCall, walk } from './ast';
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
  /** Comments written before the name in the original list, kept with it wherever it goes; ownLine when a line break followed. */
  before: { text: string; ownLine: boolean }[];
  /** Comments after it on its line (`Name, // why`). */
  after: string[];
}

type Destination = { destination: string; canonical: string } | { unfixable: string };

/** What a plan may know about the file's other imports, so that it can merge into them. */
export interface RewriteContext {
  /**
   * Where another import declaration of the file points once every plain specifier rewrite is
   * done: its own specifier when it is fine, the new one when only its specifier changes,
   * undefined when it will be split or cannot be fixed.
   */
  futureSpecifierOf(node: ts.ImportDeclaration): string | undefined;
}

const NO_CONTEXT: RewriteContext = {
  futureSpecifierOf: (node) => (ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : undefined),
};

/**
 * Where an import goes when all its names go to one module under their own names, so that only
 * the specifier changes; undefined when it would be split, renamed or cannot be fixed.
 */
export function plainDestination(node: ts.ImportDeclaration, target: RewriteTarget, registry: Registry): string | undefined {
  const clause = node.importClause;
  if (clause === undefined || clause.name !== undefined) return clause === undefined ? (target.fallback ?? undefined) : undefined;
  const bindings = clause.namedBindings;
  if (bindings === undefined) return undefined;
  if (ts.isNamespaceImport(bindings)) return target.fallback ?? undefined;
  const destinations = new Set<string>();
  for (const element of bindings.elements) {
    const name = (element.propertyName ?? element.name).text;
    const resolved = destinationOf(name, target, registry);
    if ('unfixable' in resolved || resolved.canonical !== name) return undefined;
    destinations.add(resolved.destination);
  }
  const [only, ...others] = destinations;
  return others.length === 0 ? only : undefined;
}

/**
 * Plans the edits that move one import, re-export, require or import() off a bad specifier.
 * Registry concepts go to their owner's entry under their canonical name (legacy aliases are
 * renamed at the import, `{ Canonical as Alias }`, so the code that uses them is unchanged);
 * other names go to `target.fallback`. When every name goes to one place under its own name,
 * only the specifier text changes; otherwise the statement is rewritten, one per destination,
 * in the original quote and semicolon style. Namespace imports keep their form and rename
 * legacy alias members (`ns.WebSocketManager` → `ns.UnifiedWebSocketManager`).
 */
export function planRewrite(
  reference: ModuleReference,
  target: RewriteTarget,
  registry: Registry,
  sourceFile: ts.SourceFile,
  context: RewriteContext = NO_CONTEXT,
): RewritePlan {
  const { holder } = reference;
  if (ts.isImportDeclaration(holder)) return planImport(holder, reference, target, registry, sourceFile, context);
  if (ts.isExportDeclaration(holder)) return planExport(holder, reference, target, registry, sourceFile);
  if (isModuleMockCall(holder)) return planMock(reference, target, registry, sourceFile);
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
  context: RewriteContext,
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
    elements.push({ binding: { imported: resolved.canonical, local: clause.name.text, typeOnly: false, before: [], after: [] }, destination: resolved.destination });
  }
  const list = bindings?.elements ?? ts.factory.createNodeArray<ts.ImportSpecifier>();
  for (const [index, element] of list.entries()) {
    const resolved = destinationOf((element.propertyName ?? element.name).text, target, registry);
    if ('unfixable' in resolved) return resolved;
    const comments = elementComments(sourceFile.text, list, index);
    elements.push({ binding: { imported: resolved.canonical, local: element.name.text, typeOnly: element.isTypeOnly, ...comments }, destination: resolved.destination });
  }
  const original = new Map(list.map((element) => [element.name.text, (element.propertyName ?? element.name).text]));
  const unchangedNames = clause.name === undefined && elements.every(({ binding }) => original.get(binding.local) === binding.imported);
  return regroup(
    node,
    elements,
    unchangedNames,
    reference,
    sourceFile,
    (names, destination, quote) => `import ${clause.isTypeOnly ? 'type ' : ''}${names} from ${quote}${destination}${quote}`,
    (destination, plain) => mergeTarget(node, destination, clause.isTypeOnly || elements.every(({ binding }) => binding.typeOnly), plain, sourceFile, context),
    clause.isTypeOnly,
  );
}

/**
 * An import of the file that the names going to `destination` can join instead of a second
 * import of one module: a named import of it that stays (or, for a plan that splits, one whose
 * specifier alone is being rewritten to it). Never a namespace import, one with attributes, or a
 * type-only import when a value must join.
 */
function mergeTarget(
  node: ts.ImportDeclaration,
  destination: string,
  typeOnly: boolean,
  plain: boolean,
  sourceFile: ts.SourceFile,
  context: RewriteContext,
): ts.ImportDeclaration | undefined {
  let pending: ts.ImportDeclaration | undefined;
  for (const statement of sourceFile.statements) {
    if (statement === node || !ts.isImportDeclaration(statement) || statement.attributes !== undefined || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const clause = statement.importClause;
    if (clause?.namedBindings === undefined || !ts.isNamedImports(clause.namedBindings) || (clause.isTypeOnly && !typeOnly)) continue;
    if (context.futureSpecifierOf(statement) !== destination) continue;
    if (statement.moduleSpecifier.text === destination) return statement;
    pending ??= statement;
  }
  // a plain specifier change joins only an import that is already right, so two rewrites never wait on each other
  return plain ? undefined : pending;
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
  for (const [index, element] of clause.elements.entries()) {
    const name = (element.propertyName ?? element.name).text;
    const resolved = destinationOf(name === 'default' && target.defaultExport !== undefined ? target.defaultExport : name, target, registry);
    if ('unfixable' in resolved) return resolved;
    const exported = element.name.text;
    // Re-exporting a concept as `default` or under a legacy alias would give it a second name,
    // which canonical-definitions reports: the rewrite must not produce what the checker rejects.
    if (exported === 'default' && registry.matchName(resolved.canonical) !== undefined) {
      return { unfixable: `re-exporting ${resolved.canonical} as a default export gives it a second name: export { ${resolved.canonical} } and import it by name` };
    }
    const alias = registry.matchName(exported);
    const local = alias?.role === 'alias' && alias.canonicalName === resolved.canonical ? resolved.canonical : exported;
    const comments = elementComments(sourceFile.text, clause.elements, index);
    elements.push({ binding: { imported: resolved.canonical, local, typeOnly: element.isTypeOnly, ...comments }, destination: resolved.destination });
  }
  const unchangedNames = clause.elements.every(
    (element, index) => (element.propertyName ?? element.name).text === elements[index]?.binding.imported && element.name.text === elements[index]?.binding.local,
  );
  return regroup(
    node,
    elements,
    unchangedNames,
    reference,
    sourceFile,
    (list, destination, quote) => `export ${node.isTypeOnly ? 'type ' : ''}${list} from ${quote}${destination}${quote}`,
    () => undefined,
    node.isTypeOnly,
  );
}

/**
 * A module mock must follow the names it replaces: it goes where this file's imports from the
 * same specifier go (so the test still mocks the module the code loads), else to the fallback.
 * When those imports are split between owners, one mock cannot stand for them.
 */
function planMock(reference: ModuleReference, target: RewriteTarget, registry: Registry, sourceFile: ts.SourceFile): RewritePlan {
  const destinations = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== reference.specifier.text) continue;
    const clause = statement.importClause;
    const names = [
      ...(clause?.name !== undefined && target.defaultExport !== undefined ? [target.defaultExport] : []),
      ...(clause?.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings)
        ? clause.namedBindings.elements.map((element) => (element.propertyName ?? element.name).text)
        : []),
    ];
    for (const name of names) {
      const resolved = destinationOf(name, target, registry);
      if ('destination' in resolved) destinations.add(resolved.destination);
    }
  }
  const [only, ...others] = destinations;
  if (only !== undefined && others.length === 0) return specifierOnly(reference, only, sourceFile);
  if (only !== undefined) return { unfixable: `the names this file imports from '${reference.specifier.text}' now come from ${[...destinations].map((d) => `'${d}'`).join(' and ')}: mock each of them` };
  return target.fallback === null ? { unfixable: `no replacement is known for '${reference.specifier.text}'` } : specifierOnly(reference, target.fallback, sourceFile);
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
 * One destination and no renames: change the specifier only, unless another import of that
 * module exists, which the names then join. Otherwise each destination's names join the file's
 * import of it when there is one, else get a statement of their own (in first-use order), in the
 * original quotes, semicolon, indentation, line endings and, for a multi-line list, one name per
 * line; comments inside the list go with their names.
 */
function regroup(
  node: ts.ImportDeclaration | ts.ExportDeclaration,
  elements: { binding: Binding; destination: string }[],
  unchangedNames: boolean,
  reference: ModuleReference,
  sourceFile: ts.SourceFile,
  formatStatement: (list: string, destination: string, quote: string) => string,
  mergeInto: (destination: string, plain: boolean) => ts.ImportDeclaration | undefined,
  clauseTypeOnly: boolean,
): RewritePlan {
  const groups = new Map<string, Binding[]>();
  for (const { binding, destination } of elements) groups.set(destination, [...(groups.get(destination) ?? []), binding]);
  const [only] = groups.keys();
  const plain = groups.size === 1 && only !== undefined && unchangedNames;
  if (plain && mergeInto(only, true) === undefined) return specifierOnly(reference, only, sourceFile);
  if (node.attributes !== undefined) return { unfixable: 'an import with attributes cannot be split safely' };

  const start = node.getStart(sourceFile);
  const text = sourceFile.text;
  const newline = lineEnding(text);
  const original = text.slice(start, node.getEnd());
  const quote = text[reference.specifier.getStart(sourceFile)] ?? "'";
  const semicolon = original.trimEnd().endsWith(';') ? ';' : '';
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, start))?.[0] ?? '';
  const hasLineComment = elements.some(({ binding }) => [...binding.before.map((comment) => comment.text), ...binding.after].some((comment) => comment.startsWith('//')));
  const multiLine = /\{[ \t]*(\/\/[^\n]*)?\r?\n/.test(original) || hasLineComment;
  const elementIndent = multiLine ? (/\{[^\n]*\n([ \t]*)/.exec(original)?.[1] ?? `${indent}  `) : '';
  const trailingComma = /,\s*(\/\/[^\n]*\s*|\/\*[\s\S]*?\*\/\s*)*\}/.test(original);

  const edits: TextEdit[] = [];
  const statements: string[] = [];
  for (const [destination, bindings] of groups) {
    const joined = mergeInto(destination, false);
    if (joined !== undefined) {
      const edit = joinImport(joined, bindings, clauseTypeOnly, sourceFile, newline);
      if (edit !== undefined) edits.push(edit);
      continue;
    }
    const names = bindings.map((binding, index) => renderBinding(binding, multiLine, index === bindings.length - 1 && !trailingComma, elementIndent, newline));
    const list = multiLine ? `{${newline}${names.join(newline)}${newline}${indent}}` : `{ ${names.join(' ')} }`;
    statements.push(formatStatement(list, destination, quote) + semicolon);
  }
  if (statements.length > 0) {
    edits.push({ start, end: node.getEnd(), text: statements.join(`${newline}${indent}`) });
  } else {
    edits.push(removeStatement(node, sourceFile));
  }
  return { edits, destinations: [...groups.keys()] };
}

/** The file's line ending, so a rewritten statement does not mix LF into a CRLF file. */
function lineEnding(text: string): string {
  const first = text.indexOf('\n');
  return first > 0 && text[first - 1] === '\r' ? '\r\n' : '\n';
}

/** One name of a list as written back: its comments before it, the name, the comma, the comments after it. */
function renderBinding(binding: Binding, multiLine: boolean, last: boolean, elementIndent: string, newline: string): string {
  const name = `${binding.typeOnly ? 'type ' : ''}${binding.imported === binding.local ? binding.local : `${binding.imported} as ${binding.local}`}`;
  const comma = last ? '' : ',';
  if (multiLine) {
    const before = binding.before.map((comment) => (comment.ownLine ? `${comment.text}${newline}${elementIndent}` : `${comment.text} `)).join('');
    const after = binding.after.length > 0 ? ` ${binding.after.join(' ')}` : '';
    return `${elementIndent}${before}${name}${comma}${after}`;
  }
  const before = binding.before.map((comment) => `${comment.text} `).join('');
  const after = binding.after.map((comment) => ` ${comment}`).join('');
  return `${before}${name}${after}${comma}`;
}

/**
 * The comments that belong to element `index` of an import or export list: those on the lines
 * before it (and before the first element, after the brace), and those after it on its own line
 * (for the last element, everything up to the closing brace).
 */
function elementComments(text: string, elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>, index: number): Pick<Binding, 'before' | 'after'> {
  const element = elements[index];
  if (element === undefined) return { before: [], after: [] };
  const slice = (range: ts.CommentRange): string => text.slice(range.pos, range.end);
  const placed = (range: ts.CommentRange) => ({ text: slice(range), ownLine: range.hasTrailingNewLine === true || range.kind === ts.SyntaxKind.SingleLineCommentTrivia });
  // TypeScript's leading comments of a position start on the line after it; what is on its own
  // line is a trailing comment of the token before (the brace, or the previous name's comma).
  const before = [...(index === 0 ? (ts.getTrailingCommentRanges(text, element.pos) ?? []) : []), ...(ts.getLeadingCommentRanges(text, element.pos) ?? [])].map(placed);
  let position = element.end;
  while (text[position] === ' ' || text[position] === '\t') position += 1;
  if (text[position] === ',') position += 1;
  const after = (ts.getTrailingCommentRanges(text, position) ?? []).map(slice);
  // after the last name, the comments on the lines down to the closing brace go with it too
  if (index === elements.length - 1) after.push(...(ts.getLeadingCommentRanges(text, position) ?? []).map(slice));
  return { before, after };
}

/** Adds names to an existing named import (skipping those it already has), in its own layout. */
function joinImport(node: ts.ImportDeclaration, bindings: readonly Binding[], typeOnly: boolean, sourceFile: ts.SourceFile, newline: string): TextEdit | undefined {
  const named = node.importClause?.namedBindings;
  if (named === undefined || !ts.isNamedImports(named)) return undefined;
  const text = sourceFile.text;
  const present = new Set(named.elements.map((element) => element.name.text));
  const targetTypeOnly = node.importClause?.isTypeOnly ?? false;
  const added = bindings
    .filter((binding) => !present.has(binding.local))
    .map((binding) => ({ ...binding, typeOnly: !targetTypeOnly && (binding.typeOnly || typeOnly), before: binding.before.map((comment) => ({ text: asBlockComment(comment.text), ownLine: false })), after: binding.after.map(asBlockComment) }));
  if (added.length === 0) return undefined;
  const last = named.elements[named.elements.length - 1];
  const braces = text.slice(named.getStart(sourceFile), named.getEnd());
  if (last === undefined) return { start: named.getStart(sourceFile) + 1, end: named.getEnd() - 1, text: ` ${added.map((b) => renderBinding(b, false, true, '', newline)).join(', ')} ` };
  if (braces.includes('\n')) {
    const lineStart = text.lastIndexOf('\n', last.getStart(sourceFile)) + 1;
    const elementIndent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '  ';
    const hasTrailingComma = named.elements.hasTrailingComma;
    const position = hasTrailingComma ? text.indexOf(',', last.end) + 1 : last.end;
    const lines = added.map((binding, index) => renderBinding(binding, true, !hasTrailingComma && index === added.length - 1, elementIndent, newline));
    return { start: position, end: position, text: `${hasTrailingComma ? '' : ','}${newline}${lines.join(newline)}` };
  }
  return { start: last.end, end: last.end, text: `, ${added.map((binding) => renderBinding(binding, false, true, '', newline)).join(', ')}` };
}

/** A line comment cannot sit inside a one-line list: the same words as a block comment. */
function asBlockComment(comment: string): string {
  return comment.startsWith('//') && !comment.includes('*/') ? `/* ${comment.slice(2).trim()} */` : comment;
}

/** Deletes a statement and, when nothing else is on its line, the line. */
function removeStatement(node: ts.Node, sourceFile: ts.SourceFile): TextEdit {
  const text = sourceFile.text;
  const start = node.getStart(sourceFile);
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  let end = node.getEnd();
  const rest = /^[ \t]*(\r?\n|$)/.exec(text.slice(end));
  if (rest !== null && text.slice(lineStart, start).trim() === '') return { start: lineStart, end: end + rest[0].length, text: '' };
  while (text[end] === ' ' || text[end] === '\t') end += 1;
  return { start, end, text: '' };
}
