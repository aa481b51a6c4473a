/**
 * @agentwirejs/client: the agentwire.v2 client for browsers and Node. One implementation of
 * reconnect (exponential backoff, full jitter), resume (after_seq + epoch, repeats dropped by seq,
 * compacted deltas applied, replay gaps surfaced) and token refresh on the open socket, with run
 * handles for the runs it starts. Wire types come from @agentwirejs/protocols as types only, so the
 * bundle carries no schema library and no Node built-in.
 */
export {
  createClient,
  type AgentwireClient,
  type ClientError,
  type ClientEvents,
  type ClientOptions,
  type ClientState,
  type OutgoingMessage,
  type StartRunOptions,
  type StreamEnvelope,
  type TokenRequest,
} from './client';
export type { RunEvents, RunHandle, RunInterrupt, RunOutcome } from './run';
export type { RunEventEnvelope } from '@agentwirejs/protocols';
export type { SeqRange, StreamPoint } from './resume-cursor';
export type { Unsubscribe } from './listeners';
export type { WebSocketConstructor, WebSocketLike } from './websocket';
export { ClientErrorCode, RequestError } from './errors';
export { reconnectDelay, type BackoffPolicy } from './backoff';
export { readTokenExpiry } from './jwt';
export * from './defaults';
export { WireEventName } from './wire-names';
