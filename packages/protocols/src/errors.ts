/**
 * The codes of this package's own error classes (BackplaneClosedError, ProtocolViolationError, ProtocolExtensionError),
 * thrown to callers in the process. Not the wire: the codes sent to clients are `ErrorCode`.
 */
export const ProtocolsErrorCode = {
  BackplaneClosed: 'BACKPLANE_CLOSED',
  ProtocolViolation: 'PROTOCOL_VIOLATION',
  /** defineProtocolExtensions was given a type or event name it cannot register (a clash, a bad name, a schema of the wrong kind). */
  InvalidProtocolExtension: 'INVALID_PROTOCOL_EXTENSION',
} as const;
export type ProtocolsErrorCode = (typeof ProtocolsErrorCode)[keyof typeof ProtocolsErrorCode];
