import express from 'express';
import { createAgentwireServer } from '../server';
import { type Mount, describeServerContract, listening } from './server-contract.test-helpers';

/** Express 5: a middleware hands the server its routes (next() for the rest); the server takes the upgrades of app.listen's server. */
const mountInExpress: Mount = async (options) => {
  const server = createAgentwireServer(options);
  const app = express();
  app.use((request, response, next) => {
    if (!server.handleRequest(request, response)) next();
  });
  app.get(['/app', '/api/app'], (_request, response) => {
    response.send('app');
  });
  await server.start();
  const http = app.listen(0, '127.0.0.1');
  server.attach(http);
  return listening(server, http);
};

describeServerContract('Express', mountInExpress);
