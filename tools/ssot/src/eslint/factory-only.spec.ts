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
      name: 'tests go through the factory too',
      filename: inPackage('apps/gateway', 'src/server.spec.ts'),
      code: "import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nnew UnifiedWebSocketManager();",
      errors: [{ messageId: 'construct', data: managerData }],
    },
  ],
});
