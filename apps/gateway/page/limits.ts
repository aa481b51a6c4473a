/**
 * What the gateway accepts from this page, as it told the page (the page-config block the gateway
 * writes into index.html): the page checks a message before sending it, so a text the gateway
 * would refuse (payload_too_large) or close the socket for (1009) stays in the box with the
 * reason, instead of being lost with the connection.
 */
export interface PageLimits {
  /** Longest agent input in characters (code points), AGENTWIRE_MAX_INPUT_CHARS; null when unknown. */
  readonly maxInputChars: number | null;
  /** Largest frame in bytes, AGENTWIRE_MAX_PAYLOAD_BYTES; null when unknown. */
  readonly maxPayloadBytes: number | null;
}

/** What the client adds to a message (its request_id) and JSON's quoting, kept free below the frame limit. */
const FRAME_OVERHEAD_BYTES = 64;

/** The limits in the page-config JSON (`{"limits": {"max_input_chars", "max_payload_bytes"}}`); unknown where absent or malformed. */
export function parseLimits(json: string | null): PageLimits {
  let limits: Record<string, unknown> = {};
  try {
    const config = JSON.parse(json ?? '{}') as { limits?: unknown };
    if (typeof config.limits === 'object' && config.limits !== null) limits = config.limits as Record<string, unknown>;
  } catch {
    // unknown limits: the gateway still checks, the page only cannot say so first
  }
  const positive = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null);
  return { maxInputChars: positive(limits['max_input_chars']), maxPayloadBytes: positive(limits['max_payload_bytes']) };
}

/** Characters as the gateway counts them: code points. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Why `text` cannot be sent as a user_message under `limits`, or null when it can. */
export function messageRefusal(text: string, limits: PageLimits): string | null {
  const chars = characterCount(text);
  if (limits.maxInputChars !== null && chars > limits.maxInputChars) {
    return `The message is ${chars.toLocaleString('en')} characters long; the gateway takes at most ${limits.maxInputChars.toLocaleString('en')}. Shorten it to send it: the text stays in the box.`;
  }
  if (limits.maxPayloadBytes !== null) {
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'user_message', text })).length + FRAME_OVERHEAD_BYTES;
    if (bytes > limits.maxPayloadBytes) {
      return `The message takes ${bytes.toLocaleString('en')} bytes to send; the gateway takes frames of at most ${limits.maxPayloadBytes.toLocaleString('en')}. Shorten it to send it: the text stays in the box.`;
    }
  }
  return null;
}
