import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a gateway, which a test can cut: every connection through
 * it is destroyed at once (both sides, no closing handshake), as a dropped network does. It keeps
 * listening, so the client's reconnect goes through it again.
 */
export class TcpProxy {
  /** Connections made through the proxy so far. */
  connections = 0;
  private readonly open = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => {
      proxy.connections += 1;
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        proxy.open.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          proxy.open.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Destroys every connection through the proxy; returns how many sockets it cut. */
  cut(): number {
    const sockets = [...this.open];
    for (const socket of sockets) socket.destroy();
    return sockets.length;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
