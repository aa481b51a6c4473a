import { inPackage, runRuleTests } from './rule-tester.test-helpers';

const router = inPackage('packages/router');
const gateway = inPackage('apps/gateway');
const typesReason = ' (the planned name of @agentwirejs/types)';
const managerReason = ' (the planned name of @agentwirejs/manager)';
const grabBag = ' (the legacy grab-bag module: each concept has one owner now)';
const forbidden = (specifier: string, reason: string, advice: string) => ({ messageId: 'forbidden' as const, data: { specifier, reason, advice } });

runRuleTests('forbidden-imports', {
  valid: [
    { name: 'a package entry', filename: router, code: "import { ConnectionInfo } from '@agentwirejs/types';" },
    { name: 'an exported ./testing entry', filename: router, code: "import { MockWebSocketManager } from '@agentwirejs/manager/testing';" },
    { name: 'relative imports inside the package', filename: router, code: "import { a } from './a';\nimport { b } from '../src/b';" },
    { name: 'external packages', filename: router, code: "import { z } from 'zod';\nimport { readFileSync } from 'node:fs';\nimport ws from 'ws/lib/websocket';" },
  ],
  invalid: [
    {
      name: 'a forbidden path whose names keep their names: only the specifier changes',
      filename: router,
      code: "import { ConnectionInfo, type UserId } from '@agentwire/ws-types';",
      output: "import { ConnectionInfo, type UserId } from '@agentwirejs/types';",
      errors: [{ ...forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'"), line: 1, column: 45 }],
    },
    {
      name: 'a type-only import',
      filename: router,
      code: 'import type { UserId } from "@agentwire/ws-types"',
      output: 'import type { UserId } from "@agentwirejs/types"',
      errors: [forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'")],
    },
    {
      name: 'a legacy alias is renamed at the import, so the code that uses it is unchanged',
      filename: gateway,
      code: "import { WebSocketManager } from '@agentwire/ws-manager';\nexport type M = WebSocketManager;",
      output: "import { UnifiedWebSocketManager as WebSocketManager } from '@agentwirejs/manager';\nexport type M = WebSocketManager;",
      errors: [forbidden('@agentwire/ws-manager', managerReason, "import from '@agentwirejs/manager'")],
    },
    {
      name: 'an aliased legacy import keeps its local name',
      filename: gateway,
      code: "import { WebSocketManager as Manager } from '@agentwire/ws-manager';",
      output: "import { UnifiedWebSocketManager as Manager } from '@agentwirejs/manager';",
      errors: [forbidden('@agentwire/ws-manager', managerReason, "import from '@agentwirejs/manager'")],
    },
    {
      name: 'names from a grab-bag module are split by owner',
      filename: gateway,
      code: "// keep me\nimport { ConnectionInfo, type WebSocketManager, MockWebSocketManager } from '@agentwire/websocket-core';\nexport const x = 1;",
      output:
        "// keep me\nimport { ConnectionInfo } from '@agentwirejs/types';\nimport { type UnifiedWebSocketManager as WebSocketManager } from '@agentwirejs/manager';\nimport { MockWebSocketManager } from '@agentwirejs/manager/testing';\nexport const x = 1;",
      errors: [forbidden('@agentwire/websocket-core', grabBag, "import from '@agentwirejs/types' and '@agentwirejs/manager' and '@agentwirejs/manager/testing'")],
    },
    {
      name: 'a multi-line import keeps its layout, quotes and missing semicolon',
      filename: gateway,
      code: 'import {\n  ConnectionInfo,\n  WebSocketManager,\n} from "@agentwire/websocket-core"\n',
      output: 'import {\n  ConnectionInfo,\n} from "@agentwirejs/types"\nimport {\n  UnifiedWebSocketManager as WebSocketManager,\n} from "@agentwirejs/manager"\n',
      errors: [forbidden('@agentwire/websocket-core', grabBag, "import from '@agentwirejs/types' and '@agentwirejs/manager'")],
    },
    {
      name: 'a name with no known home is not rewritten',
      filename: gateway,
      code: "import { ConnectionInfo, helper } from '@agentwire/websocket-core';",
      output: null,
      errors: [forbidden('@agentwire/websocket-core', grabBag, "import each name from its owner's entry")],
    },
    {
      name: 'a default import with no known canonical name is not rewritten',
      filename: gateway,
      code: "import Manager from '@agentwire/ws-manager';",
      output: null,
      errors: [forbidden('@agentwire/ws-manager', managerReason, "import from '@agentwirejs/manager'")],
    },
    {
      name: 'a namespace import renames legacy alias members',
      filename: gateway,
      code: "import * as m from '@agentwire/ws-manager';\nexport type T = m.WebSocketManager;\nexport const k = m.WebSocketManager;",
      output: "import * as m from '@agentwirejs/manager';\nexport type T = m.UnifiedWebSocketManager;\nexport const k = m.UnifiedWebSocketManager;",
      errors: [forbidden('@agentwire/ws-manager', managerReason, "import from '@agentwirejs/manager'")],
    },
    {
      name: 'a namespace import whose members live elsewhere is not rewritten',
      filename: gateway,
      code: "import * as m from '@agentwire/ws-manager';\nexport type T = m.ConnectionInfo;",
      output: null,
      errors: [forbidden('@agentwire/ws-manager', managerReason, "import from '@agentwirejs/manager'")],
    },
    {
      name: 're-exports',
      filename: gateway,
      code: "export { ConnectionInfo } from '@agentwire/ws-types';\nexport * from '@agentwire/ws-types';\nexport { WebSocketManager as Manager } from '@agentwire/ws-manager';",
      output: "export { ConnectionInfo } from '@agentwirejs/types';\nexport * from '@agentwirejs/types';\nexport { UnifiedWebSocketManager as Manager } from '@agentwirejs/manager';",
      errors: [
        forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'"),
        forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'"),
        forbidden('@agentwire/ws-manager', managerReason, "import from '@agentwirejs/manager'"),
      ],
    },
    {
      name: 'require, import() and import types',
      filename: gateway,
      code: "const a = require('@agentwire/ws-types');\nconst b = import('@agentwire/ws-types');\nexport type C = import('@agentwire/ws-types').ConnectionInfo;\nexport { a, b };",
      output: "const a = require('@agentwirejs/types');\nconst b = import('@agentwirejs/types');\nexport type C = import('@agentwirejs/types').ConnectionInfo;\nexport { a, b };",
      errors: [
        forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'"),
        forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'"),
        forbidden('@agentwire/ws-types', typesReason, "import from '@agentwirejs/types'"),
      ],
    },
    {
      name: 'a deep import of a concept goes to the owner',
      filename: router,
      code: "import { ConnectionInfo } from '@agentwirejs/types/src/connection-info';",
      output: "import { ConnectionInfo } from '@agentwirejs/types';",
      errors: [{ messageId: 'deep', data: { specifier: '@agentwirejs/types/src/connection-info', package: '@agentwirejs/types', advice: "import from '@agentwirejs/types'" } }],
    },
    {
      name: "a deep import of a package's index goes to its entry",
      filename: router,
      code: "import { parseUserId } from '@agentwirejs/types/src/index';\nimport { loadConfig } from '@agentwirejs/config/dist/index.js';",
      output: "import { parseUserId } from '@agentwirejs/types';\nimport { loadConfig } from '@agentwirejs/config';",
      errors: [{ messageId: 'deep' }, { messageId: 'deep' }],
    },
    {
      name: 'a deep import of an internal module is reported without a fix',
      filename: router,
      code: "import { parseUserId } from '@agentwirejs/types/src/ids';",
      output: null,
      errors: [{ messageId: 'deep', data: { specifier: '@agentwirejs/types/src/ids', package: '@agentwirejs/types', advice: "import from its public entry '@agentwirejs/types'" } }],
    },
    {
      name: 'a relative import into another package',
      filename: router,
      code: "import type { ConnectionInfo } from '../../types/src/connection-info';",
      output: "import type { ConnectionInfo } from '@agentwirejs/types';",
      errors: [{ messageId: 'relative', data: { specifier: '../../types/src/connection-info', from: '@agentwirejs/router', into: ' into @agentwirejs/types', advice: "import from '@agentwirejs/types'" } }],
    },
    {
      name: 'a relative import out of every package',
      filename: router,
      code: "import { nxEnv } from '../../../tools/scripts/nx-env.mjs';",
      output: null,
      errors: [{ messageId: 'relative', data: { specifier: '../../../tools/scripts/nx-env.mjs', from: '@agentwirejs/router', into: '', advice: 'move the shared code into a package and import it by name' } }],
    },
  ],
});
