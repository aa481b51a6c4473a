import ts from 'typescript';

// Every rule visits every node of a file; flattening the tree once per file (depth first) and
// letting each rule loop over the array is much cheaper than each rule recursing on its own.
// Weakly keyed, so the list goes when the SourceFile does.
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

/** Visits every node of a file, depth first. */
export function walk(sourceFile: ts.SourceFile, visit: (node: ts.Node) => void): void {
  for (const node of allNodes(sourceFile)) visit(node);
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

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind);
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

/** True for `require('x')` and `import('x')` with one string argument. */
export function moduleCallSpecifier(node: ts.CallExpression): ts.StringLiteralLike | undefined {
  const [first] = node.arguments;
  if (node.arguments.length !== 1 || first === undefined || !ts.isStringLiteralLike(first)) return undefined;
  if (node.expression.kind === ts.SyntaxKind.ImportKeyword) return first;
  if (ts.isIdentifier(node.expression) && node.expression.text === 'require') return first;
  return undefined;
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
