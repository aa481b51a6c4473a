import type { AddressInfo } from 'node:net';
import { waitForCount } from '@agentwirejs/protocols/testing';
import WebSocket, { WebSocketServer } from 'ws';
import { SharedTextFrame, writeSharedFrame } from './shared-frame';

/** What a real `ws` client received: each message's text and whether it came as binary. */
interface Received {
  readonly text: string;
  readonly binary: boolean;
}

/** A ws server on 127.0.0.1 and `count` real clients connected to it, with their server sides. */
async function connectPairs(count: number, serverOptions: { perMessageDeflate: boolean }) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...serverOptions });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  const pairs: { server: WebSocket; client: WebSocket; received: Received[] }[] = [];
  for (let i = 0; i < count; i += 1) {
    const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: true });
    const received: Received[] = [];
    client.on('message', (data: Buffer, isBinary: boolean) => received.push({ text: data.toString('utf8'), binary: isBinary }));
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
    pairs.push({ server: await accepted, client, received });
  }
  return {
    pairs,
    async close(): Promise<void> {
      for (const { client } of pairs) client.terminate();
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const texts = (received: readonly Received[]): string[] => received.map((message) => message.text);

type Pair = Awaited<ReturnType<typeof connectPairs>>['pairs'][number];

/** Runs `body` with `count` connected pairs, then closes them and the server whatever it did. */
async function withPairs(count: number, serverOptions: { perMessageDeflate: boolean }, body: (pairs: readonly Pair[]) => Promise<void>): Promise<void> {
  const rig = await connectPairs(count, serverOptions);
  try {
    await body(rig.pairs);
  } finally {
    await rig.close();
  }
}

/** Runs `body` with one connected pair (see withPairs). */
function withOnePair(serverOptions: { perMessageDeflate: boolean }, body: (pair: Pair) => Promise<void>): Promise<void> {
  return withPairs(1, serverOptions, async ([pair]) => {
    if (pair === undefined) throw new Error('no connection');
    await body(pair);
  });
}

describe('SharedTextFrame and writeSharedFrame', () => {
  it('make one text frame that every client reads as the message, at each length form of the header (7-bit, 16-bit, 64-bit) and with multi-byte characters', async () => {
    await withPairs(3, { perMessageDeflate: false }, async (pairs) => {
      // Lengths at each edge of the three header forms, counted in bytes ("é" and "—" are 2 and 3).
      const messages = ['', 'x'.repeat(125), `${'é'.repeat(62)}x`, 'x'.repeat(126), 'x'.repeat(65535), 'x'.repeat(65536), `{"a":"—${'y'.repeat(70000)}"}`];
      for (const [index, text] of messages.entries()) {
        // Half given as the text only, half with its UTF-8 bytes (a stream entry's jsonUtf8).
        const frame = new SharedTextFrame(text, index % 2 === 0 ? null : Buffer.from(text, 'utf8'));
        for (const { server } of pairs) expect(writeSharedFrame(server, frame)).toBe(true);
      }
      for (const { received } of pairs) {
        await waitForCount(() => received, messages.length, 5000, 'messages');
        expect(texts(received)).toEqual(messages);
        expect(received.every((message) => !message.binary)).toBe(true);
      }
    });
  });

  it('builds the frame once: every socket is written the same buffer, and ws.send is not called', async () => {
    await withPairs(3, { perMessageDeflate: false }, async (pairs) => {
      const frame = new SharedTextFrame('{"type":"standup","room_seq":1}', null);
      const built = frame.frame();
      const sends = pairs.map(({ server }) => jest.spyOn(server, 'send'));
      for (const { server } of pairs) expect(writeSharedFrame(server, frame)).toBe(true);
      expect(frame.frame()).toBe(built);
      for (const send of sends) expect(send).not.toHaveBeenCalled();
      for (const { received } of pairs) expect(texts(await waitForCount(() => received, 1, 5000, 'messages'))).toEqual(['{"type":"standup","room_seq":1}']);
    });
  });

  it('writes nothing where permessage-deflate was negotiated (ws may compress the message), so the caller sends it', async () => {
    await withOnePair({ perMessageDeflate: true }, async (pair) => {
      expect(pair.server.extensions).toContain('permessage-deflate');
      expect(writeSharedFrame(pair.server, new SharedTextFrame('{"compressed":true}', null))).toBe(false);
      pair.server.send('{"sent":"by ws"}');
      expect(texts(await waitForCount(() => pair.received, 1, 5000, 'messages'))).toEqual(['{"sent":"by ws"}']);
    });
  });

  it("writes nothing while ws's sender holds a message (a Blob being read), so nothing overtakes it", async () => {
    await withOnePair({ perMessageDeflate: false }, async (pair) => {
      pair.server.send(new Blob(['first']));
      expect(writeSharedFrame(pair.server, new SharedTextFrame('second', null))).toBe(false);
      pair.server.send('second');
      const received = await waitForCount(() => pair.received, 2, 5000, 'messages');
      expect(received).toEqual([
        { text: 'first', binary: true },
        { text: 'second', binary: false },
      ]);
      // Once the sender is idle again, the frame is written.
      expect(writeSharedFrame(pair.server, new SharedTextFrame('third', null))).toBe(true);
      expect(texts(await waitForCount(() => pair.received, 3, 5000, 'messages'))).toEqual(['first', 'second', 'third']);
    });
  });

  it('writes nothing to a ws without the internals it reads (another version), so only the shortcut is lost', () => {
    const stranger = Object.create(WebSocket.prototype) as WebSocket;
    expect(writeSharedFrame(stranger, new SharedTextFrame('x', null))).toBe(false);
  });
});
