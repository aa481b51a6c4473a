/** @agentwirejs/protocols/testing: shared conformance suites and test doubles. */
export { eventually, settle, waitForCount } from './testing/assertions';
export {
  backplaneConformanceCases,
  defineBackplaneConformance,
} from './testing/backplane-conformance';
export type {
  BackplaneConformanceCase,
  BackplaneHarness,
  BackplaneHarnessFactory,
  BackplaneHarnessOptions,
} from './testing/backplane-conformance';
export { defineManagerConformance, managerConformanceCases } from './testing/manager-conformance';
export type {
  ConformanceClient,
  ManagerConformanceCase,
  ManagerHarness,
  ManagerHarnessFactory,
  ManagerHarnessOptions,
} from './testing/manager-conformance';
export { RecordingTransport } from './testing/recording-transport';
