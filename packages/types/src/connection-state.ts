import { IllegalStateTransitionError } from './errors';

/** The one life cycle of a client connection. */
export enum ConnectionState {
  /** Accepted by the transport, not yet registered with a manager. */
  Connecting = 'connecting',
  /** Registered and receiving its user's stream. */
  Connected = 'connected',
  /** A close has been started (by either side) and not finished. */
  Closing = 'closing',
  /** Closed normally; terminal. */
  Closed = 'closed',
  /** Ended by an error (transport failure, missed heartbeat); only a move to closed remains. */
  Failed = 'failed',
}

const ALLOWED: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  [ConnectionState.Connecting]: [ConnectionState.Connected, ConnectionState.Closing, ConnectionState.Closed, ConnectionState.Failed],
  [ConnectionState.Connected]: [ConnectionState.Closing, ConnectionState.Closed, ConnectionState.Failed],
  [ConnectionState.Closing]: [ConnectionState.Closed, ConnectionState.Failed],
  [ConnectionState.Closed]: [],
  [ConnectionState.Failed]: [ConnectionState.Closed],
};

/** True when `from → to` is a legal move of the connection life cycle. */
export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws IllegalStateTransitionError unless `from → to` is legal. */
export function assertTransition(from: ConnectionState, to: ConnectionState): void {
  if (!canTransition(from, to)) throw new IllegalStateTransitionError('ConnectionState', from, to);
}

/** States in which a connection still counts as active. */
export function isActiveState(state: ConnectionState): boolean {
  return state === ConnectionState.Connecting || state === ConnectionState.Connected;
}
