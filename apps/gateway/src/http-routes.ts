import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type UserId, UserIdSchema } from '@agentwire/types';
import type { TokenService } from './auth';
import type { GatewayMetrics } from './metrics';

/** What the HTTP side needs to know about the rest of the gateway. */
export interface HttpRouteDeps {
  readonly metrics: GatewayMetrics;
  readonly tokens: TokenService;
  /** Null when the development token endpoint is off (test and production modes). */
  readonly devTokenTtlSeconds: number | null;
  readonly startedAt: number;
  connections(): number;
  /** Why the gateway is not ready, or null when it is. */
  notReadyReason(): string | null;
  backplaneStatus(): string;
  /** The server API (api/server-api.ts): answers every /api/ path (true) and leaves the rest (false). */
  readonly serverApi?: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** What the gateway accepts from a client, written into the demo page so it can say so before sending. */
  readonly pageLimits: { readonly maxInputChars: number; readonly maxPayloadBytes: number };
}

const PAGE_PATH = join(__dirname, '..', 'public', 'index.html');
/** The demo page's script: page/main.ts on @agentwire/client, bundled by page/bundle.mjs in the build (dist/page, from src/ and dist/ alike). */
const PAGE_SCRIPT_PATH = join(__dirname, '..', 'dist', 'page', 'page.js');
const PAGE_CONFIG_BLOCK = '<script type="application/json" id="page-config">{}</script>';
/** The demo page's own script and style, calls to this origin (its socket included), no framing. */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The operator page: it calls the server API with an API key the operator enters, so it holds no secret itself. */
const ADMIN_PAGE_PATH = join(__dirname, '..', 'public', 'admin.html');
const MAX_BODY_BYTES = 4096;

function json(response: ServerResponse, status: number, body: unknown): void {
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

/** A file the build makes, or null when it has not run (the gateway still serves the rest). */
function readBuilt(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** index.html with the gateway's limits in its page-config block (JSON, `<` escaped so no text can close the script element). */
function demoPage(limits: HttpRouteDeps['pageLimits']): Buffer {
  const html = readFileSync(PAGE_PATH, 'utf8');
  if (!html.includes(PAGE_CONFIG_BLOCK)) throw new Error(`${PAGE_PATH} has no page-config block to fill`);
  const config = JSON.stringify({ limits: { max_input_chars: limits.maxInputChars, max_payload_bytes: limits.maxPayloadBytes } }).replace(/</g, '\\u003c');
  return Buffer.from(html.replace(PAGE_CONFIG_BLOCK, PAGE_CONFIG_BLOCK.replace('{}', config)));
}

/**
 * GET /health, /ready, /metrics, / (the browser demo) and /page.js (its script) and /admin (the operator page, on the server API); POST /dev/token in development only;
 * the server API under /api/v1/.
 */
export function createHttpHandler(deps: HttpRouteDeps): (request: IncomingMessage, response: ServerResponse) => void {
  const page = demoPage(deps.pageLimits);
  const pageScript = readBuilt(PAGE_SCRIPT_PATH);
  const pageScriptMap = readBuilt(`${PAGE_SCRIPT_PATH}.map`);
  const adminPage = readFileSync(ADMIN_PAGE_PATH);
  return (request, response) => {
    if (deps.serverApi?.(request, response) === true) return;
    const path = (request.url ?? '/').split('?')[0];
    const method = request.method ?? 'GET';
    const handle = async (): Promise<void> => {
      if (method === 'GET' && path === '/health') {
        json(response, 200, { status: 'ok', connections: deps.connections(), uptime: Math.round((Date.now() - deps.startedAt) / 100) / 10 });
      } else if (method === 'GET' && path === '/ready') {
        const reason = deps.notReadyReason();
        json(response, reason === null ? 200 : 503, { ready: reason === null, reason, backplane: deps.backplaneStatus() });
      } else if (method === 'GET' && path === '/metrics') {
        const { contentType, body } = await deps.metrics.render();
        response.writeHead(200, { 'content-type': contentType });
        response.end(body);
      } else if (method === 'GET' && (path === '/' || path === '/index.html')) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache', 'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY' });
        response.end(page);
      } else if (method === 'GET' && (path === '/page.js' || path === '/page.js.map')) {
        const body = path === '/page.js' ? pageScript : pageScriptMap;
        if (body === null) return json(response, 404, { error: 'not_built', message: `${path} is made by the build: npx nx run gateway:build` });
        response.writeHead(200, { 'content-type': path === '/page.js' ? 'text/javascript; charset=utf-8' : 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
        response.end(body);
      } else if (method === 'GET' && (path === '/admin' || path === '/admin.html')) {
        response.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
          // the page's own inline script and style, its API calls to this origin, and no framing (it has buttons worth clickjacking)
          'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        });
        response.end(adminPage);
      } else if (path === '/dev/token' && deps.devTokenTtlSeconds !== null) {
        if (method !== 'POST') return json(response, 405, { error: 'method_not_allowed', message: 'POST {"user": "<name>"}' });
        let body: unknown;
        try {
          body = await readJsonBody(request);
        } catch {
          return json(response, 400, { error: 'invalid_request', message: 'send a JSON body {"user": "<name>"} of at most 4 KB' });
        }
        const checked = checkUserName((body as { user?: unknown } | null)?.user);
        if (!checked.ok) return json(response, 400, { error: 'invalid_user', message: checked.message });
        const { token, expiresAt } = await deps.tokens.issue(checked.userId, deps.devTokenTtlSeconds);
        json(response, 200, { token, user_id: checked.userId, expires_at: new Date(expiresAt).toISOString() });
      } else {
        json(response, 404, { error: 'not_found', message: `${method} ${path} is not served here` });
      }
    };
    handle().catch(() => {
      if (!response.headersSent) json(response, 500, { error: 'internal_error', message: 'the request failed' });
      else response.destroy();
    });
  };
}
