import { ERROR_CODES, ErrorCode } from '@agentwirejs/protocols';
import { AgentwireError } from '@agentwirejs/types';
import * as entry from './index';

/** RouterSetupError once per code of the table. */
const setupErrors: readonly AgentwireError[] = Object.values(entry.RouterErrorCode).map((code) => new entry.RouterSetupError(code, 'set up wrongly'));

describe('RouterErrorCode', () => {
  const codes: readonly string[] = Object.values(entry.RouterErrorCode);

  it('keeps the stable code strings that clients and logs depend on', () => {
    expect([...codes].sort()).toEqual(['ROUTER_HANDLER_CONFLICT', 'ROUTER_INVALID_OPTION', 'ROUTER_SEALED', 'ROUTER_UNKNOWN_TYPE']);
  });

  it('holds each code once', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('is where RouterSetupError takes its code from; MessageRejectedError carries a wire ErrorCode instead', () => {
    const exported = Object.values(entry).filter((value) => typeof value === 'function' && value.prototype instanceof AgentwireError);
    expect(new Set(exported)).toEqual(new Set([entry.RouterSetupError, entry.MessageRejectedError]));
    expect(new Set(setupErrors.map((error) => error.code))).toEqual(new Set(codes));
    const rejected = new entry.MessageRejectedError(ErrorCode.NotFound, 'no such run');
    expect(ERROR_CODES).toContain(rejected.code);
    expect(codes).not.toContain(rejected.code);
  });

  it('refuses a set-up mistake with a code of the table', () => {
    const router = new entry.MessageRouter({ logger: { error: () => undefined, warn: () => undefined } });
    expect(() => router.on('not_a_type' as never, () => undefined)).toThrow(expect.objectContaining({ code: entry.RouterErrorCode.UnknownType }));
  });
});
