import { inPackage, runRuleTests } from './rule-tester.test-helpers';

const gateway = inPackage('apps/gateway');
const managerData = { name: 'UnifiedWebSocketManager', factory: 'WebSocketManagerFactory', entry: '@agentwirejs/manager' };

runRuleTests('factory-only', {
  valid: [
    { name: 'the owner constructs its own class', filename: inPackage('packages/manager'), code: 'class UnifiedWebSocketManager {}\nexport const m = new UnifiedWebSocketManager();' },
    {
      name: 'the factory is used',
      filename: gateway,
      code: "import { WebSocketManagerFactory } from '@agentwirejs/manager';\ndeclare const factory: WebSocketManagerFactory;\nexport const m = factory.createManager({});",
    },
    { name: 'the factory itself is not factory-only', filename: gateway, code: "import { WebSocketManagerFactory } from '@agentwirejs/manager';\nexport const f = new WebSocketManagerFactory();" },
    {
      name: 'type positions and type-only imports',
      filename: gateway,
      code: "import type { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport function use(m: UnifiedWebSocketManager): UnifiedWebSocketManager { return m; }\nexport const all = new Map<string, UnifiedWebSocketManager>();",
    },
    { name: 'a class of the same name declared here is left to canonical-definitions', filename: gateway, code: 'class UnifiedWebSocketManager {}\nexport const m = new UnifiedWebSocketManager();' },
    { name: 'a similar name', filename: gateway, code: 'class AgentExecutionTrackerView {}\nexport const v = new AgentExecutionTrackerView();' },
    {
      name: 'type tests and a helper that only reads the class',
      filename: gateway,
      code:
        "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\ndeclare function expect(value: unknown): { toBeInstanceOf(type: unknown): void };\nexport const is = (x: unknown) => x instanceof UnifiedWebSocketManager;\nexport function check(x: unknown) { expect(x).toBeInstanceOf(UnifiedWebSocketManager); }\nconst nameOf = (C: { name: string }) => C.name;\nexport const n = nameOf(UnifiedWebSocketManager);",
    },
    {
      name: 'a function that constructs its parameter, given another class',
      filename: gateway,
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nconst make = (C: new () => object) => new C();\nexport const d = make(Date);\nexport const m: UnifiedWebSocketManager | undefined = undefined;",
    },
    { name: 'other prototypes and other reflective calls', filename: gateway, code: "export const a = Object.setPrototypeOf({}, Array.prototype);\nexport const b = Reflect['construct'](Date, []);\nexport const c = Reflect['apply'](Math.max, null, [1]);" },
    { name: 'destructuring another member', filename: gateway, code: "import * as manager from '@agentwirejs/manager';\nconst { WebSocketManagerFactory: F } = manager;\nexport const f = new F();" },
    { name: 'the owner destructures and constructs its own class', filename: inPackage('packages/manager'), code: "import * as self from './index';\nconst { UnifiedWebSocketManager: M } = self;\nexport const m = new M();" },
  ],
  invalid: [
    {
      name: 'new through the canonical import',
      filename: gateway,
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport const m = new UnifiedWebSocketManager();",
      errors: [{ messageId: 'construct', data: managerData, line: 2, column: 18 }],
    },
    {
      name: 'new through a renamed import',
      filename: gateway,
      code: "import { UnifiedWebSocketManager as Manager } from '@agentwirejs/manager';\nexport const m = new Manager();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
    { name: 'new of the legacy alias', filename: gateway, code: 'declare const WebSocketManager: new () => object;\nexport const m = new WebSocketManager();', errors: [{ messageId: 'construct', data: { ...managerData, name: 'WebSocketManager' } }] },
    {
      name: 'new of a namespace member',
      filename: gateway,
      code: "import * as manager from '@agentwirejs/manager';\nexport const m = new manager.UnifiedWebSocketManager();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
    {
      name: 'new of a computed member with a literal key',
      filename: gateway,
      code: "import * as manager from '@agentwirejs/manager';\nexport const m = new manager['UnifiedWebSocketManager']();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
    {
      name: 'new through parentheses and a cast',
      filename: gateway,
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport const m = new (UnifiedWebSocketManager as unknown as new () => object)();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
    {
      name: 'the tracker names getExecutionTracker',
      filename: gateway,
      code: "import { AgentExecutionTracker } from '@agentwirejs/execution-tracker';\nexport const t = new AgentExecutionTracker();",
      errors: [{ messageId: 'construct', data: { name: 'AgentExecutionTracker', factory: 'getExecutionTracker', entry: '@agentwirejs/execution-tracker' } }],
    },
    {
      name: 'a subclass bypasses the factory',
      filename: gateway,
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport class Mine extends UnifiedWebSocketManager {}",
      errors: [{ messageId: 'extend', data: { ...managerData, child: 'Mine' } }],
    },
    {
      name: 'new through a destructured namespace member, at the top and inside a function',
      filename: gateway,
      code: "import * as manager from '@agentwirejs/manager';\nconst { UnifiedWebSocketManager: M } = manager;\nexport const m = new M();\nexport function f() { const { 'UnifiedWebSocketManager': L } = manager; return new L(); }",
      errors: [{ messageId: 'construct', data: managerData, line: 3 }, { messageId: 'construct', data: managerData, line: 4 }],
    },
    {
      name: 'new through a destructured parameter',
      filename: gateway,
      code: "import type * as manager from '@agentwirejs/manager';\nexport function f({ UnifiedWebSocketManager: M }: typeof manager) { return new M(); }",
      errors: [{ messageId: 'construct', data: managerData }],
    },
    {
      name: 'new through an import alias',
      filename: gateway,
      code: "import * as manager from '@agentwirejs/manager';\nimport M = manager.UnifiedWebSocketManager;\nexport const m = new M();",
      errors: [{ messageId: 'construct', data: managerData, line: 3 }],
    },
    {
      name: 'Reflect.construct written as an element access',
      filename: gateway,
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport const m = Reflect['construct'](UnifiedWebSocketManager, []);",
      errors: [{ messageId: 'reflect', data: { ...managerData, route: 'Reflect.construct' } }],
    },
    {
      name: 'an object given the class prototype',
      filename: gateway,
      code: "import * as manager from '@agentwirejs/manager';\nexport const a = Object.setPrototypeOf({}, manager.UnifiedWebSocketManager.prototype);\nexport const b = Reflect.setPrototypeOf({}, manager.UnifiedWebSocketManager.prototype);",
      errors: [
        { messageId: 'reflect', data: { ...managerData, route: 'Object.setPrototypeOf' } },
        { messageId: 'reflect', data: { ...managerData, route: 'Reflect.setPrototypeOf' } },
      ],
    },
    {
      name: 'new through the prototype constructor',
      filename: gateway,
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport const m = new UnifiedWebSocketManager.prototype.constructor();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
    {
      name: 'the class handed to a function of the file that constructs its parameter',
      filename: gateway,
      code:
        "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nconst make = (C: typeof UnifiedWebSocketManager) => new C();\nexport const m = make(UnifiedWebSocketManager);\nfunction build(tag: string, C: typeof UnifiedWebSocketManager) { return [tag, new C()]; }\nexport const b = build('x', UnifiedWebSocketManager);",
      errors: [
        { messageId: 'handOff', data: { ...managerData, callee: 'make' }, line: 3, column: 23 },
        { messageId: 'handOff', data: { ...managerData, callee: 'build' }, line: 5, column: 29 },
      ],
    },
    {
      name: 'tests go through the factory too',
      filename: inPackage('apps/gateway', 'src/server.spec.ts'),
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nnew UnifiedWebSocketManager();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
  ],
});
