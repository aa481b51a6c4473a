import ts from 'typescript';

// Every rule visits every node of a file; flattening the tree once per file (depth first) and
// letting one loop hand each node to the rules that want its kind is much cheaper than each rule
// recursing on its own. ESLint runs the rules one by one on the same tree, so the list is kept
// per tree, weakly keyed so it goes when the SourceFile does. (The checker does not use this
// cache: V8's young-generation collector keeps a WeakMap's young entries alive until a full
// collection, which made every parsed tree of a scan survive into the old generation.)
const flattened = new WeakMap<ts.SourceFile, readonly ts.Node[]>();

/** Every node of a file below the SourceFile itself, depth first, computed once per file. */
export function allNodes(sourceFile: ts.SourceFile): readonly ts.Node[] {
  let nodes = flattened.get(sourceFile);
  if (nodes === undefined) {
    const list: ts.Node[] = [];
    const recurse = (child: ts.Node): void => {
      list.push(child);
      ts.forEachChild(child, recurse);
    };
    ts.forEachChild(sourceFile, recurse);
    nodes = list;
    flattened.set(sourceFile, nodes);
  }
  return nodes;
}

/**
 * Every node of a tree parsed without parent pointers (`setParentNodes: false`), depth first,
 * setting each node's parent on the way: the parser's own pass to set them would be a second
 * walk of the tree. Afterwards the tree is as `setParentNodes: true` leaves it (there are no
 * JSDoc nodes when it is parsed with JSDocParsingMode.ParseNone).
 */
export function linkAndFlatten(sourceFile: ts.SourceFile): ts.Node[] {
  const list: ts.Node[] = [];
  let parent: ts.Node = sourceFile;
  const recurse = (child: ts.Node): void => {
    (child as { parent: ts.Node }).parent = parent;
    list.push(child);
    const outer = parent;
    parent = child;
    ts.forEachChild(child, recurse);
    parent = outer;
  };
  ts.forEachChild(sourceFile, recurse);
  return list;
}

/**
 * True for a file a tool wrote (`@generated`, `DO NOT EDIT`, "This file was automatically
 * generated" in its first lines): its definitions are copies by construction, and the fix
 * belongs in the generator, so no rule reports inside it.
 */
export function isGeneratedSource(text: string): boolean {
  return /@generated\b|\bDO NOT EDIT\b|\b(auto-?generated|(this|the) file (is|was) (automatically )?generated)\b/i.test(text.slice(0, 600));
}

/** Visits every node of a file, depth first. */
export function walk(sourceFile: ts.SourceFile, visit: (node: ts.Node) => void): void {
  for (const node of allNodes(sourceFile)) visit(node);
}

/** A pass over one file that wants the nodes of some kinds, in document order. */
export interface NodeVisitor {
  readonly kinds: readonly ts.SyntaxKind[];
  node(node: ts.Node): void;
}

/** One loop over a file's nodes (allNodes or linkAndFlatten), handing each to the visitors that asked for its kind. */
export function visitNodes(nodes: readonly ts.Node[], visitors: readonly NodeVisitor[]): void {
  const byKind = new Array<NodeVisitor[] | undefined>(ts.SyntaxKind.Count).fill(undefined);
  for (const visitor of visitors) {
    for (const kind of visitor.kinds) {
      const list = byKind[kind];
      if (list === undefined) byKind[kind] = [visitor];
      else if (!list.includes(visitor)) list.push(visitor);
    }
  }
  for (const node of nodes) {
    const interested = byKind[node.kind];
    if (interested === undefined) continue;
    for (const visitor of interested) visitor.node(node);
  }
}

/** Strips parentheses, `as`, `satisfies`, `!` and type assertions around an expression. */
export function unwrap(expression: ts.Expression): ts.Expression {
  let current = expression;
  for (;;) {
    if (
      ts.isParenthesizedExpression(current) ||
      ts.isAsExpression(current) ||
      ts.isSatisfiesExpression(current) ||
      ts.isNonNullExpression(current) ||
      ts.isTypeAssertionExpression(current)
    ) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

/** True when the node has a modifier (export, static, …) of this kind. */
export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  // node.modifiers also holds decorators, which never have a modifier's kind; reading it directly
  // spares the array ts.getModifiers() filters out of it on every call.
  if (!ts.canHaveModifiers(node)) return false;
  const modifiers = node.modifiers;
  if (modifiers === undefined) return false;
  for (const modifier of modifiers) if (modifier.kind === kind) return true;
  return false;
}

/** Every identifier a binding name (possibly a destructuring pattern) introduces. */
export function bindingIdentifiers(name: ts.BindingName): ts.Identifier[] {
  if (ts.isIdentifier(name)) return [name];
  return name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : bindingIdentifiers(element.name)));
}

/** Names exported by `export { a, b as c }` without a module specifier: the local names a and b. */
export function locallyExportedNames(sourceFile: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier === undefined && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) names.add((element.propertyName ?? element.name).text);
    }
    if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression)) names.add(statement.expression.text);
  }
  return names;
}

/**
 * Calls whose first argument names a module: test runners mock and load modules by specifier,
 * and a mock left on an old path tests a module the code no longer loads, so these are imports
 * to every rule and to the codemod like `require` and `import()`.
 */
const MODULE_CALLS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['require', new Set(['resolve'])],
  ['jest', new Set(['mock', 'doMock', 'unmock', 'dontMock', 'setMock', 'requireActual', 'requireMock', 'createMockFromModule', 'unstable_mockModule'])],
  ['vi', new Set(['mock', 'doMock', 'unmock', 'doUnmock', 'importActual', 'importMock'])],
]);

/**
 * The specifier of `require('x')`, `import('x')` (with or without options), `require.resolve('x')`,
 * `import.meta.resolve('x')`, `jest.mock('x', …)`, `vi.mock('x', …)` and the other module calls
 * of the test runners.
 */
export function moduleCallSpecifier(node: ts.CallExpression): ts.StringLiteralLike | undefined {
  const [first] = node.arguments;
  if (first === undefined || !ts.isStringLiteralLike(first)) return undefined;
  const callee = node.expression;
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return node.arguments.length <= 2 ? first : undefined;
  if (ts.isIdentifier(callee)) return callee.text === 'require' && node.arguments.length === 1 ? first : undefined;
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    return MODULE_CALLS.get(callee.expression.text)?.has(callee.name.text) === true ? first : undefined;
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isMetaProperty(callee.expression) && callee.expression.keywordToken === ts.SyntaxKind.ImportKeyword) {
    return callee.name.text === 'resolve' && node.arguments.length <= 2 ? first : undefined;
  }
  return undefined;
}

/** True for a test runner's module mock (`jest.mock`, `vi.doMock`, …): it names a module without importing names. */
export function isModuleMockCall(node: ts.Node): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    ts.isIdentifier(node.expression.expression) &&
    (node.expression.expression.text === 'jest' || node.expression.expression.text === 'vi') &&
    moduleCallSpecifier(node) !== undefined
  );
}

/** How to parse a file, by its extension: JSX only in .tsx/.jsx, plain JavaScript in .js/.mjs/.cjs. */
/** A JavaScript source (`.js`, `.jsx`, `.mjs`, `.cjs`): its types are its JSDoc. */
export function isJavaScriptPath(path: string): boolean {
  return /\.[cm]?jsx?$/.test(path);
}

export function scriptKindOf(path: string): ts.ScriptKind {
  if (path.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (path.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/** The kind word for a declaration, as messages show it. */
export function declarationKind(node: ts.Node): string {
  if (ts.isClassLike(node)) return 'class';
  if (ts.isInterfaceDeclaration(node)) return 'interface';
  if (ts.isTypeAliasDeclaration(node)) return 'type';
  if (ts.isEnumDeclaration(node)) return 'enum';
  if (ts.isModuleDeclaration(node)) return 'namespace';
  if (ts.isFunctionDeclaration(node)) return 'function';
  if (ts.isVariableDeclaration(node)) {
    const flags = ts.getCombinedNodeFlags(node);
    return flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
  }
  return 'declaration';
}

/**
 * The names in a class's or interface's extends/implements clauses (`Base`, `ns.Base` as `Base`),
 * and for a name the file imports renamed (`import { Protocol as P }`) the imported name too, so
 * `implements P` names Protocol.
 */
export function heritageNames(node: ts.Node, sourceFile: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const clauses = ts.isClassLike(node) || ts.isInterfaceDeclaration(node) ? (node.heritageClauses ?? []) : [];
  let renamed: Map<string, string> | undefined;
  for (const clause of clauses) {
    for (const type of clause.types) {
      const expression = type.expression;
      if (ts.isPropertyAccessExpression(expression)) names.add(expression.name.text);
      if (!ts.isIdentifier(expression)) continue;
      names.add(expression.text);
      renamed ??= renamedImports(sourceFile);
      const imported = renamed.get(expression.text);
      if (imported !== undefined) names.add(imported);
    }
  }
  return names;
}

/** Local name → imported name, for the renamed named imports of a file (`import { X as Y }`: Y → X). */
function renamedImports(sourceFile: ts.SourceFile): Map<string, string> {
  const renamed = new Map<string, string>();
  for (const statement of sourceFile.statements) {
    const bindings = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : undefined;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) if (element.propertyName !== undefined) renamed.set(element.name.text, element.propertyName.text);
  }
  return renamed;
}

/**
 * Calls that return their argument (a frozen or sealed object is the same object): what
 * `Object.freeze(new Tracker())` or `deepFreeze({ depth: 2 })` holds is what the argument is.
 */
export const FREEZE_CALLS: ReadonlySet<string> = new Set(['Object.freeze', 'Object.seal', 'Object.preventExtensions', 'freeze', 'deepFreeze', 'freezeDeep', 'deepSeal', 'harden']);

/** `f`, `ns.f` (the name a call is known by), else ''. */
export function qualifiedCalleeName(expression: ts.Expression): string {
  const callee = unwrap(expression);
  if (ts.isIdentifier(callee)) return callee.text;
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? `${callee.expression.text}.${callee.name.text}` : '';
}
