/**
 * The RUN_ERROR codes of a remote agent's run (agent_error `code` in v1): why a run of an agent
 * behind an AG-UI HTTP endpoint ended without completing. Stable: clients may branch on them.
 */
export const RemoteAgentErrorCode = {
  /** The endpoint answered with a status other than 2xx (the message names the status). */
  HttpError: 'remote_http_error',
  /** No answer at all: connection refused, unknown host, reset before the response headers. */
  Unreachable: 'remote_unreachable',
  /** The stream broke AG-UI over SSE: not text/event-stream, not JSON, not a valid AG-UI event, an event out of order, an oversized event. */
  ProtocolError: 'remote_protocol_error',
  /** The stream ended (the TCP connection dropped, or the body ended) before the remote's RUN_FINISHED. */
  Disconnected: 'remote_disconnected',
  /** The remote agent sent RUN_ERROR (the message carries its message and code). */
  RunError: 'remote_run_error',
} as const;
export type RemoteAgentErrorCode = (typeof RemoteAgentErrorCode)[keyof typeof RemoteAgentErrorCode];

/**
 * Why a remote agent's run failed. The tracker ends the run with RUN_ERROR `runErrorCode`; `ref`
 * names the one log line that tells the operator more.
 */
export class RemoteAgentError extends Error {
  constructor(
    readonly runErrorCode: RemoteAgentErrorCode,
    message: string,
    readonly ref: string,
  ) {
    super(`${message} (ref ${ref})`);
    this.name = 'RemoteAgentError';
  }
}
