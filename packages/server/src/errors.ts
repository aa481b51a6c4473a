import { AgentwireError } from '@agentwirejs/types';

/** Codes of the errors @agentwirejs/server throws (AgentwireError.code), stable across releases. */
export const ServerErrorCode = {
  /** An agent's checkInput refused a run's input (AgentInputError). */
  AgentInputInvalid: 'AGENT_INPUT_INVALID',
} as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/**
 * What an agent's checkInput (CatalogEntry) throws to refuse a run before it starts: the client
 * gets an `error` with `wireCode` and the message, and no run exists.
 */
export class AgentInputError extends AgentwireError {
  constructor(
    readonly wireCode: 'invalid_message' | 'limit_exceeded' | 'payload_too_large',
    message: string,
  ) {
    super(ServerErrorCode.AgentInputInvalid, message);
  }
}
