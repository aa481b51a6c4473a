import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/** What the demo page is told about the server's limits, so it can say so before sending. */
export interface PageLimits {
  readonly maxInputChars: number;
  readonly maxPayloadBytes: number;
}

const PAGE_PATH = join(__dirname, '..', 'public', 'index.html');
/** The demo page's script: page/main.ts on @agentwirejs/client, bundled by page/bundle.mjs in the build (dist/page, from src/ and dist/ alike). */
const PAGE_SCRIPT_PATH = join(__dirname, '..', 'dist', 'page', 'page.js');
/** The operator page: it calls the server API with an API key the operator enters, so it holds no secret itself. */
const ADMIN_PAGE_PATH = join(__dirname, '..', 'public', 'admin.html');
const PAGE_CONFIG_BLOCK = '<script type="application/json" id="page-config">{}</script>';
/** The demo page's own script and style, calls to this origin (its socket included), no framing. */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The operator page's own inline script and style, its API calls to this origin, and no framing (it has buttons worth clickjacking). */
const ADMIN_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A file the build makes, or null when it has not run (the gateway still serves the rest). */
function readBuilt(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** index.html with the server's limits in its page-config block (JSON, `<` escaped so no text can close the script element). */
function demoPage(limits: PageLimits): Buffer {
  const html = readFileSync(PAGE_PATH, 'utf8');
  if (!html.includes(PAGE_CONFIG_BLOCK)) throw new Error(`${PAGE_PATH} has no page-config block to fill`);
  const config = JSON.stringify({ limits: { max_input_chars: limits.maxInputChars, max_payload_bytes: limits.maxPayloadBytes } }).replace(/</g, '\\u003c');
  return Buffer.from(html.replace(PAGE_CONFIG_BLOCK, PAGE_CONFIG_BLOCK.replace('{}', config)));
}

function send(response: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: Buffer | string): true {
  response.writeHead(status, { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache', ...headers });
  response.end(body);
  return true;
}

/**
 * The gateway's pages: GET / (the browser demo, on @agentwirejs/client), /page.js (its script) and
 * /admin (the operator page, on the server API). Returns false for any other request.
 */
export function createPageHandler(limits: PageLimits): (request: IncomingMessage, response: ServerResponse) => boolean {
  const page = demoPage(limits);
  const pageScript = readBuilt(PAGE_SCRIPT_PATH);
  const pageScriptMap = readBuilt(`${PAGE_SCRIPT_PATH}.map`);
  const adminPage = readFileSync(ADMIN_PAGE_PATH);
  return (request, response) => {
    if ((request.method ?? 'GET') !== 'GET') return false;
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      return send(response, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY' }, page);
    }
    if (path === '/page.js' || path === '/page.js.map') {
      const body = path === '/page.js' ? pageScript : pageScriptMap;
      if (body === null) {
        return send(response, 404, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ error: 'not_built', message: `${path} is made by the build: npx nx run gateway:build` }));
      }
      return send(response, 200, { 'content-type': path === '/page.js' ? 'text/javascript; charset=utf-8' : 'application/json; charset=utf-8' }, body);
    }
    if (path === '/admin' || path === '/admin.html') {
      return send(response, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': ADMIN_CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' }, adminPage);
    }
    return false;
  };
}
