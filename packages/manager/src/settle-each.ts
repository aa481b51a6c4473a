import { type AppendFailures, withAppendFailure } from '@agentwirejs/protocols';

/** Waits for every promise and reports their failures by place (AppendFailures: null when none failed). */
export function settleEach(promises: readonly Promise<unknown>[]): Promise<AppendFailures> {
  return Promise.allSettled(promises).then((results) => {
    let failures: unknown[] | null = null;
    results.forEach((result, index) => {
      if (result.status === 'rejected') failures = withAppendFailure(failures, results.length, index, result.reason);
    });
    return failures;
  });
}
