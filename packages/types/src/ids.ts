import { randomFillSync } from 'node:crypto';
import { z } from 'zod';
import { InvalidIdError } from './errors';

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

/** Crockford's base32 as ULID writes it, by digit value (0–31), as character codes. */
const ULID_DIGITS = Uint8Array.from('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (digit) => digit.charCodeAt(0));
/** A ULID: 10 digits of time (ms since the epoch, 48 bits), then 16 of randomness (80 bits). */
const ULID_TIME_DIGITS = 10;
const ULID_RANDOM_DIGITS = 16;
/** The largest time 10 base32 digits hold (2^48 - 1 ms, in the year 10889). */
const ULID_TIME_MAX = 2 ** 48 - 1;

/**
 * `<prefix><ULID>` ids, monotonic within the process: an id made in the same millisecond as the
 * last one (or after the clock went back) has the last one's time and its randomness plus one,
 * as ulid's monotonicFactory does, so ids sort in creation order. Written as bytes into one
 * buffer and read out as one flat string: the `ulid` package built each id a character at a
 * time, about 460 bytes of garbage per id (sampling heap profiler, two per run started) and a
 * cons-string tree that had to be flattened to be held cheaply. The randomness comes from the
 * system CSPRNG, one byte per digit (256 is a multiple of 32, so every digit is uniform), drawn
 * 256 bytes at a time.
 */
export class UlidSource {
  private lastTime = -1;
  /** The random part's digits (0–31), most significant first. */
  private readonly random = new Uint8Array(ULID_RANDOM_DIGITS);
  private readonly pool = new Uint8Array(256);
  private poolNext = this.pool.length;
  private readonly text = Buffer.alloc(ID_MAX_LENGTH);

  constructor(private readonly clock: () => number = Date.now) {}

  /** A new id: `prefix` (ASCII, at most ID_MAX_LENGTH - 26 characters) then a ULID. */
  next(prefix: string): string {
    const now = this.clock();
    if (!Number.isInteger(now) || now < 0 || now > ULID_TIME_MAX) throw new RangeError(`a ULID's time is a whole number of ms from 0 to ${ULID_TIME_MAX}, got ${now}`);
    if (now > this.lastTime) {
      this.lastTime = now;
      this.draw();
    } else this.increment();
    const text = this.text;
    const start = text.write(prefix, 0, 'latin1');
    if (start !== prefix.length || start + ULID_TIME_DIGITS + ULID_RANDOM_DIGITS > text.length) throw new RangeError(`an id prefix is at most ${text.length - ULID_TIME_DIGITS - ULID_RANDOM_DIGITS} characters`);
    let time = this.lastTime;
    for (let at = start + ULID_TIME_DIGITS - 1; at >= start; at -= 1) {
      const digit = time % 32;
      text[at] = ULID_DIGITS[digit] as number;
      time = (time - digit) / 32;
    }
    const randomAt = start + ULID_TIME_DIGITS;
    for (let index = 0; index < ULID_RANDOM_DIGITS; index += 1) text[randomAt + index] = ULID_DIGITS[this.random[index] as number] as number;
    return text.toString('latin1', 0, randomAt + ULID_RANDOM_DIGITS);
  }

  private draw(): void {
    if (this.poolNext + ULID_RANDOM_DIGITS > this.pool.length) {
      randomFillSync(this.pool);
      this.poolNext = 0;
    }
    for (let index = 0; index < ULID_RANDOM_DIGITS; index += 1) this.random[index] = (this.pool[this.poolNext + index] as number) & 31;
    this.poolNext += ULID_RANDOM_DIGITS;
  }

  /** The random part plus one; past 80 bits of ids in one millisecond there is no next one (as with ulid). */
  private increment(): void {
    for (let index = ULID_RANDOM_DIGITS - 1; index >= 0; index -= 1) {
      const digit = this.random[index] as number;
      if (digit < 31) {
        this.random[index] = digit + 1;
        return;
      }
      this.random[index] = 0;
    }
    throw new RangeError('no ULID is left in this millisecond (the random part overflowed)');
  }
}

// One monotonic source for the process: ids made in the same millisecond still sort in
// creation order. It holds no user data.
const ids = new UlidSource();

export const generateUserId = (): UserId => ids.next('user_') as UserId;
export const generateConnectionId = (): ConnectionId => ids.next('conn_') as ConnectionId;
export const generateThreadId = (): ThreadId => ids.next('thread_') as ThreadId;
export const generateRunId = (): RunId => ids.next('run_') as RunId;
export const generateRequestId = (): RequestId => ids.next('req_') as RequestId;
