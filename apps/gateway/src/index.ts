export { startPlaceholderServer } from './placeholder-server';
export type { RunningServer } from './placeholder-server';
