/** @agentwirejs/manager/testing: test doubles for code that uses a WebSocket manager. */
export { MockWebSocketManager } from './mock-manager';
export type { MockWebSocketManagerOptions, RecordedSend } from './mock-manager';
