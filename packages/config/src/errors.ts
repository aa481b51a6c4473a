/** The codes of this package's errors (ConfigError). */
export const ConfigErrorCode = {
  InvalidConfig: 'INVALID_CONFIG',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];
