import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import { InvalidIdError } from './errors';
import { flatString } from './strings';

/**
 * Generated ids (connection, thread, run, request) are opaque strings of 1 to 128 characters
 * from a conservative alphabet (letters, digits and `_ . : @ -`, starting with a letter or
 * digit), so they are safe in logs, Redis keys and URLs; made here they are
 * `<prefix>_<ULID>`: sortable by creation time and monotonic within one process, with 80 random
 * bits per millisecond.
 *
 * A user id is whatever the identity provider verified (`1`, `auth0|5f7c…`, `google-oauth2|123`,
 * `a+b@x.com`, `José`, a UUID): any non-empty string of at most USER_ID_MAX_BYTES UTF-8 bytes
 * without control characters. Everything that keys state by it (Redis keys, maps, logs as JSON)
 * takes it as it is; nothing may demand a narrower alphabet.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
export const ID_MAX_LENGTH = 128;
export const USER_ID_MAX_BYTES = 256;
/** No C0 or C1 control character nor DEL (exactly Unicode's category Cc), spelled so JSON Schema can carry it. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const WITHOUT_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

function idSchema<const B extends string>(kind: B) {
  return z
    .string({ error: `${kind} must be a string` })
    .min(1, { error: `${kind} must not be empty` })
    .max(ID_MAX_LENGTH, { error: `${kind} must be at most ${ID_MAX_LENGTH} characters` })
    .regex(ID_PATTERN, {
      error: `${kind} may contain only letters, digits and _ . : @ - and must start with a letter or digit`,
    })
    .brand<B>();
}

/**
 * UTF-8 length of `value`, or -1 when it holds a lone surrogate (no UTF-8 form). One pass over
 * the code units, no allocation: it runs for every token verified at the upgrade.
 */
function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 4;
      index += 1;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}

/** The one user-id rule: a non-empty string of at most USER_ID_MAX_BYTES UTF-8 bytes without control characters. */
export const UserIdSchema = z
  .string({ error: 'UserId must be a string' })
  .min(1, { error: 'UserId must not be empty' })
  // Characters bound bytes from below, so this is implied by the byte rule; it puts a length in the JSON Schema.
  .max(USER_ID_MAX_BYTES, { error: `UserId must be at most ${USER_ID_MAX_BYTES} UTF-8 bytes` })
  .regex(WITHOUT_CONTROL_CHARACTERS, { error: 'UserId must not contain control characters' })
  .refine((value) => utf8ByteLength(value) !== -1, { error: 'UserId must be well-formed Unicode (it holds a lone surrogate)', abort: true })
  .refine((value) => utf8ByteLength(value) <= USER_ID_MAX_BYTES, { error: `UserId must be at most ${USER_ID_MAX_BYTES} UTF-8 bytes` })
  .brand<'UserId'>();
export const ConnectionIdSchema = idSchema('ConnectionId');
export const ThreadIdSchema = idSchema('ThreadId');
export const RunIdSchema = idSchema('RunId');
export const RequestIdSchema = idSchema('RequestId');

export type UserId = z.infer<typeof UserIdSchema>;
export type ConnectionId = z.infer<typeof ConnectionIdSchema>;
export type ThreadId = z.infer<typeof ThreadIdSchema>;
export type RunId = z.infer<typeof RunIdSchema>;
export type RequestId = z.infer<typeof RequestIdSchema>;

function parser<S extends z.ZodType>(kind: string, schema: S) {
  return (value: unknown): z.output<S> => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw new InvalidIdError(kind, value, result.error.issues[0]?.message ?? 'invalid');
  };
}

/** Parses a user id; throws InvalidIdError (code INVALID_ID) naming what is wrong. */
export const parseUserId = parser('UserId', UserIdSchema);
/** Parses a connection id; throws InvalidIdError naming what is wrong. */
export const parseConnectionId = parser('ConnectionId', ConnectionIdSchema);
/** Parses a thread id; throws InvalidIdError naming what is wrong. */
export const parseThreadId = parser('ThreadId', ThreadIdSchema);
/** Parses a run id; throws InvalidIdError naming what is wrong. */
export const parseRunId = parser('RunId', RunIdSchema);
/** Parses a request id; throws InvalidIdError naming what is wrong. */
export const parseRequestId = parser('RequestId', RequestIdSchema);

/**
 * Uniform numbers in [0, 1) from the system CSPRNG, drawn 256 at a time: ulid asks for one per
 * character of randomness, and one crypto call per character (16 per id) was the largest cost
 * of starting a run.
 */
const randomPool = new Uint32Array(256);
let randomNext = randomPool.length;
function pooledRandom(): number {
  if (randomNext === randomPool.length) {
    randomFillSync(randomPool);
    randomNext = 0;
  }
  const value = randomPool[randomNext] as number;
  randomNext += 1;
  return value / 0x1_0000_0000;
}

// One monotonic source for the process: ids made in the same millisecond still sort in
// creation order. It holds no user data.
const nextUlid = monotonicFactory(pooledRandom);

// `ulid` builds its text a character at a time, so an id made from it is a tree of cons strings:
// about 145 bytes of heap instead of about 55 once flat (measured, 100,000 run ids held), kept
// by every record, map key and connection holding one (see flatString).
export const generateUserId = (): UserId => flatString(`user_${nextUlid()}` as UserId);
export const generateConnectionId = (): ConnectionId => flatString(`conn_${nextUlid()}` as ConnectionId);
export const generateThreadId = (): ThreadId => flatString(`thread_${nextUlid()}` as ThreadId);
export const generateRunId = (): RunId => flatString(`run_${nextUlid()}` as RunId);
export const generateRequestId = (): RequestId => flatString(`req_${nextUlid()}` as RequestId);
