import { writeWorkspace } from '../testing-workspaces.test-helpers';
import { runCheck } from './run-check';

const shape = (name: string, extra = '') => `export interface ${name} ${extra}{\n  id: string;\n  count: number;\n  next(step: number): ${name};\n}\n`;

function crossFile(files: Record<string, string>): string[] {
  return runCheck({ cwd: writeWorkspace(files) })
    .violations.filter((v) => v.category === 'duplicate-names' || v.category === 'structural-duplicates')
    .map((v) => `${v.category} ${v.file}:${v.line} ${v.subject} ~ ${v.related.map((r) => `${r.file}:${r.line}`).join(',')}`);
}

describe('cross-package duplicates', () => {
  it('finds a renamed copy with the same members, its own name counting as Self', () => {
    expect(crossFile({ 'packages/a/src/a.ts': shape('Original'), 'packages/b/src/b.ts': shape('Copy') })).toEqual([
      'structural-duplicates packages/b/src/b.ts:1 Copy~Original ~ packages/a/src/a.ts:1',
    ]);
  });

  it('compares a class with an interface, and a type literal', () => {
    const cls = 'export class Holder {\n  id = "";\n  count = 0;\n  next(step: number): Holder { return this; }\n}\n';
    const literal = 'export type Shape = { id: string; count: number; next(step: number): Shape };\n';
    expect(crossFile({ 'packages/a/src/a.ts': shape('Original'), 'packages/b/src/b.ts': literal, 'packages/c/src/c.ts': cls })).toEqual([
      'structural-duplicates packages/b/src/b.ts:1 Shape~Original ~ packages/a/src/a.ts:1',
      'structural-duplicates packages/c/src/c.ts:1 Holder~Original ~ packages/a/src/a.ts:1',
    ]);
  });

  it('prefers the canonical owner as the reference', () => {
    expect(crossFile({ 'packages/aaa/src/a.ts': shape('Early'), 'packages/types/src/ci.ts': shape('ConnectionInfo') })).toEqual([
      'structural-duplicates packages/aaa/src/a.ts:1 Early~ConnectionInfo ~ packages/types/src/ci.ts:1',
    ]);
  });

  it('skips small shapes, different member types, implementations, shared interfaces, tests and unexported types', () => {
    const small = 'export interface Pair { a: string; b: string }\n';
    expect(
      crossFile({
        'packages/a/src/small.ts': small,
        'packages/b/src/small.ts': small.replace('Pair', 'Couple'),
        'packages/a/src/a.ts': shape('Original'),
        'packages/b/src/b.ts': shape('Other').replace('count: number', 'count: string'),
        'packages/c/src/impl.ts': 'import type { Original } from "@agentwirejs/a";\nexport class Impl implements Original {\n  id = "";\n  count = 0;\n  next(step: number): Original { return this; }\n}\n',
        'packages/d/src/one.ts': 'interface Port { id: string }\nexport class One implements Port { id = ""; count = 0; go(): void {} }\n',
        'packages/e/src/two.ts': 'interface Port { id: string }\nexport class Two implements Port { id = ""; count = 0; go(): void {} }\n',
        'packages/f/src/f.spec.ts': shape('InTest'),
        'packages/g/src/g.ts': shape('Hidden').replace('export ', ''),
      }),
    ).toEqual([]);
  });

  it('finds enums with the same members', () => {
    const enumOf = (name: string) => `export enum ${name} { Open = 'open', Closed = 'closed', Failed = 'failed' }\n`;
    expect(crossFile({ 'packages/a/src/a.ts': enumOf('Phase'), 'packages/b/src/b.ts': enumOf('Stage') })).toEqual([
      'structural-duplicates packages/b/src/b.ts:1 Stage~Phase ~ packages/a/src/a.ts:1',
    ]);
  });

  // issue 18: two packages' own `Options` with different members were reported; they are two things
  it('reports one name declared in two packages, not twice in one package, nor a registry name, nor different one-word names', () => {
    expect(
      crossFile({
        'packages/a/src/one.ts': 'export interface SessionRecord { a: string }\nexport interface Options { a: string }\nexport interface Settings { a: string }\n',
        'packages/a/src/two.ts': 'export interface SessionRecord { b: string }\n',
        'packages/b/src/three.ts': 'export type SessionRecord = { c: string };\nexport interface Options { c: string }\nexport interface Settings { a: string }\n',
        'packages/b/src/ci.ts': 'export interface ConnectionInfo { id: string }\n',
        'packages/c/src/ci.ts': 'export interface ConnectionInfo { id: number }\n',
      }),
    ).toEqual([
      'duplicate-names packages/b/src/three.ts:1 SessionRecord ~ packages/a/src/one.ts:1',
      'duplicate-names packages/b/src/three.ts:3 Settings ~ packages/a/src/one.ts:3',
    ]);
  });

  it('does not take unrelated records of a few primitive fields for copies, but does a copy of a canonical concept', () => {
    const record = (name: string) => `export interface ${name} { id: string; name: string; createdAt: Date }\n`;
    expect(crossFile({ 'packages/a/src/a.ts': record('Invoice'), 'packages/b/src/b.ts': record('Tag'), 'packages/c/src/c.ts': record('Note') })).toEqual([]);
    expect(crossFile({ 'packages/types/src/ci.ts': record('ConnectionInfo'), 'packages/b/src/b.ts': record('Tag') })).toEqual([
      'structural-duplicates packages/b/src/b.ts:1 Tag~ConnectionInfo ~ packages/types/src/ci.ts:1',
    ]);
  });
});
