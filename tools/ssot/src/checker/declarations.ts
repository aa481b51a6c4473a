import ts from 'typescript';
import { hasModifier, heritageNames, locallyExportedNames } from '../analysis/ast';
import { type ParsedFile, locationOf } from './parsed-file';
import type { Location } from './violation';

export type DeclarationKind = 'class' | 'interface' | 'type' | 'enum';

/**
 * An exported top-level type declaration, with the shape structural duplicates compare. It keeps
 * no reference to the syntax tree, so a scan holds one file's tree at a time.
 */
export interface TypeDeclaration {
  name: string;
  kind: DeclarationKind;
  /** The package's name; '' outside any package. */
  packageName: string;
  /** Where its name is. */
  location: Location;
  /** Names in its extends/implements clauses: related types share members on purpose. */
  heritage: ReadonlySet<string>;
  /** The base a class extends (its members are largely the overrides the base asks for); undefined without one. */
  base: string | undefined;
  /** `export default class M`: importers name it themselves, so its own name collides with nothing. */
  defaultExport: boolean;
  /** `type SourceType = TSESLint.SourceType`: a re-export of the type of the same name, not a second one. */
  reExportsSameName: boolean;
  /** For a type alias without a member list (a union, a mapped or computed type): its text, whitespace removed. */
  aliasText: string | undefined;
  /** Sorted member signatures (types only, own name written as Self); undefined when it has no member list. */
  members: readonly string[] | undefined;
}

/** Exported classes, interfaces, type aliases and enums at the top level of a file. */
export function typeDeclarations(file: ParsedFile): TypeDeclaration[] {
  const { sourceFile } = file;
  const exported = locallyExportedNames(sourceFile);
  const declarations: TypeDeclaration[] = [];
  for (const statement of sourceFile.statements) {
    const kind = kindOf(statement);
    if (kind === undefined) continue;
    const node = statement as ts.ClassDeclaration | ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.EnumDeclaration;
    if (node.name === undefined) continue;
    const name = node.name.text;
    if (!hasModifier(node, ts.SyntaxKind.ExportKeyword) && !exported.has(name)) continue;
    declarations.push({
      name,
      kind,
      packageName: file.context.pkg?.name ?? '',
      location: locationOf(file, node.name.getStart(sourceFile), node.name.getEnd()),
      heritage: heritageNames(node, sourceFile),
      defaultExport: hasModifier(node, ts.SyntaxKind.DefaultKeyword),
      aliasText: ts.isTypeAliasDeclaration(node) ? `${node.typeParameters?.map((p) => p.getText(sourceFile)).join(',') ?? ''}=${node.type.getText(sourceFile).replace(/\s+/g, '')}` : undefined,
      reExportsSameName:
        ts.isTypeAliasDeclaration(node) &&
        ts.isTypeReferenceNode(node.type) &&
        (ts.isIdentifier(node.type.typeName) ? node.type.typeName.text : node.type.typeName.right.text) === name &&
        !ts.isIdentifier(node.type.typeName),
      base: ts.isClassDeclaration(node) ? baseOf(node) : undefined,
      members: membersOf(node, name, sourceFile),
    });
  }
  return declarations;
}

function baseOf(node: ts.ClassDeclaration): string | undefined {
  const clause = (node.heritageClauses ?? []).find((candidate) => candidate.token === ts.SyntaxKind.ExtendsKeyword);
  const expression = clause?.types[0]?.expression;
  if (expression === undefined) return undefined;
  return ts.isIdentifier(expression) ? expression.text : ts.isPropertyAccessExpression(expression) ? expression.name.text : '(expression)';
}

function kindOf(statement: ts.Statement): DeclarationKind | undefined {
  if (ts.isClassDeclaration(statement)) return 'class';
  if (ts.isInterfaceDeclaration(statement)) return 'interface';
  if (ts.isTypeAliasDeclaration(statement)) return 'type';
  if (ts.isEnumDeclaration(statement)) return 'enum';
  return undefined;
}

function membersOf(
  node: ts.ClassDeclaration | ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.EnumDeclaration,
  ownName: string,
  sourceFile: ts.SourceFile,
): string[] | undefined {
  const typeText = (type: ts.TypeNode | undefined): string => {
    if (type === undefined) return '?';
    const text = type.getText(sourceFile).replace(/\s+/g, '');
    return text.includes(ownName) ? text.replace(new RegExp(`\\b${ownName}\\b`, 'g'), 'Self') : text;
  };
  const params = (parameters: ts.NodeArray<ts.ParameterDeclaration>): string =>
    parameters.map((p) => `${p.dotDotDotToken ? '...' : ''}${typeText(p.type)}${p.questionToken || p.initializer ? '?' : ''}`).join(',');

  if (ts.isEnumDeclaration(node)) {
    return node.members.map((member) => `${propertyName(member.name, sourceFile)}=${member.initializer?.getText(sourceFile) ?? ''}`).sort();
  }
  let elements: readonly (ts.ClassElement | ts.TypeElement)[];
  if (ts.isTypeAliasDeclaration(node)) {
    if (!ts.isTypeLiteralNode(node.type)) return undefined;
    elements = node.type.members;
  } else {
    elements = node.members;
  }
  const signatures: string[] = [];
  for (const member of elements) {
    const isStatic = hasModifier(member, ts.SyntaxKind.StaticKeyword) ? 'static ' : '';
    const name = member.name === undefined ? '' : propertyName(member.name, sourceFile);
    const optional = 'questionToken' in member && member.questionToken !== undefined ? '?' : '';
    if (ts.isPropertyDeclaration(member) || ts.isPropertySignature(member)) {
      const type = member.type === undefined && ts.isPropertyDeclaration(member) ? initializerType(member.initializer) : typeText(member.type);
      signatures.push(`${isStatic}${name}${optional}:${type}`);
    } else if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member)) {
      signatures.push(`${isStatic}${name}${optional}(${params(member.parameters)}):${typeText(member.type)}`);
    } else if (ts.isGetAccessorDeclaration(member)) {
      signatures.push(`${isStatic}get ${name}:${typeText(member.type)}`);
    } else if (ts.isSetAccessorDeclaration(member)) {
      signatures.push(`${isStatic}set ${name}(${params(member.parameters)})`);
    } else if (ts.isConstructorDeclaration(member)) {
      signatures.push(`constructor(${params(member.parameters)})`);
      for (const parameter of member.parameters) {
        if (ts.isParameterPropertyDeclaration(parameter, member)) signatures.push(`${propertyName(parameter.name as ts.Identifier, sourceFile)}:${typeText(parameter.type)}`);
      }
    } else if (ts.isCallSignatureDeclaration(member) || ts.isConstructSignatureDeclaration(member)) {
      signatures.push(`${ts.isConstructSignatureDeclaration(member) ? 'new' : ''}(${params(member.parameters)}):${typeText(member.type)}`);
    } else if (ts.isIndexSignatureDeclaration(member)) {
      signatures.push(`[${params(member.parameters)}]:${typeText(member.type)}`);
    }
  }
  return signatures.sort();
}

function propertyName(name: ts.PropertyName | ts.BindingName, sourceFile: ts.SourceFile): string {
  return ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText(sourceFile);
}

/** A property without a type annotation is compared by what its initializer is. */
function initializerType(initializer: ts.Expression | undefined): string {
  if (initializer === undefined) return '?';
  if (ts.isNumericLiteral(initializer)) return 'number';
  if (ts.isStringLiteralLike(initializer)) return 'string';
  if (initializer.kind === ts.SyntaxKind.TrueKeyword || initializer.kind === ts.SyntaxKind.FalseKeyword) return 'boolean';
  if (ts.isArrayLiteralExpression(initializer)) return '[]';
  if (ts.isObjectLiteralExpression(initializer)) return '{}';
  if (ts.isNewExpression(initializer)) return `new ${initializer.expression.getText()}`;
  return '?';
}
