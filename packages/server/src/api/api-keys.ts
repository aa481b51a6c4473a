import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Compares two buffers of equal length without an early exit (crypto.timingSafeEqual unless a test injects a recorder). */
export type ConstantTimeEqual = (a: Buffer, b: Buffer) => boolean;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The server API's keys (AGENTWIRE_API_KEYS). A presented key is hashed and its SHA-256 digest
 * compared in constant time with every configured key's digest: equal lengths whatever was sent,
 * and no early exit, so neither the time nor the number of comparisons tells how close a guess
 * came or which key matched.
 */
export class ApiKeys {
  private readonly digests: readonly Buffer[];

  constructor(
    keys: readonly string[],
    private readonly equal: ConstantTimeEqual = timingSafeEqual,
  ) {
    this.digests = keys.map(digest);
  }

  /** False when no key is configured: the API is off. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The index of the key `presented` is (an opaque identity for the rate limit), or null for none. */
  match(presented: string): number | null {
    const candidate = digest(presented);
    let found: number | null = null;
    this.digests.forEach((known, index) => {
      if (this.equal(candidate, known) && found === null) found = index;
    });
    return found;
  }
}

/** The key of `Authorization: Bearer <key>`, or null when the header is missing or of another scheme. */
export function bearerKey(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '');
  return match?.[1] ?? null;
}
