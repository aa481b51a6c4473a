import { WebSocketManagerFactory } from '@agentwirejs/manager';
import { eventually } from '@agentwirejs/protocols/testing';
import type { Gateway } from '../gateway';
import type { TokenService } from '@agentwirejs/server';
import { CLOSE_HANDSHAKE_TIMEOUT_MS } from '@agentwirejs/server';
import { type LogLine, TestClient, capturingLogger, startTestGateway } from './harness.test-helpers';

/**
 * Connections the manager closes itself (1013 slow consumer, 1001 shutdown) to a peer that never
 * reads: the socket is gone within a few seconds, not ws's 30 s close timeout, and the
 * connection_closed log names the code the gateway sent, not the 1006 of a peer that never echoed it.
 */

/** Stops reading from the client's TCP socket: the server's frames, its close frame included, stay unread. */
function stopReading(client: TestClient): void {
  (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
}

describe('a connection the manager closes, to a client that never reads', () => {
  let gateway: Gateway;
  let tokens: TokenService;
  let lines: LogLine[];
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await gateway.stop();
  });

  const managerStats = () => gateway.server.container.resolve(WebSocketManagerFactory).getUnifiedManager().getStats();
  const closedLine = (connectionId: string) => lines.find((line) => line.event === 'connection_closed' && line.connectionId === connectionId);

  it('is closed as a slow consumer with 1013, logged as 1013, and its socket is gone within the close bound', async () => {
    const capture = capturingLogger();
    lines = capture.lines;
    ({ gateway, tokens } = await startTestGateway(
      { AGENTWIRE_SEND_HIGH_WATER_BYTES: '1024', AGENTWIRE_SEND_QUEUE_MAX: '5', AGENTWIRE_BURST_MAX_PAYLOAD_BYTES: '65536' },
      { logger: capture.logger },
    ));
    const victim = await TestClient.connect(gateway, tokens, 'bystander');
    const slow = await TestClient.connect(gateway, tokens, 'stalled');
    clients.push(victim, slow);
    const connectionId = String(slow.messages[0]?.payload['connection_id']);
    stopReading(slow);
    // Reasoning fills the socket, then the queue: no frame of the stream is dropped, so the queue overflows.
    slow.send({ type: 'start_agent', agent: 'burst', input: { events: 400, payload_bytes: 65_536 } });
    for (let i = 0; i < 20; i += 1) slow.send({ type: 'ping' });
    await eventually(() => (managerStats().slowConsumerCloses > 0 ? true : undefined), 'the 1013 close', 10_000);

    // connection_closed is logged when the server socket has closed: within the bound, not after 30 s.
    const closed = await eventually(() => closedLine(connectionId), 'the connection_closed log line', CLOSE_HANDSHAKE_TIMEOUT_MS + 3000);
    expect(closed).toMatchObject({ closeCode: 1013, reason: 'slow consumer' });
    victim.send({ type: 'ping' });
    await victim.waitFor((m) => m.type === 'pong', 5000);
    expect(victim.closeCode).toBeNull();
  }, 30_000);

  it('is closed at shutdown with 1001, logged as 1001 though it never answered, and the drain does not wait for it', async () => {
    const capture = capturingLogger();
    lines = capture.lines;
    ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_SHUTDOWN_GRACE_MS: '0' }, { logger: capture.logger }));
    const stuck = await TestClient.connect(gateway, tokens, 'stuck');
    clients.push(stuck);
    const connectionId = String(stuck.messages[0]?.payload['connection_id']);
    stopReading(stuck);
    const started = Date.now();
    await gateway.stop();
    expect(Date.now() - started).toBeLessThan(CLOSE_HANDSHAKE_TIMEOUT_MS + 3000);
    expect(closedLine(connectionId)).toMatchObject({ closeCode: 1001, reason: 'shutdown' });
  }, 20_000);
});
