import type { Registry } from '../registry';
import type { TypeDeclaration } from './declarations';
import { type Category, type Violation, violationKey } from './violation';

const DECLARATION_FILE = /\.d\.[cm]?ts$/;

/**
 * The declarations that define something: a `.d.ts` type named like a type of a source file
 * describes that source (emitted declarations, an API rollup checked in beside its report), it
 * does not define it again. Declaration files that name what no source file declares (hand-written
 * typings) still count, against each other too.
 */
function definitions(declarations: readonly TypeDeclaration[]): TypeDeclaration[] {
  const inSource = new Set(declarations.filter((d) => !DECLARATION_FILE.test(d.location.file)).map((d) => d.name));
  return declarations.filter((d) => !DECLARATION_FILE.test(d.location.file) || !inSource.has(d.name));
}

/**
 * Exported type names declared in more than one package, reported as pairs: each later
 * declaration (by path) in another package than the first, with the first as related location.
 * Registry names are left to canonical-definitions, which names the owner.
 */
export function duplicateNames(declarations: readonly TypeDeclaration[], registry: Registry): Violation[] {
  const byName = groupBy(
    definitions(declarations).filter((d) => registry.matchName(d.name) === undefined && !d.defaultExport && !d.reExportsSameName),
    (d) => d.name,
  );
  const violations: Violation[] = [];
  for (const group of byName.values()) {
    const [first, ...rest] = group.sort(byPosition);
    if (first === undefined) continue;
    for (const other of rest) {
      if (other.packageName === first.packageName) continue;
      if (isPackageLocalName(other.name) && !sameShape(other, first)) continue;
      // a type alias (a union, a mapped type) and a record that share a name are two things
      if ((other.members === undefined) !== (first.members === undefined)) continue;
      // two computed types of one name (each extension's `CodecTypes = ExtractCodecTypes<typeof its own map>`)
      // are per-package by construction; written the same way, they are one type defined twice
      if (other.members === undefined && other.aliasText !== first.aliasText) continue;
      // classes of one name on different bases (a CLI's CheckAction and another tool's) are different things
      if ((other.base !== undefined || first.base !== undefined) && other.base !== first.base) continue;
      violations.push(
        pair('duplicate-names', other, first, other.name, {
          message: `${other.kind} ${other.name} is also declared in ${first.packageName || 'the workspace root'} (${place(first)}): keep one definition and import it`,
          hint: `delete one of the two and import it from the package that keeps it`,
        }),
      );
    }
  }
  return violations;
}

/**
 * Exported types with different names and the same members (types compared as written, own
 * name as Self), e.g. a renamed copy of ConnectionInfo. Pairs whose members are too few to
 * mean anything, and types related by extends/implements (directly or through a shared
 * interface), are skipped. The canonical owner's declaration is the reference when present.
 */
export function structuralDuplicates(declarations: readonly TypeDeclaration[], registry: Registry, minMembers: number): Violation[] {
  const candidates = definitions(declarations).filter((d) => d.members !== undefined && d.members.length >= minMembers);
  const byShape = groupBy(candidates, (d) => `${d.kind === 'enum' ? 'enum' : 'shape'}:${(d.members ?? []).join(';')}`);
  const violations: Violation[] = [];
  for (const group of byShape.values()) {
    if (group.length < 2) continue;
    const [reference, ...rest] = group.sort((a, b) => Number(isCanonical(b, registry)) - Number(isCanonical(a, registry)) || byPosition(a, b));
    if (reference === undefined) continue;
    for (const other of rest) {
      if (other.name === reference.name || related(other, reference)) continue;
      if (!isCanonical(reference, registry)) {
        // two shapes of one package are that package's own design (a query type per verb); across packages they are a copy
        if (other.packageName === reference.packageName) continue;
        if (reference.kind !== 'enum' && !isDistinctive(reference.members ?? [], minMembers)) continue;
        // subclasses of framework bases share the overrides the bases ask for, not a design
        if (reference.base !== undefined || other.base !== undefined) continue;
      }
      violations.push(
        pair('structural-duplicates', other, reference, `${other.name}~${reference.name}`, {
          message: `${other.kind} ${other.name} has the same ${other.members?.length ?? 0} members as ${reference.kind} ${reference.name} (${place(reference)}): it is a copy under another name`,
          hint: `delete ${other.name} and use ${reference.name}${reference.packageName ? ` from ${reference.packageName}` : ''}`,
        }),
      );
    }
  }
  return violations;
}

/**
 * One-word names (Options, Config, State, Props) are how each package names its own settings or
 * state: two of them with different members are two things, not a drifted copy. A specific
 * name (WebSocketConnection) declared twice is reported whatever the members.
 */
function isPackageLocalName(name: string): boolean {
  return /^[A-Z][a-z0-9]*$/.test(name);
}

function sameShape(a: TypeDeclaration, b: TypeDeclaration): boolean {
  return a.members !== undefined && b.members !== undefined && a.members.join(';') === b.members.join(';');
}

const PRIMITIVE_MEMBER = /^[\w$?]+\??:(string|number|boolean|bigint|Date|unknown|null|undefined|string\[\]|number\[\]|readonly string\[\]|readonly number\[\]|\?)$/;

/**
 * Whether a shape says enough to call a second one like it a copy when neither is a registry
 * concept: a few fields of primitive types (`{ id: string; name: string; createdAt: Date }`)
 * match by accident across unrelated records; methods, references to other types or twice the
 * minimum of members do not. Copies of a canonical concept are reported from the minimum.
 */
function isDistinctive(members: readonly string[], minMembers: number): boolean {
  return members.length >= 2 * minMembers || members.some((member) => !PRIMITIVE_MEMBER.test(member));
}

function pair(category: Category, at: TypeDeclaration, other: TypeDeclaration, subject: string, text: { message: string; hint: string }): Violation {
  const location = at.location;
  return {
    ...location,
    category,
    ...text,
    subject,
    key: violationKey(category, location.file, subject),
    fixable: false,
    baselined: false,
    related: [{ ...other.location, message: `${other.kind} ${other.name}` }],
  };
}

function related(a: TypeDeclaration, b: TypeDeclaration): boolean {
  if (a.heritage.has(b.name) || b.heritage.has(a.name)) return true;
  for (const name of a.heritage) if (b.heritage.has(name)) return true;
  return false;
}

function isCanonical(declaration: TypeDeclaration, registry: Registry): boolean {
  const match = registry.matchName(declaration.name);
  return match !== undefined && match.role === 'canonical' && declaration.packageName === match.concept.owner;
}

function place(declaration: TypeDeclaration): string {
  return `${declaration.location.file}:${declaration.location.line}`;
}

function byPosition(a: TypeDeclaration, b: TypeDeclaration): number {
  return a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
