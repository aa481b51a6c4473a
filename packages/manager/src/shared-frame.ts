import type { WebSocket } from 'ws';

/** First byte of an unfragmented text frame: FIN and opcode 1, no RSV bit (no extension transformed it). */
const FIN_TEXT = 0x81;

/**
 * One text message for many sockets, as the whole WebSocket frame (header and payload), made
 * once when first written. A server's frames are not masked (RFC 6455 §5.1), so a frame is the
 * same bytes for every connection it goes to: a room entry's frame is built once and the same
 * buffer is written to each member's socket, where `ws` would make a header per member and
 * write two chunks. Worth it only for a message that goes to several sockets: for one it is a
 * copy of the payload more than `ws.send`.
 */
export class SharedTextFrame {
  private bytes: Buffer | null = null;

  /**
   * @param text the message
   * @param utf8 `text` as UTF-8 when the caller has it (StreamEntry.jsonUtf8): copied, not encoded again
   */
  constructor(
    private readonly text: string,
    private readonly utf8: Uint8Array | null,
  ) {}

  /** The frame: header then payload. */
  frame(): Buffer {
    if (this.bytes !== null) return this.bytes;
    const payloadLength = this.utf8 === null ? Buffer.byteLength(this.text) : this.utf8.length;
    const headerLength = payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
    const bytes = Buffer.allocUnsafe(headerLength + payloadLength);
    bytes[0] = FIN_TEXT;
    if (headerLength === 2) bytes[1] = payloadLength;
    else if (headerLength === 4) {
      bytes[1] = 126;
      bytes.writeUInt16BE(payloadLength, 2);
    } else {
      bytes[1] = 127;
      bytes.writeBigUInt64BE(BigInt(payloadLength), 2);
    }
    if (this.utf8 === null) bytes.write(this.text, headerLength, 'utf8');
    else bytes.set(this.utf8, headerLength);
    this.bytes = bytes;
    return bytes;
  }
}

/** What writeSharedFrame reads of a `ws` WebSocket beside its public API. */
interface WebSocketInternals {
  readonly _socket?: unknown;
  readonly _extensions?: unknown;
  readonly _sender?: { readonly _state?: unknown; readonly _queue?: unknown; readonly _firstFragment?: unknown } | null;
}

/** `ws`'s Sender state in which it writes a frame at once (nothing being compressed or read from a Blob). */
const SENDER_IDLE = 0;

function hasNoKeys(value: object): boolean {
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return false;
  return true;
}

/**
 * Writes `frame` to `transport`'s socket as it is, or returns false and writes nothing, so that
 * the caller sends the message with `ws.send`. It writes only where that is exactly what
 * `ws.send(text)` would put on the wire, in the same order:
 * - no extension was negotiated (with permessage-deflate `ws` may compress the message, and
 *   the frame would differ);
 * - `ws`'s sender is idle with nothing queued (a frame written past its queue would overtake
 *   the messages in it) and is not in the middle of a fragmented message.
 * Every fact is read defensively: a `ws` whose internals differ loses only this shortcut.
 * `bufferedAmount` counts what is written here (it reads the socket's buffer), so the
 * slow-consumer policy is unchanged. The caller has checked that the socket is open.
 */
export function writeSharedFrame(transport: WebSocket, frame: SharedTextFrame): boolean {
  const internals = transport as unknown as WebSocketInternals;
  const socket = internals._socket;
  const extensions = internals._extensions;
  const sender = internals._sender;
  if (typeof socket !== 'object' || socket === null || typeof (socket as { write?: unknown }).write !== 'function') return false;
  if (typeof extensions !== 'object' || extensions === null || !hasNoKeys(extensions)) return false;
  if (typeof sender !== 'object' || sender === null || sender._state !== SENDER_IDLE || sender._firstFragment !== true) return false;
  const queue = sender._queue;
  if (!Array.isArray(queue) || queue.length !== 0) return false;
  (socket as { write(chunk: Buffer): boolean }).write(frame.frame());
  return true;
}

