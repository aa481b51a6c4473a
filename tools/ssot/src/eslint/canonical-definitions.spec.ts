import { inPackage, runRuleTests } from './rule-tester.test-helpers';

const router = inPackage('packages/router');
const gateway = inPackage('apps/gateway');

runRuleTests('canonical-definitions', {
  valid: [
    { name: 'the owner declares the concept', filename: inPackage('packages/types'), code: 'export class ConnectionInfo {}' },
    {
      name: 'the owner re-exports legacy aliases of the same class object',
      filename: inPackage('packages/router'),
      code: 'class MessageRouter {}\nexport { MessageRouter, MessageRouter as QualityMessageRouter, MessageRouter as CanonicalMessageRouter };',
    },
    {
      name: 'the owner declares an alias as a const and a type',
      filename: inPackage('packages/manager'),
      code: 'import { UnifiedWebSocketManager } from "./unified";\nexport const WebSocketManager = UnifiedWebSocketManager;\nexport type WebSocketManager = UnifiedWebSocketManager;',
    },
    { name: 'a non-owner re-exports under the canonical name', filename: gateway, code: "export { ConnectionInfo } from '@agentwirejs/types';" },
    { name: 'a non-owner renames at the import', filename: gateway, code: "import { UnifiedWebSocketManager as WebSocketManager } from '@agentwirejs/manager';\nexport const size = WebSocketManager.length;" },
    { name: 'a type-only import', filename: router, code: "import type { ConnectionInfo } from '@agentwirejs/types';\nexport function id(info: ConnectionInfo) { return info; }" },
    { name: 'a local, unexported const is a variable, not a definition', filename: router, code: "export function f() { const UserId = 'u1'; return UserId; }\nconst AppConfig = 1;\nexport const n = AppConfig;" },
    { name: 'computed member names', filename: router, code: "export const table = { ['ConnectionInfo']: 1 };\nexport class Holder { ['MessageRouter'] = 1; }" },
    { name: 'names in strings and templates', filename: router, code: "export const a = 'class ConnectionInfo {}';\nexport const b = `interface ${'UserId'} {}`;" },
    { name: 'an anonymous default class', filename: router, code: 'export default class {}' },
    { name: 'a longer name that contains a concept', filename: router, code: 'export class ConnectionInfoView {}\nexport interface UserIdLookup { id: string }' },
    { name: 'a wire schema in protocols', filename: inPackage('packages/protocols'), code: 'export const UserMessageSchema = {};' },
    { name: 'a namespace type alias of the canonical under its own name', filename: gateway, code: "import * as types from '@agentwirejs/types';\nexport type ConnectionInfo = types.ConnectionInfo;" },
    { name: 'a const alias of the canonical under its own name', filename: gateway, code: "import { MessageRouter as Imported } from '@agentwirejs/router';\nexport const MessageRouter = Imported;" },
    { name: 'the owner binds a registered alias', filename: inPackage('packages/router'), code: 'class MessageRouter {}\nexport const QualityMessageRouter = MessageRouter;' },
    { name: 'a local const inside a function', filename: gateway, code: "import { MessageRouter } from '@agentwirejs/router';\nexport function f() { const R = MessageRouter; return R; }" },
    { name: 'a default export of something else', filename: gateway, code: 'const handler = () => 1;\nexport default handler;' },
  ],
  invalid: [
    // issue 18: a concept exported under a new name is a second definition (this case was valid before)
    {
      name: 'exporting a concept under another name',
      filename: gateway,
      code: "export { ConnectionInfo as GatewayConnection } from '@agentwirejs/types';",
      errors: [{ messageId: 'rename', data: { kind: 'export', name: 'GatewayConnection', canonical: 'ConnectionInfo', owner: '@agentwirejs/types', entry: '@agentwirejs/types' } }],
    },
    {
      name: 'the owner itself re-exports its concept under an unregistered name',
      filename: inPackage('packages/router'),
      code: 'class MessageRouter {}\nexport { MessageRouter as RouterV2 };',
      errors: [{ messageId: 'rename', data: { kind: 'export', name: 'RouterV2', canonical: 'MessageRouter', owner: '@agentwirejs/router', entry: '@agentwirejs/router' } }],
    },
    { name: 'a const alias under a new name', filename: gateway, code: "import { MessageRouter } from '@agentwirejs/router';\nconst Router2 = MessageRouter;\nexport { Router2 };", errors: [{ messageId: 'rename', line: 2, column: 7 }] },
    { name: 'a type alias under a new name, through a namespace', filename: gateway, code: "import type * as manager from '@agentwirejs/manager';\nexport type Manager = manager.UnifiedWebSocketManager;", errors: [{ messageId: 'rename', data: { kind: 'type', name: 'Manager', canonical: 'UnifiedWebSocketManager', owner: '@agentwirejs/manager', entry: '@agentwirejs/manager' } }] },
    { name: 'a default export of a concept', filename: gateway, code: "import { MessageRouter } from '@agentwirejs/router';\nexport default MessageRouter;", errors: [{ messageId: 'defaultExport', data: { canonical: 'MessageRouter', owner: '@agentwirejs/router', entry: '@agentwirejs/router' } }] },
    { name: 'a concept re-exported as default', filename: gateway, code: "export { MessageRouter as default } from '@agentwirejs/router';", errors: [{ messageId: 'defaultExport' }] },
    {
      name: 'a second class outside the owner, even unexported',
      filename: router,
      code: 'class ConnectionInfo {}',
      errors: [{ messageId: 'definition', data: { kind: 'class', name: 'ConnectionInfo', owner: '@agentwirejs/types', entry: '@agentwirejs/types' }, line: 1, column: 7 }],
    },
    { name: 'an interface', filename: gateway, code: 'export interface ConnectionInfo { id: string }', errors: [{ messageId: 'definition', data: { kind: 'interface', name: 'ConnectionInfo', owner: '@agentwirejs/types', entry: '@agentwirejs/types' } }] },
    { name: 'a type alias of an id', filename: inPackage('packages/manager'), code: 'export type UserId = string;', errors: [{ messageId: 'definition', data: { kind: 'type', name: 'UserId', owner: '@agentwirejs/types', entry: '@agentwirejs/types' } }] },
    { name: 'an enum', filename: gateway, code: "export enum ConnectionState { Open = 'open' }", errors: [{ messageId: 'definition', data: { kind: 'enum', name: 'ConnectionState', owner: '@agentwirejs/types', entry: '@agentwirejs/types' } }] },
    { name: 'export default class with a name', filename: gateway, code: 'export default class ConnectionInfo {}', errors: [{ messageId: 'definition' }] },
    { name: 'an exported const', filename: gateway, code: 'export const AppConfig = {};', errors: [{ messageId: 'definition', data: { kind: 'const', name: 'AppConfig', owner: '@agentwirejs/config', entry: '@agentwirejs/config' } }] },
    { name: 'a const exported by a later export list', filename: gateway, code: 'const loadConfig = () => ({});\nexport { loadConfig };', errors: [{ messageId: 'definition', data: { kind: 'const', name: 'loadConfig', owner: '@agentwirejs/config', entry: '@agentwirejs/config' }, line: 1 }] },
    { name: 'an exported function', filename: gateway, code: 'export function getExecutionTracker() { return 1; }', errors: [{ messageId: 'definition', data: { kind: 'function', name: 'getExecutionTracker', owner: '@agentwirejs/execution-tracker', entry: '@agentwirejs/execution-tracker' } }] },
    { name: 'a destructured export', filename: gateway, code: 'declare const legacy: { ConnectionInfo: unknown };\nexport const { ConnectionInfo } = legacy;', errors: [{ messageId: 'definition', line: 2 }] },
    { name: 'a named class expression', filename: gateway, code: 'export const Local = class MessageRouter {};', errors: [{ messageId: 'definition', data: { kind: 'class', name: 'MessageRouter', owner: '@agentwirejs/router', entry: '@agentwirejs/router' } }] },
    { name: 'a class nested in a function', filename: router, code: 'export function make() { class UserExecutionContext {} return UserExecutionContext; }', errors: [{ messageId: 'definition' }] },
    { name: 'a namespace', filename: router, code: 'export namespace ConnectionInfo { export const x = 1; }', errors: [{ messageId: 'definition', data: { kind: 'namespace', name: 'ConnectionInfo', owner: '@agentwirejs/types', entry: '@agentwirejs/types' } }] },
    {
      name: 'a legacy alias outside its owner names the canonical class',
      filename: router,
      code: 'export class WebSocketManager {}',
      errors: [{ messageId: 'alias', data: { kind: 'class', name: 'WebSocketManager', canonical: 'UnifiedWebSocketManager', owner: '@agentwirejs/manager', entry: '@agentwirejs/manager' } }],
    },
    {
      name: 'a non-owner re-exports the canonical class under an alias',
      filename: gateway,
      code: "export { UnifiedWebSocketManager as WebSocketManager } from '@agentwirejs/manager';",
      errors: [{ messageId: 'exportedAs', data: { local: 'UnifiedWebSocketManager', name: 'WebSocketManager', owner: '@agentwirejs/manager', entry: '@agentwirejs/manager', canonical: 'UnifiedWebSocketManager' } }],
    },
    { name: 'another symbol exported under a canonical name', filename: gateway, code: 'const Mine = 1;\nexport { Mine as ConnectionInfo };', errors: [{ messageId: 'exportedAs', data: { local: 'Mine', name: 'ConnectionInfo', owner: '@agentwirejs/types', entry: '@agentwirejs/types', canonical: 'ConnectionInfo' } }] },
    { name: 'a namespace re-export under a canonical name', filename: gateway, code: "export * as MessageRouter from './router';", errors: [{ messageId: 'exportedAs', data: { local: '*', name: 'MessageRouter', owner: '@agentwirejs/router', entry: '@agentwirejs/router', canonical: 'MessageRouter' } }] },
    {
      name: 'a wire schema outside protocols',
      filename: gateway,
      code: 'export const UserMessageSchema = {};',
      errors: [{ messageId: 'definition', data: { kind: 'const', name: 'UserMessageSchema', owner: '@agentwirejs/protocols', entry: '@agentwirejs/protocols' } }],
    },
    {
      name: 'a drifted mock in a test file names the testing entry',
      filename: inPackage('packages/router', 'src/router.spec.ts'),
      code: 'class MockWebSocketManager { send() {} }',
      errors: [{ messageId: 'definition', data: { kind: 'class', name: 'MockWebSocketManager', owner: '@agentwirejs/manager', entry: '@agentwirejs/manager/testing' } }],
    },
  ],
});
