import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { UserId } from '@agentwirejs/types';
import { build } from 'esbuild';
import type { TokenService } from '@agentwirejs/server';

const WORKSPACE_ROOT = join(__dirname, '..', '..', '..', '..');
const REACT_PAGE_ENTRY = join(__dirname, 'fixtures', 'react-page', 'main.tsx');

/**
 * Bundles the fixture React app (fixtures/react-page/main.tsx) for a browser from the sources:
 * @agentwirejs/react and @agentwirejs/client through tsconfig.base.json's paths, React's
 * development build (StrictMode's double effects, and its warnings on the console).
 */
export async function bundleReactPage(): Promise<string> {
  const result = await build({
    absWorkingDir: WORKSPACE_ROOT,
    entryPoints: [REACT_PAGE_ENTRY],
    tsconfig: join(WORKSPACE_ROOT, 'tsconfig.base.json'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild wrote no bundle');
  return output.text;
}

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>agentwire React fixture</title><link rel="icon" href="data:,"></head>
<body><div id="root"></div><script type="module" src="/app.js"></script></body>
</html>`;

/** The fixture page's server on 127.0.0.1: the page, its bundle, and tokens for any user (`/token?user=`). */
export class ReactPageServer {
  private constructor(private readonly server: Server) {}

  static async start(bundle: string, tokens: TokenService): Promise<ReactPageServer> {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
      } else if (url.pathname === '/app.js') {
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
      } else if (url.pathname === '/token' && url.searchParams.get('user')) {
        tokens.issue(url.searchParams.get('user') as UserId, 600).then(
          ({ token }) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })),
          () => response.writeHead(500).end(),
        );
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ReactPageServer(server);
  }

  /** The page's URL with `query` (gateway, user, provider, hold_tokens: see main.tsx). */
  pageUrl(query: Readonly<Record<string, string>>): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/?${new URLSearchParams(query).toString()}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What the fixture page records (window.agentwirePage.probe). */
export interface ReactPageProbe {
  readonly liveListeners: number;
  readonly subscriptions: number;
  readonly states: readonly string[];
  readonly texts: readonly { readonly text: string; readonly subscriptions: number }[];
}
