import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { jwtVerify } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';

/** The subprotocol the clients offer and the server answers (the token rides in a second one, bearer.<jwt>). */
export const BENCH_PROTOCOL = 'agentwire.v1';
/** Also answered (token-stream clients ask for it, as they do of the gateway); the baseline's envelopes are the same either way. */
export const BENCH_PROTOCOL_V2 = 'agentwire.v2';

/** The subprotocol a baseline answers of those offered: v2 when offered, else v1, else none. */
function chosenProtocol(offered: Iterable<string>): string | null {
  const names = new Set(offered);
  if (names.has(BENCH_PROTOCOL_V2)) return BENCH_PROTOCOL_V2;
  return names.has(BENCH_PROTOCOL) ? BENCH_PROTOCOL : null;
}

/** Verifies HS256 access tokens as the gateway does (sub and exp required, 30 s of skew). */
export class TokenVerifier {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  /** The token's user id; rejects when the token does not verify. */
  async userOf(token: string): Promise<string> {
    const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], clockTolerance: 30 });
    return payload.sub as string;
  }

  /** The token of an upgrade request: the subprotocol pair `agentwire.v1` (or `agentwire.v2`), `bearer.<jwt>`. */
  static presented(request: IncomingMessage): string | null {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((entry) => entry.trim());
    const bearer = offered.find((entry) => entry.startsWith('bearer.'));
    return chosenProtocol(offered) !== null && bearer !== undefined ? bearer.slice('bearer.'.length) : null;
  }
}

/** An HTTP server whose upgrades are authenticated before the socket opens, like the gateway's /ws. */
export interface WsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

function refuse(socket: Duplex): void {
  socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/** Listens on host (port 0) and hands every authenticated socket to onSocket. */
export async function openWsEndpoint(options: { host: string; secret: string; onSocket(socket: WebSocket, userId: string): void }): Promise<WsEndpoint> {
  const verifier = new TokenVerifier(options.secret);
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 65_536,
    handleProtocols: (protocols) => chosenProtocol(protocols) ?? false,
  });
  server.on('upgrade', (request, socket, head) => {
    const token = TokenVerifier.presented(request);
    if (token === null) return refuse(socket);
    verifier.userOf(token).then(
      (userId) => wss.handleUpgrade(request, socket, head, (ws) => options.onSocket(ws, userId)),
      () => refuse(socket),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
