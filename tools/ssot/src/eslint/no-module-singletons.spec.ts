import { inPackage, runRuleTests } from './rule-tester.test-helpers';

const filename = inPackage('packages/router');

runRuleTests('no-module-singletons', {
  valid: [
    { name: 'a module-level const lookup table', filename, code: "const KNOWN = new Set(['a']);\nexport const known = (v: string) => KNOWN.has(v);" },
    { name: 'a primitive counter', filename, code: 'let count = 0;\nexport function next() { count += 1; return count; }' },
    { name: 'a primitive from a call', filename, code: 'let startedAt = Date.now();\nexport function reset() { startedAt = Date.now(); return startedAt; }' },
    { name: 'a let inside a function', filename, code: 'class Foo {}\nexport function f() { let m; m = new Foo(); return m; }' },
    { name: 'an instance field', filename, code: 'class Foo {}\nexport class Bar { private instance = new Foo(); get() { return this.instance; } }' },
    { name: 'a static constant and a static factory method', filename, code: 'export class Bar { static readonly LIMIT = 10; static create() { return new Bar(); } }' },
    {
      name: 'module-level state in a test file',
      filename: inPackage('packages/router', 'src/router.spec.ts'),
      code: 'class Server {}\nlet server: Server;\nbeforeAll(() => { server = new Server(); });',
    },
  ],
  invalid: [
    {
      name: 'a let assigned an instance later (getInstance caching)',
      filename,
      code: 'class Manager {}\nlet instance: Manager | undefined;\nexport function getManager() { if (!instance) instance = new Manager(); return instance; }',
      errors: [{ messageId: 'moduleVariable', data: { declaration: 'let', name: 'instance' }, line: 2, column: 5 }],
    },
    { name: 'a let holding a call result', filename, code: 'declare function createClient(): object;\nlet client = createClient();\nexport const c = () => client;', errors: [{ messageId: 'moduleVariable' }] },
    { name: 'an exported let', filename, code: 'class Registry {}\nexport let shared = new Registry();', errors: [{ messageId: 'moduleVariable' }] },
    { name: 'a var with ??=', filename, code: 'class Registry {}\nvar registry: Registry | undefined;\nexport function get() { return (registry ??= new Registry()); }', errors: [{ messageId: 'moduleVariable', data: { declaration: 'var', name: 'registry' } }] },
    { name: 'a top-level await', filename, code: 'declare function connect(): Promise<object>;\nlet pending = await connect();\nexport const p = () => pending;', errors: [{ messageId: 'moduleVariable' }] },
    {
      name: 'a static instance field and its getInstance are one finding',
      filename,
      code: 'export class Tracker {\n  private static instance: Tracker | undefined;\n  static getInstance() { return (Tracker.instance ??= new Tracker()); }\n}',
      errors: [{ messageId: 'staticHolder', data: { name: 'instance', className: 'Tracker' }, line: 2 }],
    },
    { name: 'an eager private static field', filename, code: 'export class A { static #instance = new A(); }', errors: [{ messageId: 'staticHolder', data: { name: 'instance', className: 'A' } }] },
    { name: 'a static field typed as the class', filename, code: 'export class B { static latest: B | null = null; }', errors: [{ messageId: 'staticHolder', data: { name: 'latest', className: 'B' } }] },
    {
      name: 'a static getInstance without a visible holder',
      filename,
      code: 'declare const cached: object;\nexport class C { static getInstance() { return cached; } }',
      errors: [{ messageId: 'getInstance', data: { name: 'getInstance', className: 'C' } }],
    },
    {
      name: 'a holder inside a module-level IIFE',
      filename,
      code: 'class X {}\nexport const getX = (() => {\n  let x: X | undefined;\n  return () => (x ??= new X());\n})();',
      errors: [{ messageId: 'moduleVariable', data: { declaration: 'let', name: 'x' }, line: 3 }],
    },
    {
      name: 'an instance parked on globalThis',
      filename,
      code: 'class Manager {}\n(globalThis as unknown as Record<string, unknown>).__manager = new Manager();',
      errors: [{ messageId: 'globalHolder' }],
    },
  ],
});
