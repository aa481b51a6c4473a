import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '@agentwirejs/config';
import { type AgentwireServer, type AgentwireServerOptions, createAgentwireServer } from '@agentwirejs/server';
import { builtInAgents } from './agents/built-in';
import { createPageHandler } from './pages';

/** What Gateway.start takes besides the settings: the server's options (agents default to the built-in demo agents). */
export type GatewayOptions = Omit<AgentwireServerOptions, 'config'>;

/**
 * The gateway a person runs: an HTTP server on config.host:config.port carrying the agentwire
 * server (/ws, health, readiness, metrics, the server API, dev tokens), the demo page and the
 * operator page, with the built-in demo agents. Everything else is @agentwirejs/server's.
 */
export class Gateway {
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly server: AgentwireServer,
    private readonly http: Server,
  ) {}

  /** Creates the server, starts it, listens on config.host:config.port and resolves once ready. */
  static async start(config: AppConfig, options: GatewayOptions = {}): Promise<Gateway> {
    const server = createAgentwireServer({
      ...options,
      config,
      // the demo page signs in through it (development mode only: the server checks config.devTokenEndpoint too)
      devTokenEndpoint: options.devTokenEndpoint ?? true,
      agents: options.agents ?? builtInAgents({ ...config.burst, demoTokensPerSecond: config.stream.demoTokensPerSecond }),
    });
    const pages = createPageHandler({ maxInputChars: config.limits.maxInputChars, maxPayloadBytes: config.maxPayloadBytes });
    const http = createServer((request, response) => {
      if (pages(request, response) || server.handleRequest(request, response)) return;
      response.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      response.end(JSON.stringify({ error: 'not_found', message: `${request.method ?? 'GET'} ${(request.url ?? '/').split('?')[0]} is not served here` }));
    });
    server.attach(http);
    const gateway = new Gateway(server, http);
    await server.start();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    server.logger.info(
      { event: 'gateway_started', url: gateway.url, env: config.env, backplane: server.processId === null ? 'memory' : 'redis', processId: server.processId ?? undefined },
      `agentwire gateway listening; open ${gateway.url}`,
    );
    return gateway;
  }

  get config(): AppConfig {
    return this.server.config;
  }

  get logger(): AgentwireServer['logger'] {
    return this.server.logger;
  }

  get metrics(): AgentwireServer['metrics'] {
    return this.server.metrics;
  }

  /** Where the gateway listens, e.g. http://127.0.0.1:8080/ */
  get url(): string {
    const { address, port } = this.http.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** Why /ready answers 503, or null when ready. */
  notReadyReason(): string | null {
    return this.server.notReadyReason();
  }

  /**
   * Drains the server (runs finish within the grace period, sockets close with 1001, the
   * backplane closes) while still answering HTTP (/ready says 503), then closes the HTTP server.
   * Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    this.logger.info({ event: 'gateway_draining', graceMs: this.config.shutdownGraceMs }, 'draining');
    await this.server.close();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
    this.logger.info({ event: 'gateway_stopped' }, 'stopped');
  }
}
