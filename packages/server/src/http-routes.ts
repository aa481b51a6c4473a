import type { IncomingMessage, ServerResponse } from 'node:http';
import { type UserId, UserIdSchema } from '@agentwirejs/types';
import type { TokenService } from './auth';
import type { GatewayMetrics } from './metrics';

/** What the server's HTTP routes need to know about the rest of the server. */
export interface HttpRouteDeps {
  readonly metrics: GatewayMetrics;
  /** The development token endpoint's issuer and token lifetime; null when it is off (not development, or not JWT authentication). */
  readonly devTokens: { readonly tokens: TokenService; readonly ttlSeconds: number } | null;
  readonly startedAt: number;
  connections(): number;
  /** Why the server is not ready, or null when it is. */
  notReadyReason(): string | null;
  backplaneStatus(): string;
  /** The server API (api/server-api.ts): answers every /api/ path (true) and leaves the rest (false). */
  readonly serverApi: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** Answers a request it serves and returns true; returns false (and leaves the response alone) for any other. */
export type ServerHttpHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

const MAX_BODY_BYTES = 4096;

export function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  response.end(text);
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

/** Checks a user name by the one user-id rule, so the dev page fails early and clearly. */
function checkUserName(name: unknown): { ok: true; userId: UserId } | { ok: false; message: string } {
  const parsed = UserIdSchema.safeParse(name);
  if (parsed.success) return { ok: true, userId: parsed.data };
  return { ok: false, message: `Invalid user name: ${parsed.error.issues[0]?.message ?? 'not a user id'}` };
}

/**
 * The server's HTTP routes: GET /health, /ready, /metrics; POST /dev/token in development with
 * JWT authentication only; the server API under /api/v1/. Any other request is left to the app
 * (false).
 */
export function createServerHttpHandler(deps: HttpRouteDeps): ServerHttpHandler {
  const answer = (response: ServerResponse, handle: () => Promise<void>): true => {
    handle().catch(() => {
      if (!response.headersSent) json(response, 500, { error: 'internal_error', message: 'the request failed' });
      else response.destroy();
    });
    return true;
  };
  return (request, response) => {
    if (deps.serverApi(request, response)) return true;
    const path = (request.url ?? '/').split('?')[0];
    const method = request.method ?? 'GET';
    if (method === 'GET' && path === '/health') {
      json(response, 200, { status: 'ok', connections: deps.connections(), uptime: Math.round((Date.now() - deps.startedAt) / 100) / 10 });
      return true;
    }
    if (method === 'GET' && path === '/ready') {
      const reason = deps.notReadyReason();
      json(response, reason === null ? 200 : 503, { ready: reason === null, reason, backplane: deps.backplaneStatus() });
      return true;
    }
    if (method === 'GET' && path === '/metrics') {
      return answer(response, async () => {
        const { contentType, body } = await deps.metrics.render();
        response.writeHead(200, { 'content-type': contentType });
        response.end(body);
      });
    }
    const devTokens = deps.devTokens;
    if (path === '/dev/token' && devTokens !== null) {
      return answer(response, async () => {
        if (method !== 'POST') return json(response, 405, { error: 'method_not_allowed', message: 'POST {"user": "<name>"}' });
        let body: unknown;
        try {
          body = await readJsonBody(request);
        } catch {
          return json(response, 400, { error: 'invalid_request', message: 'send a JSON body {"user": "<name>"} of at most 4 KB' });
        }
        const checked = checkUserName((body as { user?: unknown } | null)?.user);
        if (!checked.ok) return json(response, 400, { error: 'invalid_user', message: checked.message });
        const { token, expiresAt } = await devTokens.tokens.issue(checked.userId, devTokens.ttlSeconds);
        json(response, 200, { token, user_id: checked.userId, expires_at: new Date(expiresAt).toISOString() });
      });
    }
    return false;
  };
}
