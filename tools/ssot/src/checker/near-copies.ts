import ts from 'typescript';
import { FREEZE_CALLS, hasModifier, heritageNames, isJavaScriptPath, qualifiedCalleeName, unwrap } from '../analysis/ast';
import { type ExtensionRegistrations, extensionRegistrations, isRegisteredExtension } from '../analysis/extension-points';
import type { NameMatch, Registry } from '../registry';
import { type MemberProfile, type ProfiledNode, memberProfile } from './member-profile';
import { type ParsedFile, locationOf } from './parsed-file';
import { type Location, type Violation, violationKey } from './violation';

/**
 * What a shape is: a type (class, interface, type literal), an enum, a run-time value (an object
 * literal, a zod object schema), or a list of an enum's values without its names (`values`:
 * `z.enum([...])`, a union of string literals, an array of them).
 */
export type ShapeKind = 'class' | 'interface' | 'type' | 'enum' | 'object' | 'schema' | 'values';

/**
 * One top-level declaration reduced to the names of its members, for comparing with the
 * registry's concepts. Names are normalized (lower case, letters and digits only), so a drifted
 * copy (`send_to_user` for `sendToUser`) still matches; enum members and object-literal
 * properties carry their values (`open=open`), so a value that copies an enum matches it.
 */
export interface Shape {
  name: string;
  /** As messages show it: the name, or `(anonymous default class)`. */
  display: string;
  kind: ShapeKind;
  packageName: string;
  location: Location;
  /** Names in its extends/implements clauses. */
  heritage: ReadonlySet<string>;
  members: ReadonlySet<string>;
  /** The members as written, to tell an exact copy (structural-duplicates) from a near one. */
  signature: string;
  /** The extension points the file passes its declarations to (see extension-points.ts); none when absent. */
  registrations?: ExtensionRegistrations;
  /** For classes, interfaces, object types and objects: what the syntax bounds of the member signatures the type pass would compare. */
  profile?: MemberProfile;
  /** Compared by its member names only (a computed type: `A & B`, `Pick<…>`): the type pass does not take it as a candidate. */
  namesOnly?: boolean;
}

const TYPE_KINDS: ReadonlySet<ShapeKind> = new Set(['class', 'interface', 'type']);
/** Which kinds of shape can copy which: types copy types, values copy enums, schemas copy schemas. */
function comparable(copy: ShapeKind, canonical: ShapeKind): boolean {
  if (TYPE_KINDS.has(canonical)) return TYPE_KINDS.has(copy);
  if (canonical === 'enum') return copy === 'enum' || copy === 'object' || copy === 'values';
  return canonical === 'schema' && copy === 'schema';
}

const normalize = (name: string): string => name.toLowerCase().replace(/[^a-z0-9=]/g, '');

/**
 * The shapes of a file's top-level declarations, exported or not (a drifted mock is rarely
 * exported). `extensionPoints`: the registry's extension point names (extensionPointNames).
 */
export function shapesOf(file: ParsedFile, extensionPoints: ReadonlySet<string> = new Set()): Shape[] {
  const { sourceFile } = file;
  const shapes: Shape[] = [];
  const registrations = extensionRegistrations(sourceFile, extensionPoints);
  const merged = mergedNames(sourceFile);
  const zod: ZodContext = { objectFunctions: zodObjectImports(sourceFile), schemas: new Map() };
  const add = (name: string, display: string, kind: ShapeKind, nameNode: ts.Node, heritage: Set<string>, members: string[], profiled?: ProfiledNode, namesOnly = false): void => {
    if (members.length === 0) return;
    shapes.push({
      name,
      display,
      kind,
      packageName: file.context.pkg?.name ?? '',
      location: locationOf(file, nameNode.getStart(sourceFile), nameNode.getEnd()),
      heritage,
      members: new Set(members.map(normalize)),
      signature: [...members].sort().join(';'),
      registrations,
      ...(profiled === undefined ? {} : { profile: memberProfile(profiled, merged === undefined || merged.has(name)) }),
      ...(namesOnly ? { namesOnly } : {}),
    });
  };
  const javascript = isJavaScriptPath(sourceFile.fileName);
  // `function makeCart() { return class {…} }`: named after the function, placed at the class (the type pass finds it there)
  const addReturnedClass = (functionName: string, fn: ts.FunctionLikeDeclaration): void => {
    const returned = returnedClass(fn);
    if (returned !== undefined) add(`${functionName}()`, `returned by ${functionName}()`, 'class', returned, heritageNames(returned, sourceFile), classMemberNames(returned, javascript), returned);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) {
      const anonymous = statement.name === undefined;
      const name = statement.name?.text ?? 'default';
      const kind = ts.isClassDeclaration(statement) ? 'class' : 'interface';
      // an anonymous default class is placed at its first token (a JavaScript file's JSDoc is a child too)
      const nameNode = statement.name ?? statement.getChildren(sourceFile).find((child) => !ts.isJSDoc(child)) ?? statement;
      const members = ts.isClassDeclaration(statement) ? classMemberNames(statement, javascript) : memberNames(statement.members);
      add(name, anonymous ? `(anonymous default ${kind})` : name, kind, nameNode, heritageNames(statement, sourceFile), members, statement);
    } else if (ts.isTypeAliasDeclaration(statement) && ts.isTypeLiteralNode(statement.type)) {
      add(statement.name.text, statement.name.text, 'type', statement.name, new Set(), memberNames(statement.type.members), statement.type);
    } else if (ts.isTypeAliasDeclaration(statement) && (ts.isIntersectionTypeNode(statement.type) || ts.isMappedTypeNode(statement.type) || (ts.isTypeReferenceNode(statement.type) && statement.type.typeArguments !== undefined))) {
      // `type T = A & { … }`, `Pick<Row, 'a' | 'b'>`, `{ [K in 'a' | 'b']: string }`: the members the syntax names
      const members = computedMembers(statement.type, sourceFile, 0);
      if (members !== undefined && members.length > 0) add(statement.name.text, statement.name.text, 'type', statement.name, new Set(), [...new Set(members)], undefined, true);
    } else if (ts.isTypeAliasDeclaration(statement) && ts.isUnionTypeNode(statement.type)) {
      // `type Level = 'low' | 'normal' | 'high'`: an enum's values under another name
      const values = literalValues(statement.type.types.map((type) => (ts.isLiteralTypeNode(type) ? type.literal : type)));
      if (values !== undefined) add(statement.name.text, statement.name.text, 'values', statement.name, new Set(), values);
    } else if (ts.isEnumDeclaration(statement)) {
      const members = statement.members.map((member) => `${propertyText(member.name)}=${member.initializer === undefined ? '' : literalText(member.initializer)}`);
      add(statement.name.text, statement.name.text, 'enum', statement.name, new Set(), members);
    } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
      // `function jobSchemaFor(queue) { return z.object({…}) }`: a schema made on each call is the same copy
      const returned = returnedSchema(statement, zod);
      if (returned !== undefined) add(`${statement.name.text}()`, `returned by ${statement.name.text}()`, 'schema', returned.node, new Set(), returned.fields);
      else addReturnedClass(statement.name.text, statement);
    } else if (ts.isVariableStatement(statement) && statement.declarationList.flags & ts.NodeFlags.Const) {
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name) || declaration.initializer === undefined) continue;
        const value = unwrap(declaration.initializer);
        if (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) {
          const returned = returnedSchema(value, zod);
          if (returned !== undefined) add(`${declaration.name.text}()`, `returned by ${declaration.name.text}()`, 'schema', returned.node, new Set(), returned.fields);
          else addReturnedClass(declaration.name.text, value);
          continue;
        }
        if (ts.isObjectLiteralExpression(value)) {
          // `export const schemas = { job: z.object({…}) }`: each schema it holds by property
          for (const property of value.properties) {
            if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
            const held = zodObjectShape(unwrap(property.initializer), zod);
            if (held !== undefined) add(`${declaration.name.text}.${property.name.text}`, `${declaration.name.text}.${property.name.text}`, 'schema', property.name, new Set(), held);
          }
        }
        const schema = zodObjectShape(value, zod);
        if (schema !== undefined) {
          zod.schemas.set(declaration.name.text, schema);
          add(declaration.name.text, declaration.name.text, 'schema', declaration.name, new Set(), schema);
        } else {
          const object = frozenArgument(value);
          const members = ts.isObjectLiteralExpression(object) ? literalRecord(object) : entryRecord(object);
          const values = members === undefined ? valueList(object) : undefined;
          if (members !== undefined) add(declaration.name.text, declaration.name.text, 'object', declaration.name, new Set(), members);
          else if (values !== undefined) add(declaration.name.text, declaration.name.text, 'values', declaration.name, new Set(), values);
        }
      }
    }
  }
  return shapes;
}

/**
 * Names a module declares more than once at the top level (declarations that merge, so the
 * checker sees more members than one of them shows); undefined for a script, whose top-level
 * declarations merge with every other script's.
 */
export function mergedNames(sourceFile: ts.SourceFile): ReadonlySet<string> | undefined {
  if (!ts.isExternalModule(sourceFile)) return undefined;
  const seen = new Set<string>();
  const merged = new Set<string>();
  const note = (name: string): void => {
    if (seen.has(name)) merged.add(name);
    seen.add(name);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) note(declaration.name.text);
    } else if ((ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isFunctionDeclaration(statement) || ts.isModuleDeclaration(statement)) && statement.name !== undefined && ts.isIdentifier(statement.name)) {
      note(statement.name.text);
    }
  }
  return merged;
}

/**
 * Shapes outside a concept's owner that share most of their members with the concept's own
 * declaration: a renamed copy, one with a member more or less, an anonymous default class, a
 * drifted mock, an interface that copies the protocol while extending some other base, a value
 * that copies an enum's members, a schema that copies a wire schema's fields. Similarity is
 * shared / all distinct member names (Jaccard); reported from `threshold` with at least
 * `minMembers` shared. Exact copies are left to structural-duplicates; a class that names the
 * concept in its implements/extends is an implementation (canonical-definitions' allow-list).
 */
export function nearCopies(shapes: readonly Shape[], registry: Registry, threshold: number, minMembers: number, structural: ReadonlySet<string> = new Set()): Violation[] {
  const canonical: { shape: Shape; match: NameMatch }[] = [];
  for (const shape of shapes) {
    const match = registry.matchName(shape.name);
    if (match !== undefined && match.role === 'canonical' && shape.packageName === match.concept.owner) canonical.push({ shape, match });
  }
  // a concept inherits the members of the concepts it extends (the protocol extends the event sink):
  // a complete implementation of it has those too
  const byName = new Map(canonical.map((entry) => [entry.shape.name, entry.shape]));
  const inherited = (shape: Shape, seen: Set<string>): Set<string> => {
    const members = new Set(shape.members);
    for (const base of shape.heritage) {
      const parent = byName.get(base);
      if (parent === undefined || seen.has(base)) continue;
      seen.add(base);
      for (const member of inherited(parent, seen)) members.add(member);
    }
    return members;
  };
  for (const entry of canonical) entry.shape = { ...entry.shape, members: inherited(entry.shape, new Set([entry.shape.name])) };
  const violations: Violation[] = [];
  for (const copy of shapes) {
    if (copy.members.size < minMembers) continue;
    const named = registry.matchName(copy.name);
    // a concept's own declaration is no copy of another concept (a canonical class implementing a canonical interface)
    if (named !== undefined && named.role === 'canonical' && copy.packageName === named.concept.owner) continue;
    let best: { shape: Shape; match: NameMatch; shared: number; similarity: number; union: number } | undefined;
    for (const { shape, match } of canonical) {
      if (!comparable(copy.kind, shape.kind)) continue;
      // its own name, or an alias, is canonical-definitions' to report; implementing it is an implementation
      if (named?.concept === match.concept || copy.heritage.has(shape.name)) continue;
      // a list of values is compared with the enum's values (`open=open` → `open`)
      const members = copy.kind === 'values' ? new Set([...shape.members].map((member) => member.slice(member.indexOf('=') + 1))) : shape.members;
      let shared = 0;
      for (const member of copy.members) if (members.has(member)) shared += 1;
      const union = copy.members.size + members.size - shared;
      const similarity = shared / union;
      if (shared >= minMembers && similarity >= threshold && (best === undefined || similarity > best.similarity)) best = { shape, match, shared, similarity, union };
    }
    // closest to a concept of its own package (a test's complete implementation of its package's
    // protocol): that package's own business, not a copy of the other concept it also resembles
    if (best === undefined || best.match.concept.owner === copy.packageName) continue;
    // registered through the concept's extension point: the application's own member of the family
    if (copy.registrations !== undefined && isRegisteredExtension(copy.registrations, copy.name, best.match.concept)) continue;
    // reported already as an exact copy (structural-duplicates: the same members with the same types);
    // the same names in another spelling or with other types are a near copy
    if (structural.has(`${copy.name}~${best.shape.name}`)) continue;
    const { shape, match, shared, similarity, union } = best;
    const percent = Math.round(similarity * 100);
    const entry = registry.entryOf(match.concept);
    violations.push({
      ...copy.location,
      category: 'near-copies',
      message:
        `${copy.kind} ${copy.display} shares ${percent}% of its members with ${shape.kind} ${shape.name} of ${match.concept.owner} ` +
        `(${shared} of ${union}; the registry's threshold is ${Math.round(threshold * 100)}%): it is a second definition of ${shape.name}`,
      hint: match.concept.fix ?? `use ${shape.name} from '${entry}'${TYPE_KINDS.has(copy.kind) && shape.kind === 'interface' ? ', or implement it by name and list the class under its implementations' : ''}`,
      subject: `${copy.name}~${shape.name}`,
      key: violationKey('near-copies', copy.location.file, `${copy.name}~${shape.name}`),
      fixable: false,
      baselined: false,
      related: [{ ...shape.location, message: `${shape.kind} ${shape.name}` }],
    });
  }
  return violations;
}

/** Public member names: properties, methods, accessors, constructor parameter properties; private and # members are internals. */
function memberNames(members: ts.NodeArray<ts.ClassElement | ts.TypeElement>): string[] {
  const names: string[] = [];
  for (const member of members) {
    if (ts.isConstructorDeclaration(member)) {
      for (const parameter of member.parameters) {
        if (ts.isParameterPropertyDeclaration(parameter, member) && !hasModifier(parameter, ts.SyntaxKind.PrivateKeyword) && ts.isIdentifier(parameter.name)) names.push(parameter.name.text);
      }
      continue;
    }
    if (member.name === undefined || ts.isPrivateIdentifier(member.name) || hasModifier(member, ts.SyntaxKind.PrivateKeyword) || hasModifier(member, ts.SyntaxKind.StaticKeyword)) continue;
    const name = propertyText(member.name);
    if (name !== '') names.push(name);
  }
  return [...new Set(names)];
}

/**
 * A class's member names (memberNames); in JavaScript also the fields its constructor sets,
 * `this.x = …` (and `this.x = this.y = …`) among the constructor's own statements, which
 * TypeScript would declare in the body. A `_x` field is left out: JavaScript's way to say
 * `private`. TypeScript is left as it is: a field it assigns must be declared in the body, where
 * its modifiers say whether it is public.
 */
function classMemberNames(node: ts.ClassLikeDeclaration, javascript: boolean): string[] {
  const names = memberNames(node.members);
  if (!javascript) return names;
  const constructor = node.members.find((member): member is ts.ConstructorDeclaration => ts.isConstructorDeclaration(member) && member.body !== undefined);
  for (const statement of constructor?.body?.statements ?? []) {
    let assigned = ts.isExpressionStatement(statement) ? statement.expression : undefined;
    while (assigned !== undefined && ts.isBinaryExpression(assigned) && assigned.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const target = assigned.left;
      if (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword && ts.isIdentifier(target.name) && !target.name.text.startsWith('_')) names.push(target.name.text);
      assigned = assigned.right;
    }
  }
  return [...new Set(names)];
}

/**
 * The class a function returns: its arrow body or its first top-level `return`, a class
 * expression or a class the body declares at its top level (`class Cart {…} return Cart`).
 */
function returnedClass(fn: ts.FunctionLikeDeclaration): ts.ClassLikeDeclaration | undefined {
  const body = fn.body;
  if (body === undefined) return undefined;
  const returned = !ts.isBlock(body) ? body : body.statements.find((statement): statement is ts.ReturnStatement => ts.isReturnStatement(statement))?.expression;
  const value = returned === undefined ? undefined : unwrap(returned);
  if (value === undefined) return undefined;
  if (ts.isClassExpression(value)) return value;
  if (!ts.isIdentifier(value) || !ts.isBlock(body)) return undefined;
  return body.statements.find((statement): statement is ts.ClassDeclaration => ts.isClassDeclaration(statement) && statement.name?.text === value.text);
}

function propertyText(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : '';
}

function literalText(expression: ts.Expression): string {
  const value = unwrap(expression);
  return ts.isStringLiteralLike(value) || ts.isNumericLiteral(value) ? value.text : value.getText();
}

/** `{ Open: 'open', Closed: 'closed' }` (as const or not): every property a string or number literal. */
function literalRecord(object: ts.ObjectLiteralExpression): string[] | undefined {
  const members: string[] = [];
  for (const property of object.properties) {
    if (!ts.isPropertyAssignment(property)) return undefined;
    const value = unwrap(property.initializer);
    if (!ts.isStringLiteralLike(value) && !ts.isNumericLiteral(value)) return undefined;
    members.push(`${propertyText(property.name)}=${value.text}`);
  }
  return members;
}

/**
 * The member names a computed type has as far as the file shows them: the parts of an
 * intersection, the keys of a mapped type over literal keys, `Pick`/`Omit` with literal keys,
 * `Partial`/`Required`/`Readonly` of a known type, and the type literals, interfaces and aliases
 * of the same file it names. A part it cannot see adds nothing; undefined when it sees nothing.
 */
function computedMembers(type: ts.TypeNode, sourceFile: ts.SourceFile, depth: number): string[] | undefined {
  if (depth > 4) return undefined;
  if (ts.isParenthesizedTypeNode(type)) return computedMembers(type.type, sourceFile, depth + 1);
  if (ts.isTypeLiteralNode(type)) return memberNames(type.members);
  if (ts.isIntersectionTypeNode(type)) {
    const parts = type.types.map((part) => computedMembers(part, sourceFile, depth + 1));
    return parts.every((part) => part === undefined) ? undefined : parts.flatMap((part) => part ?? []);
  }
  if (ts.isMappedTypeNode(type)) return type.typeParameter.constraint === undefined ? undefined : literalKeys(type.typeParameter.constraint);
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
  const name = type.typeName.text;
  const [target, keys] = type.typeArguments ?? [];
  if (name === 'Pick' && keys !== undefined) return literalKeys(keys);
  if (name === 'Omit' && target !== undefined && keys !== undefined) {
    const dropped = new Set(literalKeys(keys) ?? []);
    return computedMembers(target, sourceFile, depth + 1)?.filter((member) => !dropped.has(member));
  }
  if ((name === 'Partial' || name === 'Required' || name === 'Readonly') && target !== undefined) return computedMembers(target, sourceFile, depth + 1);
  if (type.typeArguments !== undefined) return undefined;
  for (const statement of sourceFile.statements) {
    if (ts.isInterfaceDeclaration(statement) && statement.name.text === name) return memberNames(statement.members);
    if (ts.isTypeAliasDeclaration(statement) && statement.name.text === name && statement.type !== type) return computedMembers(statement.type, sourceFile, depth + 1);
  }
  return undefined;
}

/** `'a' | 'b'` (or one literal): the keys, or undefined when any is not a string literal. */
function literalKeys(type: ts.TypeNode): string[] | undefined {
  const parts = ts.isUnionTypeNode(type) ? type.types : [type];
  const keys: string[] = [];
  for (const part of parts) {
    if (!ts.isLiteralTypeNode(part) || !ts.isStringLiteral(part.literal)) return undefined;
    keys.push(part.literal.text);
  }
  return keys;
}

/** The texts of string and number literals, or undefined when any is something else. */
function literalValues(nodes: readonly ts.Node[]): string[] | undefined {
  const values: string[] = [];
  for (const node of nodes) {
    if (!ts.isStringLiteralLike(node) && !ts.isNumericLiteral(node)) return undefined;
    values.push(node.text);
  }
  return values;
}

/** `['low', 'normal']` (as const or not) and `z.enum(['low', 'normal'])`: the values of a list of literals. */
function valueList(value: ts.Expression): string[] | undefined {
  let list = value;
  if (ts.isCallExpression(list) && ts.isPropertyAccessExpression(list.expression) && list.expression.name.text === 'enum' && list.arguments.length >= 1) list = unwrap(list.arguments[0] as ts.Expression);
  return ts.isArrayLiteralExpression(list) ? literalValues(list.elements.map((element) => unwrap(element as ts.Expression))) : undefined;
}

/** `new Map([['Open', 'open'], …])` and `Object.fromEntries([…])` of literal pairs: the same record as `{ Open: 'open' }`. */
function entryRecord(value: ts.Expression): string[] | undefined {
  const isMap = ts.isNewExpression(value) && ts.isIdentifier(value.expression) && value.expression.text === 'Map';
  const isFromEntries = ts.isCallExpression(value) && qualifiedCalleeName(value.expression) === 'Object.fromEntries';
  const [argument] = (isMap || isFromEntries ? (value as ts.NewExpression | ts.CallExpression).arguments : undefined) ?? [];
  const list = argument === undefined ? undefined : unwrap(argument);
  if (list === undefined || !ts.isArrayLiteralExpression(list)) return undefined;
  const members: string[] = [];
  for (const element of list.elements) {
    const pair = unwrap(element as ts.Expression);
    if (!ts.isArrayLiteralExpression(pair) || pair.elements.length !== 2) return undefined;
    const pairValues = literalValues(pair.elements.map((item) => unwrap(item as ts.Expression)));
    if (pairValues === undefined) return undefined;
    members.push(pairValues.join('='));
  }
  return members;
}

/** `Object.freeze(x)` (seal, deepFreeze, …: FREEZE_CALLS) returns x: a frozen copy of an enum is still a copy. */
function frozenArgument(value: ts.Expression): ts.Expression {
  if (!ts.isCallExpression(value) || value.arguments.length !== 1 || !FREEZE_CALLS.has(qualifiedCalleeName(value.expression))) return value;
  const [argument] = value.arguments;
  return argument === undefined ? value : unwrap(argument);
}

/** The zod functions that make an object schema, called on the namespace (`z.object`) or imported by name. */
const ZOD_OBJECT = /^(object|strictObject|looseObject)$/;

/** Methods of a zod object schema that return an object schema (the chain a copy is built with). */
const ZOD_OBJECT_METHODS: ReadonlySet<string> = new Set([
  'extend', 'safeExtend', 'merge', 'pick', 'omit', 'partial', 'required', 'strict', 'strip', 'passthrough', 'catchall', 'describe', 'brand', 'readonly', 'meta',
  'array', 'optional', 'nullable', 'nullish', 'default', 'catch',
]);

/** zod's wrappers whose one argument is the schema that holds the fields (`z.array(z.object({…}))`, `z.lazy(() => z.object({…}))`). */
const ZOD_WRAPPERS = /^(array|lazy|optional|nullable|nullish|readonly)$/;

/** What a file's schemas are read with: zod's object functions it imports by name, and its schemas so far (name to fields). */
interface ZodContext {
  objectFunctions: ReadonlySet<string>;
  schemas: Map<string, string[]>;
}

/** Local names bound to zod's object functions by `import { object } from 'zod'` (or zod/v4, zod/mini …). */
function zodObjectImports(sourceFile: ts.SourceFile): ReadonlySet<string> {
  const names = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || !/^zod(\/|$)/.test(statement.moduleSpecifier.text)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) if (ZOD_OBJECT.test((element.propertyName ?? element.name).text)) names.add(element.name.text);
  }
  return names;
}

/**
 * The field names of a zod object schema: `z.object({...})` (strictObject, looseObject; whatever
 * the zod import is called, or the function imported by name), the chain after it
 * (`.extend({...})` adds, `.pick`/`.omit` keep or drop, `.strict()` and the like keep), and an
 * earlier schema of the same file extended or spread (`Base.extend({...})`, `{...Base.shape}`).
 */
function zodObjectShape(value: ts.Expression, zod: ZodContext): string[] | undefined {
  const chain: ts.CallExpression[] = [];
  let root: ts.Expression = value;
  while (ts.isCallExpression(root) && ts.isPropertyAccessExpression(root.expression) && !ZOD_OBJECT.test(root.expression.name.text) && wrappedSchema(root) === undefined) {
    chain.push(root);
    root = unwrap(root.expression.expression);
  }
  let fields: string[] | undefined;
  const wrapped = ts.isCallExpression(root) ? wrappedSchema(root) : undefined;
  if (wrapped !== undefined) {
    fields = zodObjectShape(wrapped, zod);
  } else if (ts.isCallExpression(root) && isZodObjectFunction(root.expression, zod)) {
    fields = objectFields(root.arguments[0], zod);
  } else if (ts.isIdentifier(root) && chain.length > 0 && chain.every((call) => ZOD_OBJECT_METHODS.has((call.expression as ts.PropertyAccessExpression).name.text))) {
    // `Base.extend({...})`: only a schema of this file; one imported is reused, not copied
    fields = zod.schemas.get(root.text);
  }
  if (fields === undefined) return undefined;
  for (const call of chain.reverse()) {
    const method = (call.expression as ts.PropertyAccessExpression).name.text;
    const [argument] = call.arguments;
    if (method === 'extend' || method === 'safeExtend') {
      fields = [...fields, ...(objectFields(argument, zod) ?? [])];
    } else if (method === 'merge' && argument !== undefined) {
      const other = unwrap(argument);
      fields = [...fields, ...((ts.isIdentifier(other) ? zod.schemas.get(other.text) : zodObjectShape(other, zod)) ?? [])];
    } else if ((method === 'pick' || method === 'omit') && argument !== undefined && ts.isObjectLiteralExpression(unwrap(argument))) {
      const keys = new Set(objectFields(argument, zod));
      fields = fields.filter((field) => keys.has(field) === (method === 'pick'));
    }
  }
  return [...new Set(fields)];
}

/** `z.array(X)`, `z.lazy(() => X)` (a namespace function given a schema, not a method such as `X.array()`): X. */
function wrappedSchema(call: ts.CallExpression): ts.Expression | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || !ZOD_WRAPPERS.test(call.expression.name.text) || call.arguments.length !== 1) return undefined;
  const argument = unwrap(call.arguments[0] as ts.Expression);
  if (ts.isArrowFunction(argument)) return ts.isBlock(argument.body) ? undefined : unwrap(argument.body);
  return ts.isCallExpression(argument) ? argument : undefined;
}

/** The fields of the zod object schema a function returns: its arrow body or its first top-level `return`. */
function returnedSchema(fn: ts.FunctionLikeDeclaration, zod: ZodContext): { fields: string[]; node: ts.Expression } | undefined {
  const body = fn.body;
  if (body === undefined) return undefined;
  const returned = !ts.isBlock(body) ? body : body.statements.find((statement): statement is ts.ReturnStatement => ts.isReturnStatement(statement))?.expression;
  const node = returned === undefined ? undefined : unwrap(returned);
  const fields = node === undefined ? undefined : zodObjectShape(node, zod);
  return fields === undefined || node === undefined ? undefined : { fields, node };
}

function isZodObjectFunction(callee: ts.Expression, zod: ZodContext): boolean {
  if (ts.isPropertyAccessExpression(callee)) return ZOD_OBJECT.test(callee.name.text);
  return ts.isIdentifier(callee) && zod.objectFunctions.has(callee.text);
}

/** The keys of an object literal, a `...Base.shape` of an earlier schema of the file counting as its fields. */
function objectFields(argument: ts.Expression | undefined, zod: ZodContext): string[] | undefined {
  const object = argument === undefined ? undefined : unwrap(argument);
  if (object === undefined || !ts.isObjectLiteralExpression(object)) return undefined;
  return object.properties.flatMap((property) => {
    if (ts.isSpreadAssignment(property)) {
      const spread = unwrap(property.expression);
      const base = ts.isPropertyAccessExpression(spread) && spread.name.text === 'shape' && ts.isIdentifier(spread.expression) ? zod.schemas.get(spread.expression.text) : undefined;
      return base ?? [];
    }
    const name = property.name === undefined ? '' : propertyText(property.name);
    return name === '' ? [] : [name];
  });
}
