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
    {
      name: 'deep-frozen settings in a let with a setter',
      filename,
      code: 'declare function deepFreeze<T>(v: T): Readonly<T>;\nlet opts = deepFreeze({ depth: 2, strict: true });\nexport const setOpts = (o: { depth: number; strict: boolean }) => { opts = deepFreeze(o); };\nexport const getOpts = () => opts;',
    },
    {
      name: 'a call result of an unknown function in a let a setter replaces',
      filename,
      code: 'interface Cfg { retries: number }\ndeclare function readDefaults(): Cfg;\nlet c: Readonly<Cfg> = readDefaults();\nexport const set = (n: Cfg) => { c = n; };\nexport const get = () => c;',
    },
    {
      name: 'a frozen object literal in a let with a setter',
      filename,
      code: 'let cfg = Object.freeze({ retries: 3 });\nexport function setCfg(next: { retries: number }) { cfg = Object.freeze({ ...next }); }\nexport const getCfg = () => cfg;',
    },
    {
      name: 'a frozen result of an unknown call is data',
      filename,
      code: 'declare function readDefaults(): { retries: number };\nlet loaded = Object.freeze(readDefaults());\nexport const get = () => loaded;',
    },
    {
      name: 'exported literals of plain data, lookup tables and descriptors',
      filename,
      code: "class Label { constructor(readonly text: string) {} }\nexport const LIMITS = Object.freeze({ depth: 3 });\nexport const tables = { byId: new Map<string, number>(), labels: [new Label('a')] };\nexport const [first, second] = [1, new Label('b')];",
    },
    {
      name: 'a function that makes an instance per call, and a property defined on an object that is not global',
      filename,
      code: "class Tracker { seen = 0; }\nexport const make = () => ({ tracker: new Tracker() });\nconst local = {};\nObject.defineProperty(local, 'tracker', { value: new Tracker() });\nObject.defineProperty(globalThis, '__version', { value: '1.0.0' });",
    },
    {
      name: 'a direct call of a registry factory is left to the type pass (cross-module-singletons)',
      filename,
      code: "import { getExecutionTracker } from '@agentwirejs/execution-tracker';\nexport const tracker = getExecutionTracker();",
    },
    {
      name: 'CommonJS exports of a function and of plain data',
      filename: inPackage('packages/router', 'src/example.cjs'),
      code: "class Counter { constructor() { this.n = 0; } }\nmodule.exports.makeCounter = () => new Counter();\nexports.limits = Object.freeze({ max: 3 });\nObject.defineProperty(exports, '__esModule', { value: true });",
    },
    {
      name: 'a lazy schema is a deferred definition, not a memoized instance',
      filename,
      code: "declare const z: { lazy<T>(make: () => T): T; object<T>(shape: T): T; string(): string };\nexport const jobLazy = z.lazy(() => z.object({ jobId: z.string() }));\nexport const nested = z.lazy(() => { return z.object({ id: z.string() }); });",
    },
    {
      name: 'a factory, a per-call function of the module, static constants and an object getter that makes one per read',
      filename,
      code: "class Reg { items: string[] = []; }\nexport const make = () => new Reg();\nexport function perCall() { const r = new Reg(); return r; }\nexport const deferred = () => perCall();\nexport class Empty { static readonly NONE = Object.freeze([] as string[]); static readonly DEFAULT = new Reg(); static { Empty.NONE.length; } }\nexport const api = { get fresh() { return new Reg(); }, reset() { return new Reg(); } };",
    },
    {
      name: 'module-level lookup tables filled with strings, functions and descriptors, and a call of a function that makes plain data',
      filename,
      code: "class Reg { items: string[] = []; }\nclass Route { constructor(readonly path: string) {} }\nconst names = new Map<string, string>();\nnames.set('a', 'b');\nconst makers = new Map<string, () => Reg>();\nmakers.set('reg', () => new Reg());\nconst routes = new Set<Route>();\nroutes.add(new Route('/'));\nconst list: string[] = [];\nlist.push('x');\nconst defaults = () => ({ depth: 2 });\nexport const settings = defaults();\nexport const route = (() => new Route('/r'))();\nexport const tables = [names, makers, routes, list];",
    },
    {
      name: 'a collection filled inside a function is filled per call',
      filename,
      code: "class Reg { items: string[] = []; }\nconst box = new Map<string, Reg>();\nexport function register(name: string) { box.set(name, new Reg()); }",
    },
  ],
  invalid: [
    {
      name: 'a let assigned an instance later (getInstance caching)',
      filename,
      code: 'class Manager {}\nlet instance: Manager | undefined;\nexport function getManager() { if (!instance) instance = new Manager(); return instance; }',
      errors: [{ messageId: 'moduleVariable', data: { declaration: 'let', name: 'instance' }, line: 2, column: 5 }],
    },
    {
      name: 'a let memoized in a function, even with a setter for tests',
      filename,
      code: 'declare function openTar(): Promise<object>;\nlet tarPromise: Promise<object> | undefined;\nexport function tar() { if (!tarPromise) tarPromise = openTar(); return tarPromise; }\nexport function setTarForTesting(p: Promise<object> | undefined) { tarPromise = p; }',
      errors: [{ messageId: 'moduleVariable', data: { declaration: 'let', name: 'tarPromise' }, line: 2 }],
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
    {
      name: 'a CommonJS module.exports of an instance of a class with fields set in its constructor',
      filename: inPackage('packages/router', 'src/example.cjs'),
      code: "class Counter { constructor() { this.n = 0; } }\nmodule.exports = new Counter();\nexports.counter = new Counter();\nObject.defineProperty(exports, 'defined', { value: new Counter() });",
      errors: [
        { messageId: 'exportedInstance', data: { name: 'module.exports', className: 'Counter' }, line: 2 },
        { messageId: 'exportedInstance', data: { name: 'exports.counter', className: 'Counter' }, line: 3 },
        { messageId: 'exportedInstance', data: { name: 'exports.defined', className: 'Counter' }, line: 4 },
      ],
    },
    {
      name: 'a frozen or sealed exported instance',
      filename,
      code: 'class Tracker { seen = new Set<string>(); }\nexport const tracker = Object.freeze(new Tracker());\nexport const sealed = Object.seal(new Tracker());',
      errors: [
        { messageId: 'exportedInstance', data: { name: 'tracker', className: 'Tracker' }, line: 2 },
        { messageId: 'exportedInstance', data: { name: 'sealed', className: 'Tracker' }, line: 3 },
      ],
    },
    {
      name: 'an instance inside an exported object or array literal, or a module constant named in one',
      filename,
      code: 'class Tracker { seen = new Set<string>(); }\nexport const services = { tracker: new Tracker() };\nexport const list = [[new Tracker()]];\nconst local = new Tracker();\nexport const byName = { local };',
      errors: [
        { messageId: 'exportedInstance', data: { name: 'services', className: 'Tracker' }, line: 2 },
        { messageId: 'exportedInstance', data: { name: 'list', className: 'Tracker' }, line: 3 },
        { messageId: 'exportedInstance', data: { name: 'byName', className: 'Tracker' }, line: 5 },
      ],
    },
    {
      name: "a registry factory's instance in a literal, a pattern or a freeze",
      filename,
      code: "import { getExecutionTracker as make } from '@agentwirejs/execution-tracker';\nimport * as tracking from '@agentwirejs/execution-tracker';\nexport const engines = { main: make() };\nexport const [primary] = [tracking.getExecutionTracker()];\nexport const frozen = Object.freeze(make());",
      errors: [
        { messageId: 'exportedInstance', data: { name: 'engines', className: 'AgentExecutionTracker' }, line: 3 },
        { messageId: 'exportedInstance', data: { name: 'primary', className: 'AgentExecutionTracker' }, line: 4 },
        { messageId: 'exportedInstance', data: { name: 'frozen', className: 'AgentExecutionTracker' }, line: 5 },
      ],
    },
    {
      name: 'an instance exported by name or as the default export',
      filename,
      code: 'class Registry { entries: string[] = []; }\nconst registry = new Registry();\nexport { registry };\nexport default new Registry();',
      errors: [
        { messageId: 'exportedInstance', data: { name: 'registry', className: 'Registry' }, line: 2 },
        { messageId: 'exportedInstance', data: { name: 'default', className: 'Registry' }, line: 4 },
      ],
    },
    {
      name: 'an instance defined on globalThis (or an alias of it) by Object.defineProperty, Reflect.defineProperty or Object.assign',
      filename,
      code: "class Registry { entries: string[] = []; }\nObject.defineProperty(globalThis, '__registry', { value: new Registry() });\nconst g = globalThis as unknown as Record<string, unknown>;\nReflect.defineProperty(g, 'shared', { value: new Registry() });\nObject.assign(window, { copy: new Registry() });",
      errors: [
        { messageId: 'globalHolder', data: { name: 'globalThis.__registry' }, line: 2 },
        { messageId: 'globalHolder', data: { name: 'g.shared' }, line: 4 },
        { messageId: 'globalHolder', data: { name: 'window.copy' }, line: 5 },
      ],
    },
    {
      name: 'a setter does not excuse a let made by new or by a registry factory',
      filename,
      code: "import { getExecutionTracker } from '@agentwirejs/execution-tracker';\nclass Client { open = true; }\nlet client = new Client();\nlet tracker = getExecutionTracker();\nexport function set(c: Client, t: typeof tracker) { client = c; tracker = t; }",
      errors: [
        { messageId: 'moduleVariable', data: { declaration: 'let', name: 'client' }, line: 3 },
        { messageId: 'moduleVariable', data: { declaration: 'let', name: 'tracker' }, line: 4 },
      ],
    },
    {
      name: 'a static field given an instance in a static block, by the class name or this, or initialized with one of a stateful class',
      filename,
      code: 'class Reg { items: string[] = []; }\nexport class Holder { static inst: Reg; static { Holder.inst = new Reg(); } }\nexport class Undeclared { static { this.pool = new Reg(); } }\nexport class Eager { static pool = new Reg(); }',
      errors: [
        { messageId: 'staticHolder', data: { name: 'inst', className: 'Holder' }, line: 2, column: 30 },
        { messageId: 'staticHolder', data: { name: 'pool', className: 'Undeclared' }, line: 3 },
        { messageId: 'staticHolder', data: { name: 'pool', className: 'Eager' }, line: 4 },
      ],
    },
    {
      name: 'a module-level collection filled with an instance at load, reported once per collection',
      filename,
      code: "class Reg { items: string[] = []; }\nconst box = new Map<string, Reg>();\nbox.set('default', new Reg());\nbox.set('other', new Reg());\nconst spare = new Reg();\nconst all = new Set<Reg>();\nall.add(spare);\nconst list: Reg[] = [];\nlist.push(new Reg());",
      errors: [
        { messageId: 'filledCollection', data: { name: 'box', className: 'Reg' }, line: 3 },
        { messageId: 'filledCollection', data: { name: 'all', className: 'Reg' }, line: 7 },
        { messageId: 'filledCollection', data: { name: 'list', className: 'Reg' }, line: 9 },
      ],
    },
    {
      name: 'a value made by calling a function of the module that returns an instance (awaited, by name or as an IIFE)',
      filename,
      code: "class Reg { items: string[] = []; }\nasync function makeReg() { return new Reg(); }\nexport const awaitedReg = await makeReg();\nconst build = (n: string) => { const reg = new Reg(); reg.items.push(n); return reg; };\nconst built = build('a');\nexport { built };\nexport default (() => new Reg())();",
      errors: [
        { messageId: 'exportedInstance', data: { name: 'awaitedReg', className: 'Reg' }, line: 3 },
        { messageId: 'exportedInstance', data: { name: 'built', className: 'Reg' }, line: 5 },
        { messageId: 'exportedInstance', data: { name: 'default', className: 'Reg' }, line: 7 },
      ],
    },
    {
      name: 'a lazy of a new is still a memoized instance',
      filename,
      code: 'declare function lazy<T>(make: () => T): () => T;\nclass Reg { items: string[] = []; }\nexport const getReg = lazy(() => new Reg());',
      errors: [{ messageId: 'memoized', data: { name: 'getReg' }, line: 3 }],
    },
    {
      name: 'an exported instance of a stateful class expression',
      filename,
      code: 'export const anon = new (class { count = 0; inc() { this.count++; } })();\nexport const named = new (class Counter { n = 0; })();',
      errors: [
        { messageId: 'exportedInstance', data: { name: 'anon', className: '(anonymous class)' }, line: 1 },
        { messageId: 'exportedInstance', data: { name: 'named', className: 'Counter' }, line: 2 },
      ],
    },
    {
      name: 'a getter or method of an exported object that memoizes its instance on the object',
      filename,
      code: "class Reg { items: string[] = []; }\nexport const services = { get reg() { return Object.defineProperty(this, 'reg', { value: new Reg() }).reg as Reg; } };\nexport const viaConst = { get reg() { const value = new Reg(); Reflect.defineProperty(this, 'reg', { value }); return value; } };\nexport const cached = { _reg: undefined as Reg | undefined, reg() { return (this._reg ??= new Reg()); } };",
      errors: [
        { messageId: 'exportedInstance', data: { name: 'services', className: 'Reg' }, line: 2 },
        { messageId: 'exportedInstance', data: { name: 'viaConst', className: 'Reg' }, line: 3 },
        { messageId: 'exportedInstance', data: { name: 'cached', className: 'Reg' }, line: 4 },
      ],
    },
  ],
});
