import { CLIENT_MESSAGE_SCHEMAS, ErrorCode, JsonCharCode, MAX_MESSAGE_DEPTH } from '@agentwirejs/protocols';
import type { ProtocolExtensions } from '@agentwirejs/protocols';
import type { RouteRejection } from './errors';

/** A frame that is a JSON object with a client message type the router knows, not yet validated. */
export interface DecodedFrame {
  readonly type: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * Why a frame was refused. A class, so that a result is told from a refusal by instanceof: every
 * frame routed made a wrapper object ({ ok, frame }, { ok, message }) before.
 */
export class Refusal implements RouteRejection {
  constructor(
    readonly code: RouteRejection['code'],
    readonly message: string,
  ) {}
}

/** What checks one message type: a zod schema (of the wire contract, or of the app). */
interface MessageParser {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/**
 * The client message types one router understands: the wire contract's, plus the app's own
 * (defineProtocolExtensions), each with its schema. Built once per router.
 */
export class MessageTypes {
  private readonly schemas: ReadonlyMap<string, MessageParser>;
  /** For error messages: the types a client may send. */
  readonly list: string;

  constructor(extensions?: ProtocolExtensions) {
    this.schemas = new Map<string, MessageParser>([...Object.entries(CLIENT_MESSAGE_SCHEMAS), ...Object.entries(extensions?.clientMessages ?? {})]);
    this.list = [...this.schemas.keys()].join(', ');
  }

  has(type: string): boolean {
    return this.schemas.has(type);
  }

  schemaOf(type: string): MessageParser | undefined {
    return this.schemas.get(type);
  }
}

/**
 * Reads a frame up to its message type: a string of JSON text holding an object whose `type`
 * is one of `types`. Anything that is not a string (a binary frame, a Buffer, an ArrayBuffer) is
 * refused with invalid_message: the protocol is JSON text frames only. The depth and prototype-key
 * checks come before the type, so they hold for the app's types as for the built-in ones.
 */
export function decodeFrame(frame: unknown, types: MessageTypes): DecodedFrame | Refusal {
  if (typeof frame !== 'string') {
    return refuse(ErrorCode.InvalidMessage, 'binary frames are not accepted: send each message as one JSON text frame');
  }
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    // Also a RangeError for absurd nesting: either way the text is not JSON we can read.
    return refuse(ErrorCode.InvalidJson, 'the frame is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return refuse(ErrorCode.InvalidMessage, 'a message must be a JSON object');
  }
  // Before anything walks the value: schema checks, input length, logging and serializing recurse.
  if (nestsDeeperThan(frame, MAX_MESSAGE_DEPTH)) {
    return refuse(ErrorCode.InvalidMessage, `the message is nested deeper than ${MAX_MESSAGE_DEPTH} levels of objects and arrays`);
  }
  const forbidden = mayHoldPrototypeKeys(frame) ? findPrototypeKey(value) : null;
  if (forbidden !== null) {
    return refuse(ErrorCode.InvalidMessage, `the key ${forbidden.key} is not allowed (at ${clip(forbidden.path)})`);
  }
  const body = value as Record<string, unknown>;
  const type = Object.hasOwn(body, 'type') ? body['type'] : undefined;
  if (type === undefined) {
    return refuse(ErrorCode.UnknownMessageType, `a message needs a "type", one of ${types.list}`);
  }
  if (typeof type !== 'string') {
    return refuse(ErrorCode.UnknownMessageType, `"type" must be a string, one of ${types.list}`);
  }
  if (!types.has(type)) {
    return refuse(ErrorCode.UnknownMessageType, `unknown message type ${clip(type)}; expected one of ${types.list}`);
  }
  return { type, body };
}

/**
 * Validates a decoded frame against the schema of its type. Unknown fields (a `user_id` among
 * them) are stripped by the built-in schemas; the first problem is reported with its path, e.g.
 * `start_agent.agent: …`.
 */
export function validateMessage(frame: DecodedFrame, types: MessageTypes): { readonly type: string } | Refusal {
  const schema = types.schemaOf(frame.type);
  if (schema === undefined) return refuse(ErrorCode.UnknownMessageType, `unknown message type ${clip(frame.type)}; expected one of ${types.list}`);
  const result = schema.safeParse(frame.body);
  if (result.success) return result.data as { readonly type: string };
  const [first, ...rest] = result.error.issues;
  const path = [frame.type, ...(first?.path ?? []).map(String)].join('.');
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
  return refuse(ErrorCode.InvalidMessage, `${path}: ${first?.message ?? 'invalid'}${more}`);
}

function refuse(code: RouteRejection['code'], message: string): Refusal {
  return new Refusal(code, message);
}

const { Quote: QUOTE, Backslash: BACKSLASH, OpenBrace: OPEN_BRACE, CloseBrace: CLOSE_BRACE, OpenBracket: OPEN_BRACKET, CloseBracket: CLOSE_BRACKET } = JsonCharCode;

/**
 * True when the JSON text (already known to parse) nests objects and arrays more than `max`
 * deep. One pass over the text, skipping strings with indexOf, no recursion; a text shorter
 * than 2 × (max + 1) characters cannot nest that deep and is not scanned at all.
 */
function nestsDeeperThan(json: string, max: number): boolean {
  if (json.length < 2 * (max + 1)) return false;
  let depth = 0;
  for (let index = 0; index < json.length; index += 1) {
    const char = json.charCodeAt(index);
    if (char === QUOTE) {
      index = closingQuote(json, index);
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      depth += 1;
      if (depth > max) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/** The index of the quote that ends the string opened at `open` (one preceded by an even run of backslashes). */
function closingQuote(json: string, open: number): number {
  let end = json.indexOf('"', open + 1);
  for (;;) {
    if (end === -1) return json.length;
    let backslashes = 0;
    while (json.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = json.indexOf('"', end + 1);
  }
}

/** Cheap pre-check: a forbidden key spells "proto", or hides behind a \u escape. */
function mayHoldPrototypeKeys(text: string): boolean {
  return text.includes('proto') || text.includes('\\u');
}

/**
 * Finds a key that could reach an object prototype if a handler merged the value somewhere:
 * `__proto__`, or `constructor` holding `prototype` (the same keys secure-json-parse refuses).
 * Iterative, so a deeply nested frame cannot overflow the stack.
 */
function findPrototypeKey(root: object): { key: string; path: string } | null {
  const stack: { value: object; path: string }[] = [{ value: root, path: 'message' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    for (const [key, child] of Object.entries(item.value)) {
      const path = `${item.path}.${key}`;
      if (key === '__proto__') return { key, path };
      if (child === null || typeof child !== 'object') continue;
      if (key === 'constructor' && Object.hasOwn(child, 'prototype')) return { key: 'constructor.prototype', path: `${path}.prototype` };
      stack.push({ value: child, path });
    }
  }
  return null;
}

/** Quotes client-supplied text for an error message, cut to 60 characters so large input is not echoed. */
function clip(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
