import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgentwireServer } from '../server';
import { type Mount, describeServerContract } from './server-contract.test-helpers';

/** Plain node:http: the server attached to the app's http.Server, its routes tried before the app's own. */
const mountInNodeHttp: Mount = async (options) => {
  const server = createAgentwireServer(options);
  const http = createServer((request, response) => {
    if (server.handleRequest(request, response)) return;
    if (request.url === '/app' || request.url === '/api/app') return void response.end('app');
    response.writeHead(404).end();
  });
  server.attach(http);
  await server.start();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    server,
    async stop() {
      await server.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
};

describeServerContract('node:http', mountInNodeHttp);
