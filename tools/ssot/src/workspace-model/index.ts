export { WorkspaceIndex, toPosix } from './workspace-index';
export type { FileContext, WorkspacePackage } from './workspace-index';
