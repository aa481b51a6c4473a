/** What this package will hold (UnifiedWebSocketManager and WebSocketManagerFactory) is built by issue 4; until then it exports only this. */
export const PACKAGE_STATUS = { name: '@agentwire/manager', issue: 4, ready: false } as const;
