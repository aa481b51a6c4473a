import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '@agentwirejs/config';

export type { Logger } from 'pino';

/** Structured JSON logs. Tokens never reach a log line: the fields that could carry one are redacted. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'agentwire-gateway' },
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'headers["sec-websocket-protocol"]'], censor: '[redacted]' },
    },
    destination,
  );
}
