import { AgentwireError } from '@agentwirejs/types';
import { errorCodeTableProblems } from '@agentwirejs/types/testing';
import * as entry from './index';

/** One instance of every error class the entry exports. */
const samples: readonly AgentwireError[] = [
  new entry.DirectConstructionError(),
  new entry.RunNotFoundError('run_1'),
  new entry.RunLimitExceededError(3),
  new entry.TrackerShutDownError(),
  new entry.TrackerNotRegisteredError(),
  new entry.TrackerAlreadyRegisteredError(),
  new entry.InvalidTrackerOptionError('maxRunsPerUser', 'negative'),
  entry.RunAbortedError.reason('cancelled', 'cancelled by the user'),
  new entry.RunEndedError('run_1'),
  new entry.StreamClosedError('Text message m1'),
  new entry.InvalidReportError('a custom event needs a name'),
  new entry.InterruptNotFoundError('ask-1'),
  new entry.InvalidAnswerError('the answer must be string'),
];

describe('TrackerErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.TrackerErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual([
      'DIRECT_CONSTRUCTION',
      'INTERRUPT_NOT_FOUND',
      'INVALID_ANSWER',
      'INVALID_REPORT',
      'INVALID_TRACKER_OPTION',
      'RUN_ABORTED',
      'RUN_ENDED',
      'RUN_LIMIT_EXCEEDED',
      'RUN_NOT_FOUND',
      'STREAM_CLOSED',
      'TRACKER_ALREADY_REGISTERED',
      'TRACKER_NOT_REGISTERED',
      'TRACKER_SHUT_DOWN',
    ]);
  });

  it('holds each code once, is where every exported error class takes its code from, and every code belongs to a class', () => {
    expect(errorCodeTableProblems(entry, entry.TrackerErrorCode, samples)).toEqual([]);
  });
});
