export { quantile, summarize } from './stats';
export type { Summary } from './stats';
