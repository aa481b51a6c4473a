import type { OutboundMessage } from '@agentwirejs/protocols';
import type { ConnectionId, UserId } from '@agentwirejs/types';

/**
 * What a handler knows about the connection a frame came from. The gateway builds one per
 * connection when the socket opens, from the verified token, and passes it to every
 * `route()` of that connection's frames. Nothing in it comes from a message: a `user_id` a
 * client writes into a message is stripped by the schema and never reaches a handler.
 *
 * The gateway may extend it (e.g. with the user's manager or tracker) and create a
 * `MessageRouter<ItsContext>`; handlers then receive that type.
 */
export interface RouteContext {
  /** The user the connection was authenticated as (the token's `sub`). */
  readonly userId: UserId;
  /** The connection the frame arrived on. */
  readonly connectionId: ConnectionId;
  /**
   * Sends a connection-scoped message (seq null, not replayed) to this connection only, e.g.
   * `manager.sendToConnection(connectionId, message)`. The router sends its error replies
   * through it and awaits the result; a failure is logged, never thrown back.
   */
  reply(message: OutboundMessage): void | Promise<unknown>;
}

/**
 * Where the router logs handler failures and failed replies: a pino logger fits as is.
 * The router does not depend on pino.
 */
export interface RouterLogger {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
}
