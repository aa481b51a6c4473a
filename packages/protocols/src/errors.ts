/**
 * The codes of this package's own error classes (BackplaneClosedError, ProtocolViolationError),
 * thrown to callers in the process. Not the wire: the codes sent to clients are `ErrorCode`.
 */
export const ProtocolsErrorCode = {
  BackplaneClosed: 'BACKPLANE_CLOSED',
  ProtocolViolation: 'PROTOCOL_VIOLATION',
} as const;
export type ProtocolsErrorCode = (typeof ProtocolsErrorCode)[keyof typeof ProtocolsErrorCode];
