import type { ClientMessage, RoomEnvelope, ServerEnvelope } from '@agentwirejs/protocols';
import { reconnectDelay } from './backoff';
import {
  BEARER_PROTOCOL_PREFIX,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_MAX_RECONNECT_ATTEMPTS,
  DEFAULT_MIN_TOKEN_REFRESH_DELAY_MS,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_TOKEN_REFRESH_RATIO,
  WIRE_PROTOCOL,
} from './defaults';
import { ClientErrorCode, RequestError } from './errors';
import { readTokenExpiry } from './jwt';
import { Listeners, type Unsubscribe } from './listeners';
import { type Acknowledgement, RequestLane } from './request-lane';
import { AgentRun, type RunHandle } from './run';
import { type SeqRange, type StreamPoint, ResumeCursor } from './resume-cursor';
import { WireEventName } from './wire-names';
import { type CloseEventLike, type MessageEventLike, type WebSocketConstructor, type WebSocketLike, resolveWebSocket } from './websocket';

/** `connecting` until the first greeting, `open` while greeted, `reconnecting` between connections, `closed` for good. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why getToken is called: the app may hand out a cached token for `connect`, `reconnect` and `refresh`, never for `rejected`. */
export interface TokenRequest {
  /**
   * connect: the first connection; reconnect: after a connection that had opened dropped;
   * rejected: after an attempt that never opened (in a browser a 401 at the upgrade looks just
   * like that: close 1006) or a close with 1008 (token expired or refused); refresh: to send over
   * the open socket before the current token expires.
   */
  readonly reason: 'connect' | 'reconnect' | 'rejected' | 'refresh';
}

/** An envelope of the user's stream (seq not null), with `first_seq` on a compacted delta. */
export type StreamEnvelope = Omit<ServerEnvelope, 'seq'> & { readonly seq: number; readonly first_seq?: number };

/** A client message: one of the wire contract's, or an app-defined type the gateway registered. */
export type OutgoingMessage = ClientMessage | { readonly type: string; readonly [field: string]: unknown };

/** An `error` the gateway sent that answers none of this client's requests, or a failure of the client's own. */
export interface ClientError {
  readonly code: string;
  readonly message: string;
}

/** What the client tells its listeners (client.on). */
export interface ClientEvents {
  /** The state changed. */
  state: ClientState;
  /**
   * Every envelope of the user's stream, each once, in order: every run (also those started by
   * other tabs or the server API), app-defined messages, replay gaps.
   */
  event: StreamEnvelope;
  /** Positions of the stream that will never arrive (CUSTOM agentwire.replay_gap, or a jump no gap announced). */
  gap: SeqRange;
  /** The stream started over (a new epoch: the gateway restarted or lost it); what follows is the new stream from its start. */
  reset: StreamPoint;
  /** A connection ended; `retryInMs` is null when the client will not reconnect. */
  disconnected: { readonly code: number; readonly reason: string; readonly retryInMs: number | null };
  /** A token was sent over the open socket and accepted. */
  tokenRefreshed: { readonly expiresAt: string | null };
  /** See ClientError. */
  error: ClientError;
  /**
   * A frame of a room's own stream (the server joined this connection to the room with stream
   * 'room'), each once, in room_seq order; the room's `replay_gap` (room_seq null) says which
   * room positions will not come.
   */
  room: RoomEnvelope;
}

export interface ClientOptions {
  /** The gateway's WebSocket endpoint, e.g. `wss://example.com/ws`. */
  readonly url: string;
  /** A token for the user (the gateway's JWT), asked for before every connection attempt and every refresh. */
  readonly getToken: (request: TokenRequest) => string | Promise<string>;
  /** The WebSocket constructor: default the global one (browsers, Node 22); in Node 20 pass `ws`'s. */
  readonly WebSocket?: WebSocketConstructor;
  /** Ceiling of the first reconnect delay (doubling per failed attempt). Default DEFAULT_RECONNECT_BASE_DELAY_MS. */
  readonly reconnectBaseDelayMs?: number;
  /** Ceiling of any reconnect delay. Default DEFAULT_RECONNECT_MAX_DELAY_MS. */
  readonly reconnectMaxDelayMs?: number;
  /** Consecutive failed attempts after which the client closes for good. Default DEFAULT_MAX_RECONNECT_ATTEMPTS (never). */
  readonly maxReconnectAttempts?: number;
  /** Share of the token's remaining lifetime after which a fresh one is sent. Default DEFAULT_TOKEN_REFRESH_RATIO. */
  readonly tokenRefreshRatio?: number;
  /** Shortest wait before a refresh. Default DEFAULT_MIN_TOKEN_REFRESH_DELAY_MS. */
  readonly minTokenRefreshDelayMs?: number;
  /** Silence after which the client pings; 0 turns the heartbeat off. Default DEFAULT_HEARTBEAT_INTERVAL_MS. */
  readonly heartbeatIntervalMs?: number;
  /** Silence after a ping after which the connection is dropped and reconnected. Default DEFAULT_HEARTBEAT_TIMEOUT_MS. */
  readonly heartbeatTimeoutMs?: number;
  /**
   * A position to resume from on the first connection (`{seq: 0, epoch: null}`: everything the
   * gateway still keeps, e.g. to show recent runs after a page reload). Default: none, the
   * stream from the first greeting on.
   */
  readonly resumeFrom?: StreamPoint;
  /** Source of the reconnect jitter, numbers in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

export interface StartRunOptions {
  /** A lower-case agent name the gateway runs (e.g. `demo`). */
  readonly agent: string;
  /** The agent's input: a string or a JSON object. */
  readonly input: string | Readonly<Record<string, unknown>>;
  /** The thread to run in; default a new thread of the run's own. */
  readonly threadId?: string;
}

/** The agentwire client: one connection at a time, resumed across drops; see createClient. */
export interface AgentwireClient {
  readonly state: ClientState;
  /** The current connection's id (from its greeting), or null between connections. */
  readonly connectionId: string | null;
  /** The last position of the user's stream this client holds (save it to resume after a reload: resumeFrom). */
  readonly position: StreamPoint;
  on<K extends keyof ClientEvents>(name: K, listener: (value: ClientEvents[K]) => void): Unsubscribe;
  /**
   * Where this client stands in a room's own stream: the last room_seq it received and the epoch
   * of the room's room_joined (null for a room it has no frame of). Hand it to the server when the
   * connection joins the room again (joinRoom's afterSeq and afterEpoch) to get what it missed.
   */
  roomPosition(room: string): StreamPoint | null;
  /** Starts a run of `agent` (start_agent), sent as soon as the connection is open; see RunHandle. */
  startRun(options: StartRunOptions): RunHandle;
  /**
   * Sends a client message (an app-defined type, or one of the wire contract's) once the
   * connection is open. Resolves once the gateway has taken it; rejects with a RequestError when
   * the gateway refused it (its error code) or the connection dropped first (connection_lost).
   */
  send(message: OutgoingMessage): Promise<void>;
  /** Closes the connection (1000) and stops reconnecting; open runs become `detached`. Resolves when the socket has closed. */
  close(): Promise<void>;
}

/** Creates a client and starts connecting. */
export function createClient(options: ClientOptions): AgentwireClient {
  return new Client(options);
}

/**
 * A start_agent this client sent whose run id is not known yet. The gateway's `ack` names it; the
 * run's first events may come before that ack, so on a thread the client made up for the run any
 * event of the thread is the run's, and on a thread the caller chose the run's events wait
 * (held, bounded) until the ack says which run is this one.
 */
interface PendingStart {
  readonly run: AgentRun;
  /** The client made the thread id up: any event on that thread is this run's. */
  readonly ownThread: boolean;
  /** The connection dropped before the gateway confirmed the start: settled once the next connection's replay is through. */
  unconfirmed: boolean;
}

/** Events held for a start on a caller-chosen thread whose ack has not come yet (more would mean the ack is lost). */
const MAX_HELD_EVENTS = 1000;

const CLIENT_CLOSED = 'the client was closed';

class Client implements AgentwireClient {
  state: ClientState = 'connecting';
  connectionId: string | null = null;
  private readonly options: ClientOptions;
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly listeners = new Listeners<ClientEvents>();
  private readonly stream: ResumeCursor;
  /** Runs by id, until they end. */
  private readonly runs = new Map<string, AgentRun>();
  /** Positions in rooms' own streams, by room. */
  private readonly rooms = new Map<string, StreamPoint>();
  private readonly pendingStarts: PendingStart[] = [];
  /** Events of runs not known yet on the threads of pending starts on caller-chosen threads (see PendingStart). */
  private held: StreamEnvelope[] = [];
  /** Requests, each with a request_id and the gateway's verdict. */
  private readonly lane = new RequestLane((error) => this.listeners.emit('error', error));
  private socket: WebSocketLike | null = null;
  private greeted = false;
  private failedAttempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  /** The expiry (epoch ms, the gateway's clock) of the token the connection holds, or null for an opaque one. */
  private tokenExpiresAt: number | null = null;
  /** The gateway's clock minus ours, from the greeting's `ts`. */
  private serverClockOffsetMs = 0;
  /** The position the current connection's replay reaches (its greeting's last_seq). */
  private catchUpSeq = 0;
  private lastFrameAt = 0;
  private pingSentAt: number | null = null;
  private closed: Promise<void> | null = null;

  constructor(options: ClientOptions) {
    this.options = options;
    this.WebSocketClass = resolveWebSocket(options.WebSocket);
    this.stream = new ResumeCursor(options.resumeFrom);
    void this.connect('connect');
  }

  get position(): StreamPoint {
    return this.stream.point;
  }

  on<K extends keyof ClientEvents>(name: K, listener: (value: ClientEvents[K]) => void): Unsubscribe {
    return this.listeners.on(name, listener);
  }

  roomPosition(room: string): StreamPoint | null {
    return this.rooms.get(room) ?? null;
  }

  startRun(options: StartRunOptions): RunHandle {
    const ownThread = options.threadId === undefined;
    const threadId = options.threadId ?? newThreadId();
    const run = new AgentRun(options.agent, threadId, this);
    if (this.state === 'closed') {
      run.refuse(ClientErrorCode.ClientClosed, CLIENT_CLOSED);
      return run;
    }
    const pending: PendingStart = { run, ownThread, unconfirmed: false };
    this.pendingStarts.push(pending);
    void run.started.then(() => this.forgetStart(pending));
    const message = { type: 'start_agent', agent: options.agent, input: options.input, thread_id: threadId };
    this.request(message, (ack) => {
      if (ack.run_id !== undefined && run.runId === null) this.bindStart(pending, ack.run_id);
    }).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof RequestError && error.code === ClientErrorCode.ConnectionLost) pending.unconfirmed = true;
        else run.refuse(error instanceof RequestError ? error.code : ClientErrorCode.ConnectionLost, String((error as Error).message));
      },
    );
    return run;
  }

  send(message: OutgoingMessage): Promise<void> {
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string' || message.type === '') {
      return Promise.reject(new TypeError('a client message is an object with a non-empty string type'));
    }
    return this.request(message);
  }

  /** Sends `message` when the connection is open and settles with the gateway's verdict (see RequestLane); `onAck` sees the ack first. */
  request(message: OutgoingMessage, onAck?: (ack: Acknowledgement) => void): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new RequestError(ClientErrorCode.ClientClosed, CLIENT_CLOSED));
    return new Promise((resolve, reject) => {
      const settle = (refusal: ClientError | null, lost: boolean, ack: Acknowledgement): void => {
        if (refusal !== null) reject(new RequestError(refusal.code, refusal.message));
        else if (lost) reject(new RequestError(ClientErrorCode.ConnectionLost, `the connection closed before the gateway confirmed the ${message.type}; it may or may not have been handled`));
        else {
          onAck?.(ack);
          resolve();
        }
      };
      this.lane.enqueue({ message, settle });
    });
  }

  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    this.closed = new Promise<void>((resolve) => {
      const socket = this.socket;
      this.shutDown(CLIENT_CLOSED);
      if (socket === null) return resolve();
      socket.onclose = () => resolve();
      // (kept: `ws` throws an 'error' event that has no listener, e.g. for a close before the handshake ended)
      socket.onerror = () => undefined;
      socket.onmessage = null;
      try {
        socket.close(1000, 'client closed');
      } catch {
        resolve();
      }
    });
    return this.closed;
  }

  // ---- connections ----

  private async connect(reason: TokenRequest['reason']): Promise<void> {
    this.reconnectTimer = null;
    let token: string;
    try {
      token = await this.options.getToken({ reason });
      if (typeof token !== 'string' || token === '') throw new TypeError('getToken() must return a non-empty string');
    } catch (error) {
      if (this.state === 'closed') return;
      this.listeners.emit('error', { code: ClientErrorCode.TokenUnavailable, message: `getToken() failed: ${String((error as Error)?.message ?? error)}` });
      this.retry(0, 'no token', reason === 'connect' ? 'rejected' : reason);
      return;
    }
    if (this.state === 'closed') return;
    const url = new URL(this.options.url);
    const resume = this.stream.resumeQuery();
    if (resume !== null) {
      url.searchParams.set('after_seq', String(resume.after_seq));
      if (resume.epoch !== null) url.searchParams.set('epoch', resume.epoch);
      else url.searchParams.delete('epoch');
    }
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketClass(url.toString(), [WIRE_PROTOCOL, `${BEARER_PROTOCOL_PREFIX}${token}`]);
    } catch (error) {
      this.listeners.emit('error', { code: ClientErrorCode.ConnectionLost, message: `could not open a WebSocket: ${String((error as Error)?.message ?? error)}` });
      this.retry(0, 'could not connect', 'rejected');
      return;
    }
    this.socket = socket;
    this.greeted = false;
    this.tokenExpiresAt = readTokenExpiry(token);
    socket.onmessage = (event: MessageEventLike) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event: CloseEventLike) => {
      if (this.socket === socket) this.dropped(event.code, event.reason);
    };
    // A failed connection also fires close, which does the work.
    socket.onerror = () => undefined;
  }

  /** The current connection ended (closed by either side, or abandoned as silent). */
  private dropped(code: number, reason: string): void {
    const wasGreeted = this.greeted;
    this.socket = null;
    this.greeted = false;
    this.connectionId = null;
    this.stopTimers();
    this.lane.detach();
    if (this.state === 'closed') return;
    // Never opened (a refused upgrade looks like this in a browser) or closed for its token: a fresh token first.
    this.retry(code, reason, !wasGreeted || code === 1008 ? 'rejected' : 'reconnect');
  }

  private retry(code: number, reason: string, tokenReason: TokenRequest['reason']): void {
    this.failedAttempts += 1;
    const maxAttempts = this.options.maxReconnectAttempts ?? DEFAULT_MAX_RECONNECT_ATTEMPTS;
    if (this.failedAttempts > maxAttempts) {
      this.listeners.emit('disconnected', { code, reason, retryInMs: null });
      this.shutDown(`gave up after ${maxAttempts} failed attempts to connect`);
      return;
    }
    const delay = reconnectDelay(
      this.failedAttempts,
      { baseDelayMs: this.options.reconnectBaseDelayMs ?? DEFAULT_RECONNECT_BASE_DELAY_MS, maxDelayMs: this.options.reconnectMaxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS },
      this.options.random,
    );
    this.setState(this.state === 'connecting' ? 'connecting' : 'reconnecting');
    this.listeners.emit('disconnected', { code, reason, retryInMs: delay });
    this.reconnectTimer = setTimeout(() => void this.connect(tokenReason), delay);
  }

  /** Closed for good: nothing is sent or retried any more; what waits is told so. */
  private shutDown(message: string): void {
    this.setState('closed');
    this.socket = null;
    this.connectionId = null;
    this.stopTimers();
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.lane.abandon({ code: ClientErrorCode.ClientClosed, message });
    for (const pending of this.pendingStarts.splice(0)) pending.run.detach(message);
    for (const run of this.runs.values()) run.detach(message);
    this.runs.clear();
  }

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.listeners.emit('state', state);
  }

  // ---- frames ----

  private receive(data: unknown): void {
    this.lastFrameAt = Date.now();
    this.pingSentAt = null;
    let envelope: unknown;
    try {
      envelope = typeof data === 'string' ? JSON.parse(data) : undefined;
    } catch {
      envelope = undefined;
    }
    if (typeof envelope !== 'object' || envelope === null || typeof (envelope as { type?: unknown }).type !== 'string') {
      this.listeners.emit('error', { code: ClientErrorCode.InvalidFrame, message: 'the gateway sent a frame that is not a JSON envelope' });
      return;
    }
    const message = envelope as ServerEnvelope & { readonly first_seq?: number };
    if (typeof message.seq === 'number') {
      this.receiveStreamEnvelope(message as StreamEnvelope);
      return;
    }
    if (typeof (message as Partial<RoomEnvelope>).room === 'string') {
      this.receiveRoomFrame(message as unknown as RoomEnvelope);
      return;
    }
    switch (message.type) {
      case 'room_joined': {
        const { room, epoch } = message.payload as { room?: unknown; epoch?: unknown };
        if (typeof room !== 'string' || typeof epoch !== 'string') return;
        // Another epoch: the room's stream started over, and positions of the old one mean nothing.
        const held = this.rooms.get(room);
        if (held === undefined || held.epoch !== epoch) this.rooms.set(room, { seq: 0, epoch });
        return;
      }
      case 'connection_established':
        this.greet(message);
        return;
      case 'pong':
        return; // a heartbeat's: that it came is all (lastFrameAt)
      case 'ack': {
        const { request_id: requestId, run_id: runId, thread_id: threadId } = message.payload as { request_id?: unknown; run_id?: unknown; thread_id?: unknown };
        if (typeof requestId !== 'string') return;
        this.lane.ack(requestId, { ...(typeof runId === 'string' ? { run_id: runId } : {}), ...(typeof threadId === 'string' ? { thread_id: threadId } : {}) });
        return;
      }
      case 'error': {
        const requestId = message.payload['request_id'];
        this.lane.error({ code: String(message.payload['code']), message: String(message.payload['message']) }, typeof requestId === 'string' ? requestId : undefined);
        return;
      }
      case 'token_refreshed':
        this.listeners.emit('tokenRefreshed', { expiresAt: typeof message.payload['expires_at'] === 'string' ? message.payload['expires_at'] : null });
        return;
      case 'CUSTOM':
        // A replay gap of this connection's replay (seq null): those positions will not come.
        if (message.payload['name'] === WireEventName.ReplayGap) this.gap(message.payload['value'] as SeqRange, true);
        return;
    }
  }

  /** A room frame: delivered once per room_seq (a rejoin may replay what a listener already has). */
  private receiveRoomFrame(frame: RoomEnvelope): void {
    const roomSeq: unknown = frame.room_seq;
    if (roomSeq !== null && !(Number.isSafeInteger(roomSeq) && (roomSeq as number) > 0)) {
      this.listeners.emit('error', { code: ClientErrorCode.InvalidFrame, message: `a frame of room ${frame.room} has no valid room_seq` });
      return;
    }
    const held = this.rooms.get(frame.room);
    if (frame.room_seq !== null) {
      if (held !== undefined && frame.room_seq <= held.seq) return;
      this.rooms.set(frame.room, { seq: frame.room_seq, epoch: held?.epoch ?? null });
    }
    this.listeners.emit('room', frame);
  }

  private greet(message: ServerEnvelope): void {
    const payload = message.payload as { connection_id?: unknown; last_seq?: unknown; epoch?: unknown };
    const lastSeq = typeof payload.last_seq === 'number' ? payload.last_seq : 0;
    const epoch = typeof payload.epoch === 'string' ? payload.epoch : '';
    const greeting = this.stream.greet(epoch, lastSeq);
    if (greeting === 'started_over') this.listeners.emit('reset', this.stream.point);
    this.connectionId = typeof payload.connection_id === 'string' ? payload.connection_id : null;
    this.greeted = true;
    this.failedAttempts = 0;
    this.catchUpSeq = lastSeq;
    const serverNow = Date.parse(message.ts);
    this.serverClockOffsetMs = Number.isFinite(serverNow) ? serverNow - Date.now() : 0;
    this.setState('open');
    this.scheduleRefresh();
    this.startHeartbeat();
    if (this.socket !== null) this.lane.attach(this.socket);
    this.settleUnconfirmedStarts();
  }

  private receiveStreamEnvelope(envelope: StreamEnvelope): void {
    const isGap = envelope.type === 'CUSTOM' && envelope.payload['name'] === WireEventName.ReplayGap;
    // The gap's own range is announced before its position is taken, so the jump it explains is not reported twice.
    if (isGap) this.stream.announce(envelope.payload['value'] as SeqRange);
    const verdict = this.stream.accept(envelope.seq, envelope.first_seq);
    if (!verdict.fresh) return;
    if (verdict.missed !== null) {
      this.listeners.emit('error', { code: ClientErrorCode.SeqJump, message: `positions ${verdict.missed.from_seq}–${verdict.missed.to_seq} of the stream never arrived` });
      this.gap(verdict.missed, false);
    }
    if (isGap) this.gap(envelope.payload['value'] as SeqRange, false);
    const runId = envelope.run_id;
    if (runId !== undefined) {
      const run = this.runs.get(runId) ?? this.claim(envelope, runId);
      if (run !== undefined) this.deliver(run, envelope);
      else this.hold(envelope);
    }
    this.listeners.emit('event', envelope);
    if (this.stream.point.seq >= this.catchUpSeq) this.settleUnconfirmedStarts();
  }

  /** The first event of a run this client started on a thread it made up (see PendingStart). */
  private claim(envelope: StreamEnvelope, runId: string): AgentRun | undefined {
    const pending = this.pendingStarts.find((start) => start.ownThread && start.run.threadId === envelope.thread_id);
    if (pending === undefined) return undefined;
    this.bindStart(pending, runId);
    return pending.run;
  }

  /** The run of a pending start is `runId` (its ack or its thread said so): the events held for it go to it. */
  private bindStart(pending: PendingStart, runId: string): void {
    const mine = this.held.filter((envelope) => envelope.run_id === runId);
    this.held = this.held.filter((envelope) => envelope.run_id !== runId);
    this.forgetStart(pending);
    pending.run.bind(runId);
    this.runs.set(runId, pending.run);
    for (const envelope of mine) this.deliver(pending.run, envelope);
  }

  private deliver(run: AgentRun, envelope: StreamEnvelope): void {
    run.receive(envelope as Parameters<AgentRun['receive']>[0]);
    if (run.outcome !== null && run.runId !== null) this.runs.delete(run.runId);
  }

  /** Holds an event of a run not known yet when a start on its (caller-chosen) thread waits for its ack. */
  private hold(envelope: StreamEnvelope): void {
    if (!this.pendingStarts.some((start) => !start.ownThread && start.run.threadId === envelope.thread_id)) return;
    this.held.push(envelope);
    if (this.held.length > MAX_HELD_EVENTS) this.held.shift();
  }

  private forgetStart(pending: PendingStart): void {
    const index = this.pendingStarts.indexOf(pending);
    if (index !== -1) this.pendingStarts.splice(index, 1);
    if (!this.pendingStarts.some((start) => !start.ownThread)) this.held = [];
  }

  /** Starts whose connection dropped unconfirmed and of which nothing came in the next connection's replay never started. */
  private settleUnconfirmedStarts(): void {
    if (!this.greeted || this.stream.point.seq < this.catchUpSeq) return;
    for (const pending of this.pendingStarts.filter((start) => start.unconfirmed)) {
      pending.run.refuse(ClientErrorCode.ConnectionLost, 'the connection closed before the gateway confirmed the start, and no event of the run came after the reconnect');
    }
  }

  private gap(range: SeqRange, announce: boolean): void {
    if (announce) this.stream.announce(range);
    for (const run of this.runs.values()) run.noteGap(range);
    for (const pending of this.pendingStarts) pending.run.noteGap(range);
    this.listeners.emit('gap', range);
  }

  // ---- token refresh and heartbeat ----

  /** Sends a fresh token when `tokenRefreshRatio` of the current one's remaining lifetime has passed (gateway's clock). */
  private scheduleRefresh(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (this.tokenExpiresAt === null || !this.greeted) return;
    const remaining = this.tokenExpiresAt - (Date.now() + this.serverClockOffsetMs);
    const ratio = this.options.tokenRefreshRatio ?? DEFAULT_TOKEN_REFRESH_RATIO;
    const delay = Math.max(this.options.minTokenRefreshDelayMs ?? DEFAULT_MIN_TOKEN_REFRESH_DELAY_MS, remaining * ratio);
    this.refreshTimer = setTimeout(() => void this.refreshToken(), delay);
  }

  private async refreshToken(): Promise<void> {
    this.refreshTimer = null;
    const socket = this.socket;
    let token: string;
    try {
      token = await this.options.getToken({ reason: 'refresh' });
      if (typeof token !== 'string' || token === '') throw new TypeError('getToken() must return a non-empty string');
    } catch (error) {
      if (this.socket !== socket) return;
      this.listeners.emit('error', { code: ClientErrorCode.TokenUnavailable, message: `getToken() failed for a refresh: ${String((error as Error)?.message ?? error)}` });
      // Tried again at the same share of what remains; the expiry's 1008 close then hands over to the reconnect path.
      this.scheduleRefresh();
      return;
    }
    if (this.socket !== socket) return;
    try {
      await this.request({ type: 'refresh_token', token });
    } catch (error) {
      if (this.socket !== socket) return;
      const code = error instanceof RequestError ? error.code : ClientErrorCode.TokenUnavailable;
      this.listeners.emit('error', { code, message: `token refresh refused: ${String((error as Error)?.message ?? error)}` });
      this.scheduleRefresh();
      return;
    }
    if (this.socket !== socket) return;
    const expiresAt = readTokenExpiry(token);
    if (expiresAt !== null && (this.tokenExpiresAt === null || expiresAt > this.tokenExpiresAt)) this.tokenExpiresAt = expiresAt;
    this.scheduleRefresh();
  }

  /** Pings after a silence of heartbeatIntervalMs; a connection silent for heartbeatTimeoutMs after that is dropped. */
  private startHeartbeat(): void {
    const interval = this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (interval <= 0) return;
    const timeout = this.options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.lastFrameAt = Date.now();
    this.pingSentAt = null;
    this.heartbeatTimer = setInterval(
      () => {
        const now = Date.now();
        if (this.pingSentAt !== null) {
          if (now - this.pingSentAt >= timeout) this.abandon('no answer to a heartbeat ping');
        } else if (now - this.lastFrameAt >= interval) {
          this.pingSentAt = now;
          this.lane.heartbeat();
        }
      },
      Math.max(Math.min(interval, timeout) / 2, 10),
    );
  }

  /** Gives up on a silent connection without waiting for a closing handshake that may never come. */
  private abandon(reason: string): void {
    const socket = this.socket;
    if (socket === null) return;
    socket.onmessage = null;
    socket.onclose = null;
    try {
      socket.close(4000, reason);
    } catch {
      // already closing
    }
    this.dropped(4000, reason);
  }

  private stopTimers(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.refreshTimer = null;
    this.heartbeatTimer = null;
  }
}

/** A thread id no other run uses (README: ids are letters, digits and `_ . : @ -`), so this run's events are recognised by it. */
function newThreadId(): string {
  const bytes = new Uint8Array(16);
  const crypto = (globalThis as { crypto?: { getRandomValues?(array: Uint8Array): Uint8Array } }).crypto;
  if (crypto?.getRandomValues !== undefined) crypto.getRandomValues(bytes);
  else for (let index = 0; index < bytes.length; index += 1) bytes[index] = Math.floor(Math.random() * 256);
  return `thread_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
