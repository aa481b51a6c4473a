const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes of a base64url text (padding tolerated), or null for a character outside the alphabet. */
function base64UrlBytes(text: string): number[] | null {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const character of text.replace(/=+$/, '')) {
    const value = BASE64URL_ALPHABET.indexOf(character);
    if (value === -1) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

/** UTF-8 bytes as a string (every byte percent-encoded, then decoded: no TextDecoder needed). */
function utf8Text(bytes: readonly number[]): string {
  return decodeURIComponent(bytes.map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''));
}

/**
 * When a JWT expires (its `exp`, in epoch ms), read WITHOUT verifying anything: the client only
 * needs to know when to refresh; the gateway verifies. Null when the token is not a JWT with a
 * numeric `exp` (an opaque token: the client then does not refresh it in place).
 */
export function readTokenExpiry(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return null;
  const bytes = base64UrlBytes(parts[1]);
  if (bytes === null) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(utf8Text(bytes));
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null) return null;
  const { exp } = claims as { exp?: unknown };
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}
