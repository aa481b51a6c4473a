import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '@agentwirejs/protocols';
import { generateRequestId } from '@agentwirejs/types';
import { ApiKeys, type ConstantTimeEqual, bearerKey } from './api-keys';
import { ApiError, parseWith, readJsonBody, sendJson } from './http-io';
import { KeyRateLimit, type KeyRateLimitOptions } from './key-rate-limit';
import { answerPeers } from './cluster';
import { buildOpenApiDocument } from './openapi';
import { type ApiRoute, SERVER_API_ROUTES, type ServerApiDeps } from './routes';

/** The server API's paths; anything else (an app's own /api/… included) is left to the app. */
export const API_PREFIX = '/api/v1/';
export const OPENAPI_PATH = '/api/v1/openapi.json';
const API_VERSION = '1.0.0';

export interface ServerApiConfig {
  /** AGENTWIRE_API_KEYS; none = the API is off (its paths are left to the app, which answers them as any unknown path). */
  readonly apiKeys: readonly string[];
  /** AGENTWIRE_MAX_PAYLOAD_BYTES: the largest request body. */
  readonly maxBodyBytes: number;
  readonly rateLimit: KeyRateLimitOptions;
  /** Monotonic clock of the rate limit (default performance.now). */
  readonly now?: () => number;
  /** The key comparison (default crypto.timingSafeEqual); tests inject a recorder. */
  readonly constantTimeEqual?: ConstantTimeEqual;
}

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(route: ApiRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, (char) => (char === '{' || char === '}' ? char : `\\${char}`)).replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** The route and its path parameters for a method and path; `pathKnown` tells a wrong method from an unknown path. */
function resolve(routes: readonly CompiledRoute[], method: string, path: string): { route: ApiRoute; params: Record<string, string> } | { route: null; pathKnown: boolean } {
  let pathKnown = false;
  for (const { route, pattern, names } of routes) {
    const match = pattern.exec(path);
    if (match === null) continue;
    pathKnown = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    let decoded = true;
    names.forEach((name, index) => {
      try {
        params[name] = decodeURIComponent(match[index + 1] ?? '');
      } catch {
        decoded = false;
      }
    });
    if (!decoded) throw new ApiError(ErrorCode.InvalidMessage, 'the path holds a malformed percent-encoding');
    return { route, params };
  }
  return { route: null, pathKnown };
}

/**
 * The server API under /api/v1/: answers a request whose path starts with /api/ (true), or
 * leaves it to the other routes (false). Order of checks: API off (404), the OpenAPI document
 * (no key needed), the key (401), the key's rate limit (429), the route (404), the body (413,
 * 400 invalid_json), the schemas (400 invalid_message), then the route's own answer.
 */
export function createServerApi(config: ServerApiConfig, deps: ServerApiDeps): (request: IncomingMessage, response: ServerResponse) => boolean {
  const keys = new ApiKeys(config.apiKeys, config.constantTimeEqual);
  // Other gateway processes ask this one for its part of a call (with Redis); answered even with the API off here.
  answerPeers(deps);
  const rateLimit = new KeyRateLimit(config.rateLimit, config.now);
  const routes = SERVER_API_ROUTES.map(compile);
  const document = JSON.stringify(buildOpenApiDocument(SERVER_API_ROUTES, API_VERSION));

  const serve = async (request: IncomingMessage, response: ServerResponse, path: string, search: URLSearchParams): Promise<void> => {
    const method = request.method ?? 'GET';
    if (method === 'GET' && path === OPENAPI_PATH) {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      response.end(document);
      return;
    }
    const presented = bearerKey(request.headers);
    const key = presented === null ? null : keys.match(presented);
    if (key === null) {
      throw new ApiError(ErrorCode.Unauthorized, presented === null ? 'send an API key as Authorization: Bearer <key>' : 'the API key is not valid');
    }
    const waitMs = rateLimit.take(key);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new ApiError(ErrorCode.RateLimited, `rate limit exceeded: at most ${config.rateLimit.perSecond} calls a second per key (burst ${config.rateLimit.burst}); retry in ${seconds} s`, seconds);
    }
    const found = resolve(routes, method, path);
    if (found.route === null) throw new ApiError(ErrorCode.NotFound, found.pathKnown ? `${method} is not a method of ${path}` : `${method} ${path} is not a route of the server API`);
    const { route, params } = found;
    const located = {
      params: route.params === undefined ? undefined : parseWith(route.params, params, 'path'),
      query: route.query === undefined ? undefined : parseWith(route.query, Object.fromEntries(search), 'query'),
    };
    if (route.eventStream !== undefined && /^text\/event-stream\b/i.test(request.headers['content-type'] ?? '')) {
      sendJson(response, route.status, await route.eventStream.handle(located, request, deps));
      return;
    }
    const body = route.body === undefined ? undefined : parseWith(route.body, await readJsonBody(request, config.maxBodyBytes), 'body');
    sendJson(response, route.status, await route.handle({ ...located, body }, deps));
  };

  return (request, response) => {
    if (!keys.enabled || !(request.url ?? '/').startsWith(API_PREFIX)) return false;
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://gateway.invalid');
    } catch {
      sendJson(response, 400, { error: { code: ErrorCode.InvalidMessage, message: 'the request target is not a valid URL path' } });
      return true;
    }
    serve(request, response, url.pathname, url.searchParams).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof ApiError) {
        // A body refused unread: close the connection rather than read what the client still sends.
        const headers: Record<string, string> = error.code === ErrorCode.PayloadTooLarge ? { connection: 'close' } : {};
        if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
        sendJson(response, error.status, { error: { code: error.code, message: error.message } }, headers);
        return;
      }
      const ref = generateRequestId();
      deps.logger.error({ err: error, ref, event: 'api_call_failed', method: request.method, path: url.pathname }, 'a server API call failed');
      sendJson(response, 500, { error: { code: ErrorCode.InternalError, message: `internal error (ref ${ref})`, ref } });
    });
    return true;
  };
}
