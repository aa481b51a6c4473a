/**
 * @agentwirejs/server/testing: test doubles for apps that mount the server. ScriptedRemote is a
 * real AG-UI server on 127.0.0.1 whose answers a test scripts (well-behaved or not), to test
 * remote agents (AGENTWIRE_REMOTE_AGENTS) end to end. GatewayTokens name the parts of a server's
 * container, for tests that look inside one.
 */
export { type ReceivedRequest, type RemoteBehaviour, ScriptedRemote, openSse, writeEvents } from './testing/scripted-remote';
export { GatewayTokens } from './container';
