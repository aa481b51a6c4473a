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

/** Imports, re-exports, `import x = require()`, `require()`, `import()` and `import('x').T` types. */
export function moduleReferences(sourceFile: ts.SourceFile): ModuleReference[] {
  const references: ModuleReference[] = [];
  walk(sourceFile, (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      references.push({ specifier: node.moduleSpecifier, holder: node });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      references.push({ specifier: node.moduleReference.expression, holder: node });
    } else if (ts.isCallExpression(node)) {
      const specifier = moduleCallSpecifier(node);
      if (specifier) references.push({ specifier, holder: node });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      references.push({ specifier: node.argument.literal, holder: node });
    }
  });
  return references;
}
