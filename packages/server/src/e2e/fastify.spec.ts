import Fastify from 'fastify';
import { createAgentwireServer } from '../server';
import { type Mount, describeServerContract } from './server-contract.test-helpers';

/**
 * Fastify 5: an onRequest hook hands the server its routes (the reply hijacked when the server
 * answered), the server takes the upgrades of fastify.server (Fastify itself has no WebSocket
 * route here; with @fastify/websocket, call server.handleUpgrade from your own upgrade path).
 */
const mountInFastify: Mount = async (options) => {
  const server = createAgentwireServer(options);
  const app = Fastify();
  app.addHook('onRequest', (request, reply, done) => {
    if (server.handleRequest(request.raw, reply.raw)) {
      reply.hijack();
      return;
    }
    done();
  });
  app.get('/app', async () => 'app');
  app.get('/api/app', async () => 'app');
  await server.start();
  await app.listen({ port: 0, host: '127.0.0.1' });
  server.attach(app.server);
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fastify is not listening on a port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    server,
    http: app.server,
    async stop() {
      await server.close();
      await app.close();
    },
  };
};

describeServerContract('Fastify', mountInFastify);
