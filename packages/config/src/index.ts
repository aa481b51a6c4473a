export { ConfigError, type LoadConfigOptions, loadConfig } from './load-config';
export { ConfigErrorCode } from './errors';
export { DEVELOPMENT_SECRET_FILE, loadProcessConfig, readOrCreateDevelopmentSecret } from './development-secret';
export type { AppConfig, ConfigIssue } from './load-config';
export { EnvironmentSchema, LogLevelSchema, RemoteAgentSchema, RemoteAgentsSchema, SETTINGS } from './settings';
export type { Environment, LogLevel, RemoteAgentSetting, RemoteAgentsSetting, SettingName } from './settings';
