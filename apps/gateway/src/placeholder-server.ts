import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '@agentwire/config';

export interface RunningServer {
  /** Where the server listens, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>agentwire gateway (placeholder)</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>agentwire</h1>
<p>This is the placeholder gateway of the workspace foundation: it reads the configuration and
answers <code>/health</code>. The real gateway (sign in, start agent runs, watch them stream live)
replaces it; see the README.</p>
</body>`;

/**
 * Starts an HTTP server that stands in for the gateway until the gateway issue lands:
 * GET / explains that, GET /health reports status and uptime.
 */
export async function startPlaceholderServer(config: AppConfig): Promise<RunningServer> {
  const startedAt = Date.now();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok', placeholder: true, connections: 0, uptime: (Date.now() - startedAt) / 1000 }));
      return;
    }
    if (request.method === 'GET' && path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(PAGE);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'not_found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
