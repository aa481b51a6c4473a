import ts from 'typescript';
import { type MemberProfile, type ProfiledNode, mayMatch, memberProfile, sharedAtMost } from './member-profile';
import { mergedNames } from './near-copies';
import { memberSignatures } from './type-pass';

/** Top-level shapes in every form a member can take; each pair is compared below. */
const SOURCE = `
import type { Ref } from './elsewhere';
export type Handler = (event: string) => void;
export interface Cart {
  add(sku: string, quantity: number): void;
  remove(sku: string): boolean;
  total(currency: string): number;
  lines(): readonly string[];
  onChange(listener: (cart: Cart) => void): () => void;
}
export class Basket {
  put(sku: string, count: number): void {}
  drop(sku: string): boolean { return false; }
  sum(currency: string): number { return 0; }
  entries(): readonly string[] { return []; }
  subscribe(listener: (cart: Basket) => void): () => void { return () => undefined; }
  private secret = 1;
  protected guarded(): void {}
  static make(): Basket { return new Basket(); }
  #hidden = 2;
}
export class Overloaded {
  constructor(public readonly id: string, private readonly key: string, readonly ref?: Ref, public count = 0) {}
  send(text: string): void;
  send(text: string, to: string): void;
  send(text: string, to?: string): void {}
  bound(this: Overloaded, value: number): number { return value; }
  handler: Handler = () => undefined;
  arrow = (a: number, b: number) => a + b;
  label = 'x';
  flag = true;
  typed: (value: string) => string = (value) => value;
  maybe?: string;
  later?(value: number): void;
  get size(): number { return 1; }
  set size(value: number) {}
  link!: Ref;
  __internal = 1;
}
export abstract class Base {
  abstract run(input: string): Promise<void>;
  stop(): void {}
}
export class Derived extends Base {
  run(input: string): Promise<void> { return Promise.resolve(); }
  extra(one: number, two: number, three: number): void {}
}
export interface Wide extends Cart {
  more(): void;
}
export type Literal = {
  put(sku: string, count: number): void;
  drop: (sku: string) => boolean;
  sum?: (currency: string) => number;
  entries: readonly string[];
  tag: 'a' | 'b';
  tuple: [string, number];
};
export const store = {
  put(sku: string, count: number): void {},
  drop: (sku: string): boolean => false,
  sum: function (currency: string): number { return 0; },
  name: 'store',
  count: 3,
  ref: undefined as Ref | undefined,
};
export const cast = {
  // a number only in the syntax: the assertion gives it Cart's total's signature
  total: 0 as unknown as (currency: string) => number,
  label: 'cast',
  size: 2,
};
const other = { a: 1 };
export const spread = { ...other, put(sku: string): void {} };
`;

function shapes(): { name: string; node: ProfiledNode; profile: MemberProfile; signatures: Map<string, number> }[] {
  const sourceFile = ts.createSourceFile('/work/shapes.ts', SOURCE, ts.ScriptTarget.Latest, true);
  const options: ts.CompilerOptions = { noLib: true, types: [], noEmit: true, target: ts.ScriptTarget.Latest, module: ts.ModuleKind.ESNext };
  const host = ts.createCompilerHost(options, true);
  host.getSourceFile = (fileName) => (fileName === sourceFile.fileName ? sourceFile : undefined);
  host.fileExists = (fileName) => fileName === sourceFile.fileName;
  const program = ts.createProgram({ rootNames: [sourceFile.fileName], options, host });
  const checker = program.getTypeChecker();
  const merged = mergedNames(sourceFile);
  const found: { name: string; node: ProfiledNode; profile: MemberProfile; signatures: Map<string, number> }[] = [];
  for (const statement of sourceFile.statements) {
    let name: string | undefined;
    let node: ProfiledNode | undefined;
    let type: ts.Type | undefined;
    let at: ts.Node = statement;
    if ((ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) && statement.name !== undefined) {
      name = statement.name.text;
      node = statement;
      type = checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(statement.name) as ts.Symbol);
    } else if (ts.isTypeAliasDeclaration(statement) && ts.isTypeLiteralNode(statement.type)) {
      name = statement.name.text;
      node = statement.type;
      type = checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(statement.name) as ts.Symbol);
    } else if (ts.isVariableStatement(statement)) {
      const declaration = statement.declarationList.declarations[0] as ts.VariableDeclaration;
      if (declaration.initializer !== undefined && ts.isObjectLiteralExpression(declaration.initializer) && ts.isIdentifier(declaration.name)) {
        name = declaration.name.text;
        node = declaration.initializer;
        type = checker.getTypeAtLocation(declaration.name);
        at = declaration;
      }
    }
    if (name === undefined || node === undefined || type === undefined) continue;
    found.push({ name, node, profile: memberProfile(node, merged === undefined || merged.has(name)), signatures: memberSignatures(checker, type, at, [name]) });
  }
  return found;
}

function sharedSignatures(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let shared = 0;
  for (const [signature, count] of a) shared += Math.min(count, b.get(signature) ?? 0);
  return shared;
}

describe('member profiles', () => {
  const all = shapes();
  const byName = (name: string): MemberProfile => (all.find((shape) => shape.name === name) as { profile: MemberProfile }).profile;

  it('count the members the type checker counts, for every closed shape', () => {
    expect(all.map((shape) => shape.name)).toEqual(['Cart', 'Basket', 'Overloaded', 'Base', 'Derived', 'Wide', 'Literal', 'store', 'cast', 'other', 'spread']);
    for (const shape of all.filter((candidate) => !candidate.profile.open)) {
      const counted = [...shape.signatures.values()].reduce((sum, count) => sum + count, 0);
      expect({ name: shape.name, size: shape.profile.size }).toEqual({ name: shape.name, size: counted });
    }
  });

  it('never bound two shapes below the signatures the checker finds they share', () => {
    for (const a of all) {
      for (const b of all) {
        if (a.profile.open || b.profile.open) continue;
        expect({ pair: `${a.name}~${b.name}`, atMost: Math.max(sharedAtMost(a.profile, b.profile), sharedSignatures(a.signatures, b.signatures)) }).toEqual({
          pair: `${a.name}~${b.name}`,
          atMost: sharedAtMost(a.profile, b.profile),
        });
      }
    }
  });

  it('tell methods by their arity: overloads, a this parameter, optional members and parameter properties', () => {
    const overloaded = byName('Overloaded');
    // send's overloads (1|2), bound's this parameter not counted, arrow/typed initializers, literal values
    expect(Object.fromEntries(overloaded.categories)).toEqual({ 'm1|2': 1, m1: 2, m2: 1, v: 3, '?v': 1 });
    // ref and link (type references), count (an inferred parameter), handler (an alias), size (an accessor), later (an optional method): the checker's to tell
    expect(overloaded.unknown).toBe(6);
    expect([...overloaded.required].sort()).toEqual(['arrow', 'bound', 'count', 'flag', 'handler', 'id', 'label', 'link', 'send', 'size', 'typed'].sort());
  });

  it('open what the syntax cannot bound: bases of an interface, spreads; a class base only widens what it satisfies', () => {
    expect(byName('Wide').open).toBe(true);
    expect(byName('spread').open).toBe(true);
    expect(byName('Derived')).toMatchObject({ open: false, inherits: true });
  });

  it('leave an asserted value to the checker: `0 as T` is a T', () => {
    expect(Object.fromEntries(byName('cast').categories)).toEqual({ v: 2 });
    expect(byName('cast').unknown).toBe(1);
  });

  it('open every shape of a JavaScript file, where JSDoc gives the types and `arguments` adds a parameter', () => {
    const source = ts.createSourceFile('/work/cart.js', 'export class Cart { add(sku) { return arguments.length; } }\nexport const store = { put() {}, drop() {}, sum() {} };', ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const [cart, store] = source.statements;
    expect(memberProfile(cart as ts.ClassDeclaration, false).open).toBe(true);
    const initializer = ((store as ts.VariableStatement).declarationList.declarations[0] as ts.VariableDeclaration).initializer as ts.ObjectLiteralExpression;
    expect(memberProfile(initializer, false).open).toBe(true);
  });

  it('leave out a shape whose arities cannot reach the threshold, keep a renamed copy and a satisfying one', () => {
    expect(mayMatch(byName('Basket'), byName('Cart'), true, 0.7, 3)).toBe(true);
    expect(mayMatch(byName('Derived'), byName('Cart'), false, 0.7, 3)).toBe(false);
    // as an implementation: a base may supply the members it lacks
    expect(mayMatch(byName('Derived'), byName('Cart'), true, 0.7, 3)).toBe(true);
    expect(mayMatch(byName('store'), byName('Cart'), true, 0.7, 3)).toBe(false);
  });
});
