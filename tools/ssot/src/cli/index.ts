export { EXIT, USAGE, runCli } from './run-cli';
export type { CliIo } from './run-cli';
