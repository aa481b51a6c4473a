/**
 * The part of a WebSocket the client uses: what a browser's WebSocket, Node 22's global one and
 * the `ws` package's all have. Handler parameters are `never` so each implementation's own event
 * types fit; the client reads only the fields in the *Like shapes below.
 */
export interface WebSocketLike {
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** `new WebSocket(url, protocols)`: the global one, or `ws`'s default export in Node 20. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/** What the client reads of a message event: text frames arrive as strings. */
export interface MessageEventLike {
  readonly data: unknown;
}

/** What the client reads of a close event. */
export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

/** The WebSocket constructor to use: the injected one, else the platform's, else an error that says what to pass. */
export function resolveWebSocket(injected: WebSocketConstructor | undefined): WebSocketConstructor {
  if (injected !== undefined) return injected;
  const platform = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (platform === undefined) {
    throw new TypeError("this platform has no global WebSocket: pass one, e.g. createClient({ WebSocket: (await import('ws')).default, … })");
  }
  return platform;
}
