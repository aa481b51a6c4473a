import ts from 'typescript';
import { hasModifier, isJavaScriptPath } from '../analysis/ast';

/**
 * What the syntax alone says of the member signatures the type pass computes for a class,
 * interface, object type or object (type-pass.ts `memberSignatures`), so that the pass can leave
 * out, before it builds a Program, the shapes that cannot come near a contract. Every figure is
 * a bound the checker's answer cannot break:
 *
 * - each member the pass counts (public, not static, not `#`/`__`, declared by the shape itself)
 *   falls in a category its signature determines: `m1` for a method or function-typed member
 *   with one parameter (`m1|2` with overloads), `v` for a value of a written keyword, literal,
 *   array or tuple type, `?` in front when optional; a member whose type only the checker knows
 *   (a type reference, an inferred initializer, an accessor) is unknown and may match anything;
 * - two equal signatures are always in one category, so two shapes share at most the pairs of
 *   equal categories plus the unknowns.
 */
export interface MemberProfile {
  /** Members the type pass counts. */
  size: number;
  /** Known categories, with how many members are in each. */
  categories: ReadonlyMap<string, number>;
  /** Members whose category only the checker knows. */
  unknown: number;
  /** The pass may count members or types the syntax does not show (an interface's bases, a merged or augmented declaration, spreads, computed names, JavaScript): no bound holds. */
  open: boolean;
  /** The type has members beyond those counted (a class's base): what it satisfies is not bounded. */
  inherits: boolean;
  /** Exact names of the counted members. */
  names: ReadonlySet<string>;
  /** Exact names of the counted members that are not optional. */
  required: ReadonlySet<string>;
}

export type ProfiledNode = ts.ClassLikeDeclaration | ts.InterfaceDeclaration | ts.TypeLiteralNode | ts.ObjectLiteralExpression;

const VALUE_TYPE_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.StringKeyword,
  ts.SyntaxKind.NumberKeyword,
  ts.SyntaxKind.BooleanKeyword,
  ts.SyntaxKind.BigIntKeyword,
  ts.SyntaxKind.SymbolKeyword,
  ts.SyntaxKind.UndefinedKeyword,
  ts.SyntaxKind.NeverKeyword,
  ts.SyntaxKind.ObjectKeyword,
  ts.SyntaxKind.AnyKeyword,
  ts.SyntaxKind.UnknownKeyword,
  ts.SyntaxKind.VoidKeyword,
  ts.SyntaxKind.LiteralType,
  ts.SyntaxKind.ArrayType,
  ts.SyntaxKind.TupleType,
]);

/** A written type's category: `m<arity>` for a function type, `v` for a value type, undefined when only the checker knows. */
function categoryOfType(type: ts.TypeNode | undefined): string | undefined {
  if (type === undefined) return undefined;
  if (ts.isFunctionTypeNode(type)) return `m${arity(type.parameters)}`;
  return VALUE_TYPE_KINDS.has(type.kind) ? 'v' : undefined;
}

/**
 * What a value's type is without an assertion in the way: parentheses, `satisfies`, `!` and
 * `as const` keep the expression's own type, an `as T` or `<T>` gives it T, which only the
 * checker knows.
 */
export function unasserted(value: ts.Expression): ts.Expression | undefined {
  let current = value;
  // `as const` narrows literals to themselves: values stay values, functions keep their parameters
  while (ts.isParenthesizedExpression(current) || ts.isSatisfiesExpression(current) || ts.isNonNullExpression(current) || (ts.isAsExpression(current) && ts.isConstTypeReference(current.type))) current = current.expression;
  return ts.isAsExpression(current) || ts.isTypeAssertionExpression(current) ? undefined : current;
}

/** The category an initializer gives a member without a written type. */
function categoryOfValue(value: ts.Expression | undefined): string | undefined {
  const expression = value === undefined ? undefined : unasserted(value);
  if (expression === undefined) return undefined;
  if (ts.isArrowFunction(expression) || ts.isFunctionExpression(expression)) return `m${arity(expression.parameters)}`;
  if (ts.isStringLiteralLike(expression) || ts.isNumericLiteral(expression) || ts.isTemplateExpression(expression)) return 'v';
  return expression.kind === ts.SyntaxKind.TrueKeyword || expression.kind === ts.SyntaxKind.FalseKeyword ? 'v' : undefined;
}

/** Parameters as the checker counts a signature's: a `this` parameter is not one. */
function arity(parameters: ts.NodeArray<ts.ParameterDeclaration>): number {
  return parameters.filter((parameter) => !(ts.isIdentifier(parameter.name) && parameter.name.text === 'this')).length;
}

function nameOf(name: ts.PropertyName | undefined): string | undefined {
  return name !== undefined && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) ? name.text : undefined;
}

/** Collects members by name: overloads and accessor pairs are one property, as for the checker. */
class ProfileBuilder {
  open = false;
  private readonly members = new Map<string, { optional: boolean; category: string | undefined; overloads: number[]; implementation: number | undefined }>();

  member(name: string | undefined, optional: boolean, category: string | undefined): void {
    if (name === undefined) this.open = true;
    else if (!name.startsWith('#') && !name.startsWith('__') && !this.members.has(name)) this.members.set(name, { optional, category, overloads: [], implementation: undefined });
  }

  /** One signature of a method: an overload (no body; a method's overloads hide its implementation's signature) or the implementation. */
  method(name: string | undefined, optional: boolean, parameters: number, overload: boolean): void {
    if (name === undefined) {
      this.open = true;
      return;
    }
    if (name.startsWith('#') || name.startsWith('__')) return;
    let known = this.members.get(name);
    if (known === undefined) {
      known = { optional, category: undefined, overloads: [], implementation: undefined };
      this.members.set(name, known);
    }
    if (overload) known.overloads.push(parameters);
    else known.implementation = parameters;
  }

  build(inherits: boolean): MemberProfile {
    const categories = new Map<string, number>();
    let unknown = 0;
    const required = new Set<string>();
    for (const [name, member] of this.members) {
      if (!member.optional) required.add(name);
      const arities = member.overloads.length > 0 ? member.overloads : member.implementation === undefined ? [] : [member.implementation];
      // an optional method's signature text is left to the checker
      const category = arities.length === 0 ? member.category : member.optional ? undefined : `m${[...new Set(arities)].sort((x, y) => x - y).join('|')}`;
      if (category === undefined) unknown += 1;
      else {
        const key = `${member.optional ? '?' : ''}${category}`;
        categories.set(key, (categories.get(key) ?? 0) + 1);
      }
    }
    return { size: this.members.size, categories, unknown, open: this.open, inherits, names: new Set(this.members.keys()), required };
  }
}

/**
 * The profile of a top-level class, interface, object type or object. `merged`: the file
 * declares another top-level thing of the same name, or is a script whose declarations merge
 * with other scripts' (the checker then sees more members).
 */
export function memberProfile(node: ProfiledNode, merged: boolean): MemberProfile {
  const builder = new ProfileBuilder();
  // In JavaScript the checker reads types from JSDoc (`@type`, `@param`) and gives a function
  // that uses `arguments` a rest parameter: the syntax bounds nothing there.
  const javascript = isJavaScriptPath(node.getSourceFile().fileName);
  builder.open = merged || javascript;
  if (ts.isObjectLiteralExpression(node)) {
    for (const property of node.properties) {
      if (ts.isSpreadAssignment(property)) builder.open = true;
      else if (ts.isMethodDeclaration(property)) builder.member(nameOf(property.name), false, `m${arity(property.parameters)}`);
      else if (ts.isPropertyAssignment(property)) builder.member(nameOf(property.name), false, categoryOfValue(property.initializer));
      else if (ts.isShorthandPropertyAssignment(property)) builder.member(property.name.text, false, undefined);
      else builder.member(nameOf(property.name), false, undefined);
    }
    return builder.build(false);
  }
  if (ts.isInterfaceDeclaration(node) && (node.heritageClauses?.length ?? 0) > 0) builder.open = true;
  const hidden = (member: ts.Node): boolean => hasModifier(member, ts.SyntaxKind.PrivateKeyword) || hasModifier(member, ts.SyntaxKind.ProtectedKeyword) || hasModifier(member, ts.SyntaxKind.StaticKeyword);
  for (const member of node.members) {
    if (ts.isConstructorDeclaration(member)) {
      for (const parameter of member.parameters) {
        if (!ts.isParameterPropertyDeclaration(parameter, member) || hidden(parameter)) continue;
        if (!ts.isIdentifier(parameter.name)) builder.open = true;
        else builder.member(parameter.name.text, parameter.questionToken !== undefined, parameter.questionToken === undefined ? categoryOfType(parameter.type) : undefined);
      }
      continue;
    }
    if (ts.isIndexSignatureDeclaration(member) || ts.isCallSignatureDeclaration(member) || ts.isConstructSignatureDeclaration(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
    if (hidden(member)) continue;
    const optional = (member as { questionToken?: ts.QuestionToken }).questionToken !== undefined;
    if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member)) {
      builder.method(nameOf(member.name), optional, arity(member.parameters), !(ts.isMethodDeclaration(member) && member.body !== undefined));
    } else if (ts.isPropertyDeclaration(member) || ts.isPropertySignature(member)) {
      builder.member(nameOf(member.name), optional, categoryOfType(member.type) ?? (ts.isPropertyDeclaration(member) && member.type === undefined ? categoryOfValue(member.initializer) : undefined));
    } else if (ts.isGetAccessor(member) || ts.isSetAccessor(member)) {
      builder.member(nameOf(member.name), false, undefined);
    } else {
      builder.open = true;
    }
  }
  const extendsBase = ts.isClassLike(node) && (node.heritageClauses ?? []).some((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword);
  return builder.build(extendsBase);
}

/** At most how many member signatures two profiles can share: pairs of equal categories, plus every unknown member, never more than either has. */
export function sharedAtMost(a: MemberProfile, b: MemberProfile): number {
  let pairs = 0;
  for (const [category, count] of a.categories) pairs += Math.min(count, b.categories.get(category) ?? 0);
  return Math.min(a.size, b.size, pairs + a.unknown + b.unknown);
}

/**
 * Whether the type pass could find `copy` a renamed copy of `contract` (multiset similarity of
 * the member signatures at least `threshold`, at least `minMembers` shared) or, for an interface
 * or object type contract (`satisfiable`), a type that satisfies it (every required member
 * there). False only when the profiles prove both impossible.
 */
export function mayMatch(copy: MemberProfile, contract: MemberProfile, satisfiable: boolean, threshold: number, minMembers: number): boolean {
  if (copy.open || contract.open) return true;
  const shared = sharedAtMost(copy, contract);
  if (shared >= minMembers && shared / (copy.size + contract.size - shared) >= threshold) return true;
  if (!satisfiable) return false;
  // a base may supply what the class lacks
  if (copy.inherits) return true;
  for (const name of contract.required) if (!copy.names.has(name)) return false;
  return true;
}
