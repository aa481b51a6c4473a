import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, MAX_MESSAGE_DEPTH } from '@agentwirejs/protocols';
import type { z } from 'zod';

/** The HTTP status each wire error code is answered with. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidJson]: 400,
  [ErrorCode.InvalidMessage]: 400,
  [ErrorCode.UnknownMessageType]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.IsolationViolation]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.LimitExceeded]: 429,
  [ErrorCode.RunEnded]: 409,
  [ErrorCode.InternalError]: 500,
  [ErrorCode.Unavailable]: 503,
};

/** A refused API call: answered with HTTP_STATUS_OF[code] and `{error: {code, message}}`. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Sent as Retry-After (seconds) with a 429. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return HTTP_STATUS_OF[this.code];
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(text);
}

/** True when the JSON text nests objects and arrays deeper than `limit` (scanned, not walked: a deep value never reaches a recursive walk). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
  return false;
}

/**
 * Reads a request's JSON body of at most `maxBytes` (payload_too_large beyond, told by
 * Content-Length before anything is read); an empty body is `{}`. Throws ApiError.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  const tooLarge = () => new ApiError(ErrorCode.PayloadTooLarge, `the body is larger than ${maxBytes} bytes (AGENTWIRE_MAX_PAYLOAD_BYTES)`);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  if (nestsDeeperThan(text, MAX_MESSAGE_DEPTH)) {
    throw new ApiError(ErrorCode.InvalidMessage, `the body is nested deeper than ${MAX_MESSAGE_DEPTH} levels of objects and arrays`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(ErrorCode.InvalidJson, 'the body is not valid JSON');
  }
}

type Issue = z.core.$ZodIssue;

/** The issue that best says what is wrong: inside a union, the branch that got furthest (longest path). */
function deepestIssue(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string } | null {
  let best: { path: PropertyKey[]; message: string } | null = null;
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const candidate =
      issue.code === 'invalid_union' && issue.errors.length > 0
        ? issue.errors
            .map((branch) => deepestIssue(branch, path))
            .reduce<{ path: PropertyKey[]; message: string } | null>((a, b) => (b !== null && (a === null || b.path.length > a.path.length) ? b : a), null)
        : { path, message: issue.message };
    if (candidate !== null && (best === null || candidate.path.length > best.path.length)) best = candidate;
  }
  return best;
}

/** Parses `value` with `schema` or throws invalid_message naming the field at fault (`where` says which part of the request). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = deepestIssue(parsed.error.issues);
  const field = issue === null || issue.path.length === 0 ? where : `${where}.${issue.path.map(String).join('.')}`;
  throw new ApiError(ErrorCode.InvalidMessage, `${field}: ${issue?.message ?? 'invalid'}`);
}
