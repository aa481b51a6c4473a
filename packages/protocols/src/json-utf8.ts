import { isBoxedPrimitive } from 'node:util/types';
import { JsonCharCode } from './envelope';

/** Strings up to this long are checked and copied a character at a time: cheaper than a call into Buffer's native write. */
const SHORT_STRING = 64;
/**
 * The size of the slabs values are written into (a larger one for a value that needs it): Node's
 * own pool size (Buffer.poolSize), so a view held long keeps no more memory alive than one of
 * Buffer.from's would.
 */
const SLAB_BYTES = 8 * 1024;
/** What a slot of the open list holds when no container is there. */
const NOTHING: object = Object.freeze({});

const {
  Quote: QUOTE,
  Backslash: BACKSLASH,
  Comma: COMMA,
  Colon: COLON,
  OpenBracket: OPEN_BRACKET,
  CloseBracket: CLOSE_BRACKET,
  OpenBrace: OPEN_BRACE,
  CloseBrace: CLOSE_BRACE,
  Digit0: DIGIT_0,
} = JsonCharCode;

/** String.prototype.isWellFormed (Node 20 has it; TypeScript's ES2023 library does not declare it): false when the string holds a lone surrogate. */
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

// JSON.rawJSON (Node 22 and later): such an object is written as its raw text, which JSON.stringify knows how to do.
const isRawJson = (JSON as { isRawJSON?: (value: unknown) => boolean }).isRawJSON ?? ((): boolean => false);

/**
 * Writes a value as JSON straight into UTF-8 bytes: the bytes of `JSON.stringify(value)`, without
 * the string. An envelope written by JSON.stringify and then encoded costs about three times its
 * length in garbage (V8 builds the text in parts that double from 32 characters, joins them, and
 * flattens the join to encode it: 1,750 bytes for a 600-byte envelope, sampling heap profiler);
 * written here it costs the view of its bytes.
 *
 * What JSON.stringify does, the same way: toJSON(key) first, a boxed primitive as its value,
 * undefined, functions and symbols left out of objects and written as null in arrays, non-finite
 * numbers as null, an object's own enumerable string keys in their order, a class instance,
 * Proxy or typed array as the object it is, a cycle or a BigInt refused with a TypeError.
 * Strings that need escapes or hold lone surrogates, boxed primitives and raw JSON are written
 * with JSON.stringify (a rare path). One difference, for a value no code makes: a boxed primitive
 * is recognized only when its prototype is not Object.prototype, so one whose prototype was reset
 * to Object.prototype is written as the object it is, where JSON.stringify coerces it. A value
 * whose getter or toJSON writes with the same writer is written with JSON.stringify instead.
 *
 * Values are written one after another into a slab (as Buffer.from writes into Node's pool) and
 * each result is a view of its part of it: nothing is copied, and nothing written is ever
 * overwritten, so the bytes can be handed to sockets that write them later. A value that does
 * not fit in what is left moves, with what it has written so far, to a new slab; a slab is let go
 * once no view of it is left.
 */
export class JsonUtf8Writer {
  private slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  /** The slab as 32-bit words (word i is bytes 4i..4i+3), for checking long strings four bytes at a time; null if the slab does not start on a word. */
  private words: Int32Array | null = wordsOf(this.slab);
  /** Where the value being written starts in the slab, and where its next byte goes. */
  private start = 0;
  private at = 0;
  /** The objects and arrays being written, outermost first, in open[0..depth) (a cycle is one already there). */
  private readonly open: object[] = [];
  private depth = 0;
  private busy = false;
  /** Whether the long string being written is well formed (no lone surrogate), once asked; null before. */
  private wellFormed: boolean | null = null;
  /** Whether Object.prototype has no enumerable property (so a plain object's for-in lists only its own): asked per value. */
  private bareObjectPrototype = true;

  /** The UTF-8 bytes of `JSON.stringify(value)`; a TypeError where JSON.stringify throws one, or where it has no text (undefined, a function, a symbol). */
  encode(value: unknown): Buffer {
    if (this.busy) return Buffer.from(textOf(value), 'utf8');
    this.busy = true;
    this.bareObjectPrototype = !hasEnumerableKey(Object.prototype);
    this.start = this.at;
    this.depth = 0;
    try {
      if (!this.value(value, '')) throw new TypeError(`${typeof value} has no JSON text`);
      const bytes = this.slab.subarray(this.start, this.at);
      // A value that needed a larger slab has it to itself: the next one starts a slab of the usual size.
      if (this.slab.length > SLAB_BYTES) this.fresh();
      return bytes;
    } catch (error) {
      this.at = this.start; // nothing of a refused value stays
      throw error;
    } finally {
      this.busy = false;
      this.open.fill(NOTHING, 0, this.depth);
      this.depth = 0;
    }
  }

  /** Writes `value` as the property `key` of its holder; false when JSON leaves it out (undefined, a function, a symbol). */
  private value(input: unknown, key: string | number): boolean {
    let value = input;
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = toJSON.call(value, String(key)) as unknown;
    }
    switch (typeof value) {
      case 'string':
        this.string(value);
        return true;
      case 'number':
        this.number(value);
        return true;
      case 'boolean':
        this.ascii(value ? 'true' : 'false');
        return true;
      case 'object':
        if (value === null) this.ascii('null');
        else if (Array.isArray(value)) this.array(value);
        // A plain object is neither a boxed primitive nor raw JSON: asked only of the others (a call into C++ each).
        else if (Object.getPrototypeOf(value) !== Object.prototype && (isBoxedPrimitive(value) || isRawJson(value))) this.text(textOf(value));
        else this.object(value);
        return true;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      default:
        return false;
    }
  }

  private array(list: readonly unknown[]): void {
    this.enter(list);
    this.byte(OPEN_BRACKET);
    const length = list.length;
    for (let index = 0; index < length; index += 1) {
      if (index > 0) this.byte(COMMA);
      if (!this.value(list[index], index)) this.ascii('null');
    }
    this.byte(CLOSE_BRACKET);
    this.leave();
  }

  private object(record: object): void {
    this.enter(record);
    this.byte(OPEN_BRACE);
    let first = true;
    // Own enumerable string keys in their order, as JSON.stringify takes them. for-in lists
    // inherited ones too, but a plain object inherits none while Object.prototype has no
    // enumerable property (asked once per value), so only other objects ask each key hasOwn
    // (a call per key; Object.keys instead cost an array per object, 1 KB per run of three events).
    const ownOnly = this.bareObjectPrototype && Object.getPrototypeOf(record) === Object.prototype;
    for (const key in record) {
      if (!ownOnly && !Object.hasOwn(record, key)) continue;
      // Relative to the value's start: the value may move to a new slab while this one is written.
      const mark = this.at - this.start;
      if (!first) this.byte(COMMA);
      this.string(key);
      this.byte(COLON);
      if (this.value((record as Record<string, unknown>)[key], key)) first = false;
      else this.at = this.start + mark; // left out: its key goes too
    }
    this.byte(CLOSE_BRACE);
    this.leave();
  }

  private enter(container: object): void {
    const open = this.open;
    for (let index = 0; index < this.depth; index += 1) if (open[index] === container) throw new TypeError('Converting circular structure to JSON');
    // The list keeps its length between values (set, not pushed): emptying it would give up its storage.
    open[this.depth] = container;
    this.depth += 1;
  }

  private leave(): void {
    this.depth -= 1;
    this.open[this.depth] = NOTHING; // not kept alive by the writer
  }

  private number(value: number): void {
    if (!Number.isFinite(value)) this.ascii('null');
    else if (Number.isSafeInteger(value) && value >= 0) this.digits(value);
    else this.ascii(String(value));
  }

  /** A whole number from 0 to 2^53 - 1, written without making its text. */
  private digits(value: number): void {
    this.reserve(decimalDigitCount(value));
    this.at = writeDecimalDigits(this.slab, this.at, value);
  }

  private string(value: string): void {
    const length = value.length;
    if (length <= SHORT_STRING) {
      this.reserve(length + 2);
      const slab = this.slab;
      let at = this.at;
      slab[at++] = QUOTE;
      let index = 0;
      for (; index < length; index += 1) {
        const code = value.charCodeAt(index);
        if (code < 0x20 || code === QUOTE || code === BACKSLASH || code > 0x7e) break;
        slab[at++] = code;
      }
      if (index === length) {
        slab[at++] = QUOTE;
        this.at = at;
        return;
      }
    }
    // Encoded by Buffer's native write, then its bytes checked: a byte below 0x20, a quote or a
    // backslash needs an escape; a lone surrogate was written as U+FFFD (EF BF BD), so a string
    // with an 0xEF byte is asked once whether it is well formed. Either way it is written again,
    // escaped, by JSON.stringify (checking the string first with a regular expression cost more).
    // The check passes over whole words of printable ASCII first (plainWordsEnd), then goes a
    // byte at a time from the first word that is not one: a 300-character ASCII string is checked
    // in about a third of the time (135 against 380 to 460 ns, microbenchmark, 2026-12-07). This method's
    // own time was 13% and 15% of the Redis benchmark's producing and in-memory gateways' CPU
    // (profiles), most of it this check. Text with other characters early is checked a byte at a
    // time, as before: skipping words again after one that is not plain made such text 1.7 times
    // slower to check.
    this.reserve(utf8Room(value) + 2);
    const slab = this.slab;
    const start = this.at;
    slab[start] = QUOTE;
    const end = start + 1 + slab.write(value, start + 1, 'utf8');
    this.wellFormed = null;
    const plainEnd = plainWordsEnd(this.words, start + 1, end);
    const headEnd = Math.min(end, alignUp(start + 1));
    if (this.needsEscape(value, start + 1, headEnd) || this.needsEscape(value, Math.max(headEnd, plainEnd), end)) {
      this.at = start;
      this.text(JSON.stringify(value));
      return;
    }
    slab[end] = QUOTE;
    this.at = end + 1;
  }

  /** Whether the slab's bytes [from, end) of `value`'s UTF-8 hold one that JSON escapes, or a lone surrogate's replacement. */
  private needsEscape(value: string, from: number, end: number): boolean {
    const slab = this.slab;
    for (let at = from; at < end; at += 1) {
      const byte = slab[at] as number;
      if (byte < 0x20 || byte === QUOTE || byte === BACKSLASH || (byte === 0xef && !(this.wellFormed ??= isWellFormed(value)))) return true;
    }
    return false;
  }

  /** JSON text made elsewhere (JSON.stringify's), as it is. */
  private text(json: string): void {
    this.reserve(utf8Room(json));
    this.at += this.slab.write(json, this.at, 'utf8');
  }

  /** Characters known to be ASCII (keywords, a number's text). */
  private ascii(text: string): void {
    this.reserve(text.length);
    const slab = this.slab;
    let at = this.at;
    for (let index = 0; index < text.length; index += 1) slab[at++] = text.charCodeAt(index);
    this.at = at;
  }

  private byte(code: number): void {
    this.reserve(1);
    this.slab[this.at++] = code;
  }

  /** Room for `bytes` more: when the slab has not got it, the value written so far moves to a new slab that has. */
  private reserve(bytes: number): void {
    if (this.at + bytes <= this.slab.length) return;
    const written = this.at - this.start;
    let size = SLAB_BYTES;
    while (size < 2 * (written + bytes)) size *= 2;
    this.renew(size);
  }

  /** A new slab of the usual size, nothing written in it. */
  private fresh(): void {
    this.slab = Buffer.allocUnsafe(SLAB_BYTES);
    this.words = wordsOf(this.slab);
    this.start = 0;
    this.at = 0;
  }

  /** A new slab of `size` bytes, the value being written (start..at) copied to its start. */
  private renew(size: number): void {
    const slab = Buffer.allocUnsafe(size);
    this.slab.copy(slab, 0, this.start, this.at);
    this.at -= this.start;
    this.start = 0;
    this.slab = slab;
    this.words = wordsOf(slab);
  }
}

/** `bytes` as 32-bit words, word i being bytes 4i to 4i+3; null when they do not start on a multiple of 4 in their ArrayBuffer. */
function wordsOf(bytes: Buffer): Int32Array | null {
  return bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4)) : null;
}

/** The first multiple of 4 at or after `at` (arithmetic, not bit operations: a slab may pass 2 GiB). */
function alignUp(at: number): number {
  return at + ((4 - (at % 4)) % 4);
}

/**
 * Where the run of whole words of printable ASCII without a quote or a backslash (bytes 0x20 to
 * 0x7f but 0x22 and 0x5c) that starts at the first word boundary at or after `from` ends, at most
 * at `end`'s word boundary: those bytes need no escape, so a byte-at-a-time check of [from, end)
 * need only look at the bytes before the first boundary and from the returned index on. A word is
 * tested in one go, each of its bytes alike: a byte with its high bit set, a byte below 0x20
 * (subtracting 0x20 from each byte borrows there and only there), or a byte equal to 0x22 or 0x5c
 * (XORed with it, it is 0, which borrows when 1 is subtracted) sets a high bit of the result. Once
 * every byte is ASCII (the first term), no other borrow crosses from one byte into the next.
 */
export function plainWordsEnd(words: Int32Array | null, from: number, end: number): number {
  if (words === null) return from;
  let word = alignUp(from) / 4;
  const last = Math.floor(end / 4);
  for (; word < last; word += 1) {
    const bytes = words[word] as number;
    if ((bytes | (bytes - 0x20202020) | ((bytes ^ 0x22222222) - 0x01010101) | ((bytes ^ 0x5c5c5c5c) - 0x01010101)) & 0x80808080) break;
  }
  return Math.max(from, word * 4);
}

/** How many decimal digits a whole number from 0 to 2^53 - 1 has. */
export function decimalDigitCount(value: number): number {
  let count = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) count += 1;
  return count;
}

/** Writes a whole number from 0 to 2^53 - 1 at `at` in ASCII, without making its text; returns where it ends. */
export function writeDecimalDigits(bytes: Uint8Array, at: number, value: number): number {
  const end = at + decimalDigitCount(value);
  let rest = value;
  for (let i = end - 1; i >= at; i -= 1) {
    const digit = rest % 10;
    bytes[i] = DIGIT_0 + digit;
    rest = (rest - digit) / 10;
  }
  return end;
}

/** Strings longer than this are measured before they are written rather than given room for 3 bytes per character. */
const MEASURED_STRING = 64 * 1024;

/**
 * Room enough for a string's UTF-8: at most 3 bytes per UTF-16 unit, which is cheap to know; a
 * long string is measured instead, so a 100 MB text does not make a 300 MB slab.
 */
function utf8Room(text: string): number {
  return text.length > MEASURED_STRING ? Buffer.byteLength(text, 'utf8') : 3 * text.length;
}

/** True when for-in lists at least one key of `object` (its own or inherited). */
function hasEnumerableKey(object: object): boolean {
  for (const key in object) if (typeof key === 'string') return true;
  return false;
}

/** JSON.stringify's text of a value, or a TypeError where it has none. */
function textOf(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`${typeof value} has no JSON text`);
  return text;
}
