import { randomBytes } from 'node:crypto';
import { type Socket, connect as connectTcp } from 'node:net';
import { EventType, MAX_MESSAGE_DEPTH, type StreamListener, type Unsubscribe, WireProtocol, checkRunEventOrder } from '@agentwirejs/protocols';
import { InMemoryBackplane } from '@agentwirejs/manager';
import type { UserId } from '@agentwirejs/types';
import WebSocket from 'ws';
import { ABUSE_COOLDOWN_MS } from '@agentwirejs/server';
import type { TokenService } from '@agentwirejs/server';
import { eventually } from '@agentwirejs/protocols/testing';
import type { Gateway } from '../gateway';
import { CLOSE_HANDSHAKE_TIMEOUT_MS } from '@agentwirejs/server';
import { type LogLine, TestClient, capturingLogger, isRunFinished, reasoningOf, startTestGateway, tickerAgent, wsUrl } from './harness.test-helpers';

/**
 * Hostile clients, each bounded in time and volume: a socket that floods and never answers the
 * close frame, ten that reconnect right after 1008, resume amplification, a 5,000-level input,
 * an oversized frame, and a connection whose setup fails. None may take the gateway down, keep
 * costing it after it gave up on them, or disturb another user.
 */

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function counterValue(counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  return values.filter((entry) => Object.entries(labels).every(([name, value]) => entry.labels[name] === value)).reduce((sum, entry) => sum + entry.value, 0);
}

/** One masked client text frame carrying `text` (mask key 0, so the payload goes as is). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/**
 * A WebSocket client on a raw TCP socket that floods `{"type":"ping"}` and never answers (or
 * even notices) a close frame: it keeps writing until the server destroys the TCP connection
 * or the bound (`maxFrames`, `maxMs`) is reached. It records the close frame the server sent.
 */
class RawFlooder {
  closeFrameCode: number | null = null;
  closeFrameAt: number | null = null;
  tcpClosedAt: number | null = null;
  framesWritten = 0;
  private handshakeDone = false;
  private received = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => (this.tcpClosedAt = Date.now()));
    socket.on('error', () => undefined);
  }

  /** Opens the upgrade by hand; resolves once the server answered 101. */
  static async open(gateway: Gateway, token: string): Promise<RawFlooder> {
    const socket = connectTcp(gateway.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const flooder = new RawFlooder(socket);
    socket.write(
      [
        'GET /ws HTTP/1.1',
        `Host: 127.0.0.1:${gateway.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Protocol: ${WireProtocol.V2}`,
        `Authorization: Bearer ${token}`,
        '',
        '',
      ].join('\r\n'),
    );
    await eventually(() => (flooder.handshakeDone ? true : undefined), 'the 101 answer');
    return flooder;
  }

  /** Writes pings as fast as the socket takes them (ignoring any close frame) until the TCP connection is gone or a bound is hit. */
  async flood(maxFrames: number, maxMs: number): Promise<void> {
    const batch = Buffer.concat(Array.from({ length: 500 }, () => clientFrame('{"type":"ping"}')));
    const deadline = Date.now() + maxMs;
    while (this.tcpClosedAt === null && this.framesWritten < maxFrames && Date.now() < deadline) {
      if (this.socket.writableLength < 256 * 1024) {
        this.socket.write(batch);
        this.framesWritten += 500;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    if (!this.handshakeDone) {
      const end = this.received.indexOf('\r\n\r\n');
      if (end === -1) return;
      if (!this.received.subarray(0, end).toString().startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${this.received.toString()}`);
      this.handshakeDone = true;
      this.received = this.received.subarray(end + 4);
    }
    // Server frames are unmasked; only the close frame matters here.
    for (;;) {
      if (this.received.length < 2) return;
      const opcode = (this.received[0] as number) & 0x0f;
      let length = (this.received[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.received.length < 4) return;
        length = this.received.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.received.length < 10) return;
        length = Number(this.received.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.received.length < offset + length) return;
      if (opcode === 0x8 && this.closeFrameCode === null) {
        this.closeFrameCode = length >= 2 ? this.received.readUInt16BE(offset) : 1005;
        this.closeFrameAt = Date.now();
      }
      this.received = this.received.subarray(offset + length);
    }
  }
}

/** An upgrade attempt's HTTP answer: the status and its Retry-After header, if any. */
function upgradeAnswer(gateway: Gateway, token: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`]);
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      socket.terminate();
    });
    socket.once('open', () => {
      resolve({ status: 101, retryAfter: undefined });
      socket.close();
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

/** Sends `count` pings one after the other and resolves with how many pongs came back. */
async function pingRoundTrips(client: TestClient, count: number, gapMs: number): Promise<number> {
  let pongs = 0;
  for (let i = 0; i < count; i += 1) {
    const from = client.messages.length;
    client.send({ type: 'ping' });
    await client.waitFor((m) => m.type === 'pong', 10_000, from);
    pongs += 1;
    await pause(gapMs);
  }
  return pongs;
}

describe('a flood that ignores the close frame', () => {
  const closeAfter = 50;
  let gateway: Gateway;
  let tokens: TokenService;
  const flooders: RawFlooder[] = [];
  const clients: TestClient[] = [];

  beforeEach(async () => {
    ({ gateway, tokens } = await startTestGateway({
      AGENTWIRE_RATE_LIMIT_PER_SECOND: '5',
      AGENTWIRE_RATE_LIMIT_BURST: '20',
      AGENTWIRE_RATE_LIMIT_CLOSE_AFTER: String(closeAfter),
    }));
  });
  afterEach(async () => {
    for (const flooder of flooders.splice(0)) flooder.destroy();
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await gateway.stop();
  });

  async function flooder(user: string): Promise<RawFlooder> {
    const { token } = await tokens.issue(user as UserId, 600);
    const opened = await RawFlooder.open(gateway, token);
    flooders.push(opened);
    return opened;
  }

  it('is cut off: 1008, its frames no longer routed, its TCP connection destroyed within the close bound; another user is answered throughout', async () => {
    const victim = await TestClient.connect(gateway, tokens, 'victim');
    clients.push(victim);
    const abuser = await flooder('abuser');
    const flooding = abuser.flood(400_000, 8000);
    const victimPongs = pingRoundTrips(victim, 15, 50);

    await eventually(() => abuser.closeFrameAt ?? undefined, 'the close frame');
    expect(abuser.closeFrameCode).toBe(1008);
    const hitsAtClose = await counterValue(gateway.metrics.rateLimitHits);
    // Destroyed by the server, not by the flooder's own bound.
    await eventually(() => abuser.tcpClosedAt ?? undefined, 'the server to destroy the TCP connection', CLOSE_HANDSHAKE_TIMEOUT_MS + 3000);
    await flooding;
    expect(abuser.framesWritten).toBeLessThan(400_000);
    await pause(200);

    // Nothing it sent after the limiter gave up was routed: the rate-limit count stopped at the close.
    expect(await counterValue(gateway.metrics.rateLimitHits)).toBe(hitsAtClose);
    expect(hitsAtClose).toBeGreaterThanOrEqual(closeAfter);
    expect(hitsAtClose).toBeLessThan(2 * closeAfter);
    expect(await victimPongs).toBe(15);
    expect(victim.closeCode).toBeNull();
  });

  it(`refuses the cut-off user's reconnects at the upgrade with 429 and Retry-After for ${ABUSE_COOLDOWN_MS} ms; ten flooding sockets of one user are all cut off`, async () => {
    const victim = await TestClient.connect(gateway, tokens, 'victim');
    clients.push(victim);
    const abusers = await Promise.all(Array.from({ length: 10 }, () => flooder('swarm')));
    const floods = abusers.map((abuser) => abuser.flood(40_000, 8000));
    const victimPongs = pingRoundTrips(victim, 15, 50);

    await eventually(() => (abusers.every((abuser) => abuser.tcpClosedAt !== null) ? true : undefined), 'every flooder to be destroyed', CLOSE_HANDSHAKE_TIMEOUT_MS + 5000);
    await Promise.all(floods);
    expect(abusers.map((abuser) => abuser.closeFrameCode)).toEqual(Array.from({ length: 10 }, () => 1008));

    const { token } = await tokens.issue('swarm' as UserId, 600);
    const reconnects = await Promise.all(Array.from({ length: 10 }, () => upgradeAnswer(gateway, token)));
    for (const answer of reconnects) {
      expect(answer.status).toBe(429);
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(answer.retryAfter)).toBeLessThanOrEqual(Math.ceil(ABUSE_COOLDOWN_MS / 1000));
    }
    expect(await counterValue(gateway.metrics.connectionsRefused, { reason: 'abuse_cooldown' })).toBe(10);
    // Only that user: everyone else connects.
    const { token: otherToken } = await tokens.issue('bystander' as UserId, 600);
    expect((await upgradeAnswer(gateway, otherToken)).status).toBe(101);
    expect(await victimPongs).toBe(15);
  });
});

describe('a flood while the connection is still registering', () => {
  /** The in-memory backplane, except that subscribing user `eager` takes 300 ms (a slow backplane). */
  class SlowForOneUser extends InMemoryBackplane {
    override async subscribeUser(userId: UserId, listener: StreamListener): Promise<Unsubscribe> {
      if (userId === 'eager') await pause(300);
      return super.subscribeUser(userId, listener);
    }
  }

  it('is cut off with 1008 once it has sent more frames than a registering connection may hold, whatever the rate limit allows', async () => {
    const backplane = new SlowForOneUser();
    const { gateway, tokens } = await startTestGateway({ AGENTWIRE_RATE_LIMIT_PER_SECOND: '1000', AGENTWIRE_RATE_LIMIT_BURST: '1000', AGENTWIRE_RATE_LIMIT_CLOSE_AFTER: '1000' }, { backplane });
    try {
      const { token } = await tokens.issue('eager' as UserId, 600);
      const socket = new WebSocket(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`]);
      const received: string[] = [];
      socket.on('message', (data: Buffer) => received.push(data.toString()));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('open', () => resolve()));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      for (let i = 0; i < 300; i += 1) socket.send('{"type":"ping"}');
      expect(await closed).toBe(1008);
      expect(received.filter((message) => message.includes('"type":"pong"'))).toEqual([]);
      expect((await upgradeAnswer(gateway, token)).status).toBe(429);
    } finally {
      await gateway.stop();
    }
  });
});

describe('resume amplification', () => {
  let gateway: Gateway;
  let tokens: TokenService;
  const clients: TestClient[] = [];
  const EVENTS = 200;

  beforeAll(async () => {
    ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_REPLAY_MAX_EVENTS: String(EVENTS), AGENTWIRE_RATE_LIMIT_PER_SECOND: '20', AGENTWIRE_RATE_LIMIT_BURST: '40' }));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => gateway.stop());

  /** Counts the bytes of stream frames (seq not null) a client receives from now on. */
  function streamBytes(client: TestClient): { total: number } {
    const counter = { total: 0 };
    client.socket.on('message', (data: Buffer) => {
      if (!data.toString('utf8').includes('"seq":null')) counter.total += data.length;
    });
    return counter;
  }

  it('bounds what resumes send a connection (burst + rate × time + one replay), refusing the rest with rate_limited; a reconnect and a later retry still get everything', async () => {
    // The documented defaults of the manager: 1 MiB at once, then 256 KiB a second per connection.
    const burstBytes = 1024 * 1024;
    const bytesPerSecond = 256 * 1024;
    const owner = await TestClient.connect(gateway, tokens, 'hoarder');
    clients.push(owner);
    owner.send({ type: 'start_agent', agent: 'burst', input: { events: EVENTS - 2, payload_bytes: 4000 } });
    await owner.waitFor(isRunFinished('success'), 20_000);
    // RUN_STARTED, EVENTS - 2 reasoning chunks, RUN_FINISHED: the replay buffer holds all of them
    const lastSeq = owner.stream.length;
    expect(lastSeq).toBe(EVENTS);
    const ringBytes = owner.stream.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)), 0);
    expect(ringBytes).toBeGreaterThan(700_000);

    const tabs = await Promise.all(Array.from({ length: 3 }, () => TestClient.connect(gateway, tokens, 'hoarder')));
    clients.push(...tabs);
    const received = tabs.map(streamBytes);
    const started = Date.now();
    // 15 resumes a second per tab for 2 s: within the message rate limit.
    for (let round = 0; round < 30; round += 1) {
      for (const tab of tabs) tab.send({ type: 'resume', after_seq: 0 });
      await pause(66);
    }
    await pause(500);
    const seconds = (Date.now() - started) / 1000;
    for (const [index, tab] of tabs.entries()) {
      expect(tab.closeCode).toBeNull();
      expect(received[index]?.total).toBeLessThanOrEqual(burstBytes + bytesPerSecond * seconds + ringBytes);
      const refusals = tab.ofType('error');
      expect(refusals.length).toBeGreaterThan(15);
      expect(refusals.every((m) => m.payload['code'] === 'rate_limited')).toBe(true);
      expect(String(refusals[refusals.length - 1]?.payload['message'])).toMatch(/replay|in progress/);
      expect(tab.wireProblems()).toEqual([]);
    }

    // A normal reconnect with after_seq gets everything, in order.
    const reconnect = await TestClient.connect(gateway, tokens, 'hoarder', { query: '?after_seq=0' });
    clients.push(reconnect);
    const replayed = await reconnect.waitForCount((m) => m.seq !== null, lastSeq);
    expect(replayed.map((m) => m.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(reconnect.wireProblems()).toEqual([]);

    // A refused connection gets everything by trying again when told to.
    const [first] = tabs as [TestClient];
    const budgetRefusal = [...first.ofType('error')].reverse().find((m) => /resume again in \d+ s/.test(String(m.payload['message'])));
    const waitSeconds = Number(/resume again in (\d+) s/.exec(String(budgetRefusal?.payload['message']))?.[1] ?? 0);
    expect(waitSeconds).toBeLessThanOrEqual(10);
    await pause(waitSeconds * 1000);
    const from = first.messages.length;
    first.send({ type: 'resume', after_seq: 0 });
    const again = await first.waitForCount((m) => m.seq !== null && first.messages.indexOf(m) >= from, lastSeq);
    expect(again.filter((m) => first.messages.indexOf(m) >= from).map((m) => m.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
  }, 30_000);

  it('bounds what reconnecting with ?after_seq=0 in a loop takes (the user\'s budget spans connections), answering 429 with Retry-After, and a reconnect after it gets everything', async () => {
    // The documented defaults of the manager: 8 MiB at once, then 1 MiB a second per user.
    const userBurstBytes = 8 * 1024 * 1024;
    const userBytesPerSecond = 1024 * 1024;
    const { gateway: big, tokens: bigTokens } = await startTestGateway({ AGENTWIRE_REPLAY_MAX_EVENTS: '1000', AGENTWIRE_RATE_LIMIT_PER_SECOND: '20' });
    try {
      const owner = await TestClient.connect(big, bigTokens, 'reloader');
      owner.send({ type: 'start_agent', agent: 'burst', input: { events: 998, payload_bytes: 4000 } });
      await owner.waitFor(isRunFinished('success'), 20_000);
      const lastSeq = owner.stream.length;
      expect(lastSeq).toBe(1000);
      const ringBytes = owner.stream.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)), 0);
      expect(ringBytes).toBeGreaterThan(3_900_000);
      await owner.close();

      const { token } = await bigTokens.issue('reloader' as UserId, 600);
      let received = 0;
      let replays = 0;
      const refusals: string[] = [];
      const started = Date.now();
      // Bounded: at most 40 attempts within 3 s, one after another.
      for (let attempt = 0; attempt < 40 && Date.now() - started < 3000; attempt += 1) {
        const outcome = await new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
          const socket = new WebSocket(wsUrl(big, '?after_seq=0'), [WireProtocol.V2, `bearer.${token}`]);
          socket.on('message', (data: Buffer, isBinary) => {
            if (isBinary) return;
            const text = data.toString('utf8');
            if (text.includes('"seq":null')) return;
            received += data.length;
            if (text.includes(`"seq":${lastSeq},`)) {
              socket.terminate();
              resolve({ status: 101 });
            }
          });
          socket.once('unexpected-response', (_request, response) => {
            resolve({ status: response.statusCode ?? 0, ...(response.headers['retry-after'] === undefined ? {} : { retryAfter: String(response.headers['retry-after']) }) });
            socket.terminate();
          });
          socket.once('error', (error) => {
            if (!/Unexpected server response|closed before/.test(error.message)) reject(error);
          });
        });
        if (outcome.status === 101) replays += 1;
        else {
          expect(outcome.status).toBe(429);
          refusals.push(outcome.retryAfter ?? '');
          await pause(50);
        }
      }
      const seconds = (Date.now() - started) / 1000;
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.every((retryAfter) => /^\d+$/.test(retryAfter) && Number(retryAfter) >= 1)).toBe(true);
      expect(received).toBeLessThanOrEqual(userBurstBytes + userBytesPerSecond * seconds + ringBytes);
      expect(replays).toBeLessThan(40);
      const refusedByBudget = await counterValue(big.metrics.connectionsRefused, { reason: 'replay_budget' });
      expect(refusedByBudget).toBe(refusals.length);

      // A connection without after_seq is not refused: only replays wait.
      const live = await TestClient.connect(big, bigTokens, 'reloader');
      await live.close();
      // After Retry-After, a reconnect with after_seq gets everything, in order.
      await pause(Number(refusals.at(-1)) * 1000);
      const back = await TestClient.connect(big, bigTokens, 'reloader', { query: '?after_seq=0' });
      const replayed = await back.waitForCount((m) => m.seq !== null, lastSeq);
      expect(replayed.map((m) => m.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      await back.close();
    } finally {
      await big.stop();
    }
  }, 40_000);
});

describe('hostile frames', () => {
  let gateway: Gateway;
  let tokens: TokenService;
  let lines: LogLine[];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    const capture = capturingLogger();
    lines = capture.lines;
    ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_MAX_PAYLOAD_BYTES: '65536' }, { logger: capture.logger }));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => gateway.stop());

  it(`answers a 5,000-level input with invalid_message (the limit is ${MAX_MESSAGE_DEPTH} levels), logs no error, and keeps the connection`, async () => {
    const client = await TestClient.connect(gateway, tokens, 'nester');
    clients.push(client);
    const errorsBefore = lines.filter((line) => line.level >= 50).length;
    client.send(`{"type":"start_agent","agent":"demo","input":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`);
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.payload).toEqual({ code: 'invalid_message', message: `the message is nested deeper than ${MAX_MESSAGE_DEPTH} levels of objects and arrays` });
    client.send({ type: 'ping' });
    await client.waitFor((m) => m.type === 'pong');
    expect(lines.filter((line) => line.level >= 50).length).toBe(errorsBefore);
  });

  it('logs a connection closed for a frame over the limit with the 1009 the client got', async () => {
    const client = await TestClient.connect(gateway, tokens, 'oversize');
    const connectionId = String(client.messages[0]?.payload['connection_id']);
    client.send({ type: 'user_message', text: 'x'.repeat(70_000) });
    expect(await client.waitForClose()).toBe(1009);
    const closed = await eventually(() => lines.find((line) => line.event === 'connection_closed' && line.connectionId === connectionId), 'the connection_closed log line');
    expect(closed).toMatchObject({ closeCode: 1009 });
  });
});

describe('a failure inside one connection', () => {
  /** The in-memory backplane, except that subscribing user `doomed` fails (a broken dependency of session setup). */
  class FailingForOneUser extends InMemoryBackplane {
    override subscribeUser(userId: UserId, listener: StreamListener): Promise<Unsubscribe> {
      if (userId === 'doomed') return Promise.reject(new Error('injected: the backplane failed for this user'));
      return super.subscribeUser(userId, listener);
    }
  }

  it('closes that connection with 1011 and a logged ref; the process goes on, another user\'s run streams on in order, new connections are accepted', async () => {
    const capture = capturingLogger();
    const backplane = new FailingForOneUser();
    const { gateway, tokens } = await startTestGateway({}, { logger: capture.logger, backplane, agents: [tickerAgent] });
    const clients: TestClient[] = [];
    try {
      const bystander = await TestClient.connect(gateway, tokens, 'bystander');
      clients.push(bystander);
      bystander.send({ type: 'start_agent', agent: 'ticker', input: { ticks: 40, interval_ms: 10 } });
      await bystander.waitFor((m) => m.type === EventType.REASONING_MESSAGE_CHUNK);

      const { token } = await tokens.issue('doomed' as UserId, 600);
      const doomed = new WebSocket(wsUrl(gateway), [WireProtocol.V2, `bearer.${token}`]);
      doomed.on('error', () => undefined);
      const [code, reason] = await new Promise<[number, string]>((resolve) => doomed.once('close', (c, r) => resolve([c, r.toString()])));
      expect(code).toBe(1011);
      const ref = /internal error \(ref (\S+)\)/.exec(reason)?.[1];
      expect(ref).toBeDefined();
      const logged = capture.lines.find((line) => line.ref === ref);
      expect(logged).toMatchObject({ level: 50, event: 'connection_failed', userId: 'doomed' });
      expect(JSON.stringify(logged?.['err'])).toContain('injected: the backplane failed for this user');

      await bystander.waitFor(isRunFinished('success'), 10_000);
      expect(checkRunEventOrder(bystander.stream)).toEqual({ ok: true, problems: [] });
      expect(bystander.wireProblems()).toEqual([]);
      expect(bystander.stream.map((m) => m.seq)).toEqual(Array.from({ length: bystander.stream.length }, (_, i) => i + 1));
      expect(bystander.stream.filter((m) => m.type === EventType.REASONING_MESSAGE_CHUNK).map(reasoningOf)).toEqual(Array.from({ length: 40 }, (_, i) => `tick ${i + 1}`));

      const newcomer = await TestClient.connect(gateway, tokens, 'newcomer');
      clients.push(newcomer);
      newcomer.send({ type: 'ping' });
      await newcomer.waitFor((m) => m.type === 'pong');
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await gateway.stop();
    }
  });
});
