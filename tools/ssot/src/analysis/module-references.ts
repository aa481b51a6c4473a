import ts from 'typescript';
import { moduleCallSpecifier, walk } from './ast';

export type ModuleReferenceHolder =
  | ts.ImportDeclaration
  | ts.ExportDeclaration
  | ts.ImportEqualsDeclaration
  | ts.CallExpression
  | ts.ImportTypeNode;

/** One place a file names another module. */
export interface ModuleReference {
  specifier: ts.StringLiteralLike;
  holder: ModuleReferenceHolder;
}

/** The kinds of node that can name a module (moduleReferenceOf looks only at these). */
export const MODULE_REFERENCE_KINDS: readonly ts.SyntaxKind[] = [
  ts.SyntaxKind.ImportDeclaration,
  ts.SyntaxKind.ExportDeclaration,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.CallExpression,
  ts.SyntaxKind.ImportType,
];

/** The module a node names, if it is an import, re-export, `import x = require()`, `require()`, `import()` or `import('x').T` type. */
export function moduleReferenceOf(node: ts.Node): ModuleReference | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier, holder: node };
  } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
    return { specifier: node.moduleReference.expression, holder: node };
  } else if (ts.isCallExpression(node)) {
    const specifier = moduleCallSpecifier(node);
    if (specifier) return { specifier, holder: node };
  } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
    return { specifier: node.argument.literal, holder: node };
  }
  return undefined;
}

/** Imports, re-exports, `import x = require()`, `require()`, `import()` and `import('x').T` types. */
export function moduleReferences(sourceFile: ts.SourceFile): ModuleReference[] {
  const references: ModuleReference[] = [];
  walk(sourceFile, (node) => {
    const reference = moduleReferenceOf(node);
    if (reference !== undefined) references.push(reference);
  });
  return references;
}
