export { ConfigError, loadConfig } from './load-config';
export type { AppConfig, ConfigIssue } from './load-config';
export { EnvironmentSchema, LogLevelSchema, SETTINGS } from './settings';
export type { Environment, LogLevel, SettingName } from './settings';
