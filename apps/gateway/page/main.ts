import { type AgentwireClient, ClientErrorCode, type ClientState, RequestError, type StreamEnvelope, WireEventName, createClient } from '@agentwirejs/client';
import { byId, duration, el } from './dom';
import { type PageLimits, characterCount, messageRefusal, parseLimits } from './limits';
import { RunCard, describe } from './run-card';

/**
 * The demo page, built on @agentwirejs/client: the client keeps the connection (reconnect with
 * backoff, resume after_seq + epoch, repeats dropped, compacted catch-up, fresh tokens), the page
 * renders the user's stream and sends what the person does. Bundled by bundle.mjs; the gateway
 * serves it at /page.js and writes its limits into index.html (#page-config).
 */

/** Where the tab keeps the signed-in user name, so a reload signs in again and restores the runs from the replay window. */
const SESSION_USER_KEY = 'agentwire.demo.user';
/** How close to the bottom (px) the run list must be for new content to keep it scrolled to the end. */
const FOLLOW_SLACK_PX = 96;
/** How long a notice stays. */
const NOTICE_MS = 15_000;
/** From which share of the input limit the counter under the box shows. */
const COUNTER_FROM = 0.8;

interface DevTokenGrant {
  readonly token: string;
  readonly user_id: string;
}

/** What the browser tests reach (window.agentwire): the client, and a way to drop the socket as a network would. */
interface PageHooks {
  readonly client: AgentwireClient | null;
  dropConnection(): void;
}

async function fetchDevToken(user: string): Promise<DevTokenGrant> {
  const response = await fetch('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  const body = (await response.json().catch(() => ({}))) as Partial<DevTokenGrant> & { message?: string };
  if (!response.ok || typeof body.token !== 'string' || typeof body.user_id !== 'string') throw new Error(body.message ?? `sign-in failed (${response.status})`);
  return { token: body.token, user_id: body.user_id };
}

/** One signed-in session of the page: its client, its run cards, the message on its way. */
class Session {
  readonly client: AgentwireClient;
  private readonly runs = new Map<string, RunCard>();
  private socket: WebSocket | null = null;
  /** The text being sent (between submit and the gateway's verdict), so a second submit does not send it twice. */
  private sending: string | null = null;
  private lastDisconnect = '';

  constructor(
    readonly user: string,
    firstToken: string,
    private readonly page: DemoPage,
  ) {
    let unusedToken: string | null = firstToken;
    this.client = createClient({
      url: websocketUrl(),
      WebSocket: trackedWebSocket((socket) => {
        this.socket = socket;
      }),
      // A token is fetched for every connection but the first (the one sign-in got): a gateway
      // that restarted with another secret refuses the old one, and so does one past its expiry.
      getToken: async () => {
        const token = unusedToken;
        unusedToken = null;
        return token ?? (await fetchDevToken(user)).token;
      },
      // Everything the gateway still keeps: the runs of the last minutes, also after a reload.
      resumeFrom: { seq: 0, epoch: null },
    });
    this.client.on('state', (state) => this.showState(state));
    this.client.on('disconnected', ({ code, retryInMs }) => {
      this.lastDisconnect = retryInMs === null ? `disconnected (${code})` : `disconnected (${code}); retrying in ${duration(retryInMs)}`;
      if (this.client.state !== 'closed') this.showState(this.client.state);
    });
    this.client.on('event', (envelope) => this.receive(envelope));
    this.client.on('gap', (range) => {
      // a stream restored from its start misses what the gateway no longer keeps: history, not a loss
      if (range.from_seq === 1) this.page.history(`Older events (1–${range.to_seq}) are no longer kept by the gateway.`);
      else this.page.notice(`Events ${range.from_seq}–${range.to_seq} of your stream could not be recovered.`);
    });
    this.client.on('reset', () => this.page.notice('The server lost or restarted your stream: it starts again.'));
    this.client.on('error', (error) => {
      if (error.code !== ClientErrorCode.TokenUnavailable) this.page.notice(`${error.code}: ${error.message}`, true);
    });
  }

  dropConnection(): void {
    this.socket?.close(4000, 'dropped on purpose');
  }

  /** Sends the message box's text as a user_message; it stays in the box until the gateway took it (its ack: the run started). */
  async sendMessage(text: string, limits: PageLimits): Promise<void> {
    const refusal = messageRefusal(text, limits);
    if (refusal !== null) return this.page.notice(refusal, true);
    // a socket already closing (the client learns of it only from its close event) does not count as connected
    if (this.client.state !== 'open' || this.socket?.readyState !== WebSocket.OPEN) return this.page.notice('Not connected: the message was not sent. It is still in the box; send it again once connected.', true);
    if (this.sending === text) return; // sent already, waiting for the verdict
    this.sending = text;
    try {
      await this.client.send({ type: 'user_message', text });
      this.page.clearMessage(text);
    } catch (error) {
      if (error instanceof RequestError && error.code === ClientErrorCode.ConnectionLost) {
        this.page.notice('The connection dropped before the gateway confirmed the message: if it started a run, the run shows below. The text is still in the box.', true);
      } else if (error instanceof RequestError && error.code === ClientErrorCode.ClientClosed) {
        // signed out meanwhile: nothing to say
      } else {
        this.page.notice(`${describe(error)}. The message was not sent; it is still in the box.`, true);
      }
    } finally {
      if (this.sending === text) this.sending = null;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private showState(state: ClientState): void {
    if (state === 'open') this.page.status('connected', 'connected');
    else if (state === 'connecting') this.page.status('connecting', 'connecting…');
    else if (state === 'reconnecting') this.page.status('reconnecting', this.lastDisconnect === '' ? 'reconnecting…' : this.lastDisconnect);
    else this.page.status('closed', 'not connected');
    if (state === 'open') this.page.who(`${this.user} · ${this.client.connectionId ?? ''}`);
  }

  private receive(envelope: StreamEnvelope): void {
    // the stream's replay gaps come through the `gap` listener; other run-less envelopes are app messages the page does not show
    if (envelope.type === 'CUSTOM' && envelope.payload['name'] === WireEventName.ReplayGap) return;
    const runId = envelope.run_id;
    if (typeof runId !== 'string') return;
    let view = this.runs.get(runId);
    if (view === undefined) {
      view = new RunCard(runId, {
        cancel: (id) => this.client.send({ type: 'cancel_run', run_id: id }),
        answer: (id, interruptId, value) => this.client.send({ type: 'answer_interrupt', run_id: id, interrupt_id: interruptId, value }),
        mayTakeFocus: () => this.page.messageIsEmpty(),
      });
      this.runs.set(runId, view);
      this.page.addRun(view.node);
    }
    this.page.follow(() => view.apply(envelope));
  }
}

/** The browser's WebSocket, telling `opened` of every socket it makes: the page knows the current one so a test can drop it (dropConnection); the client owns it otherwise. */
function trackedWebSocket(opened: (socket: WebSocket) => void): typeof WebSocket {
  return class TrackedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      opened(this);
    }
  };
}

function websocketUrl(): string {
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** The page's fixed parts: header, run list, the box pinned at the bottom; at most one Session at a time. */
class DemoPage {
  private session: Session | null = null;
  private readonly limits = parseLimits(document.getElementById('page-config')?.textContent ?? null);
  private readonly runs = byId('runs');
  private readonly scroller = byId('scroller');
  private readonly message = byId<HTMLInputElement>('message');
  private readonly counter = byId('limit-hint');

  constructor() {
    byId<HTMLFormElement>('signin').onsubmit = (event) => {
      event.preventDefault();
      void this.signIn(byId<HTMLInputElement>('username').value.trim());
    };
    byId<HTMLFormElement>('compose').onsubmit = (event) => {
      event.preventDefault();
      const text = this.message.value.trim();
      if (text !== '' && this.session !== null) void this.session.sendMessage(text, this.limits);
    };
    byId('disconnect').onclick = () => void this.signOut();
    this.message.oninput = () => this.showCount();
    const hooks = Object.defineProperty({ dropConnection: () => this.session?.dropConnection() }, 'client', { get: () => this.session?.client ?? null, enumerable: true }) as PageHooks;
    (window as unknown as { agentwire: PageHooks }).agentwire = hooks;
    const remembered = sessionStorage.getItem(SESSION_USER_KEY);
    if (remembered !== null && remembered !== '') void this.signIn(remembered);
  }

  async signIn(name: string): Promise<void> {
    const connect = byId<HTMLButtonElement>('connect');
    connect.disabled = true;
    try {
      const grant = await fetchDevToken(name);
      await this.session?.close();
      sessionStorage.setItem(SESSION_USER_KEY, grant.user_id);
      this.resetRuns();
      byId('signin').hidden = true;
      byId('compose').hidden = false;
      byId('disconnect').hidden = false;
      this.session = new Session(grant.user_id, grant.token, this);
      this.message.focus();
    } catch (error) {
      this.notice(describe(error), true);
    } finally {
      connect.disabled = false;
    }
  }

  async signOut(): Promise<void> {
    const session = this.session;
    this.session = null;
    sessionStorage.removeItem(SESSION_USER_KEY);
    this.resetRuns();
    this.who('');
    byId('compose').hidden = true;
    byId('disconnect').hidden = true;
    byId('signin').hidden = false;
    this.status('idle', 'not connected');
    await session?.close();
  }

  status(state: string, label: string): void {
    const pill = byId('status');
    pill.dataset['state'] = state;
    pill.textContent = label;
  }

  who(text: string): void {
    byId('who').textContent = text;
  }

  notice(text: string, error = false): void {
    const node = el('div', { className: error ? 'notice error' : 'notice', 'data-testid': 'notice', role: error ? 'alert' : 'status' }, text);
    byId('notices').prepend(node);
    setTimeout(() => node.remove(), NOTICE_MS);
  }

  /** A quiet line at the top of the run list (what the replay window no longer holds). */
  history(text: string): void {
    const line = byId('history');
    line.textContent = text;
    line.hidden = false;
  }

  addRun(node: HTMLElement): void {
    byId('empty').hidden = true;
    this.follow(() => this.runs.append(node));
  }

  /** Runs `change`; if the list was scrolled to (near) its end, keeps it there, so the newest output stays in view. */
  follow(change: () => void): void {
    const { scrollHeight, scrollTop, clientHeight } = this.scroller;
    const atEnd = scrollHeight - scrollTop - clientHeight <= FOLLOW_SLACK_PX;
    change();
    if (atEnd) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  messageIsEmpty(): boolean {
    return this.message.value === '';
  }

  /** The gateway took `text`: the box clears unless the person has typed something else meanwhile. */
  clearMessage(text: string): void {
    if (this.message.value.trim() === text) this.message.value = '';
    this.showCount();
  }

  /** The characters in the box against the gateway's limit, once close to it; over it, the reason the text cannot go. */
  private showCount(): void {
    const max = this.limits.maxInputChars;
    const text = this.message.value;
    const refusal = messageRefusal(text.trim(), this.limits);
    const chars = characterCount(text);
    this.counter.dataset['over'] = String(refusal !== null);
    if (refusal !== null) this.counter.textContent = refusal;
    else if (max !== null && chars >= max * COUNTER_FROM) this.counter.textContent = `${chars.toLocaleString('en')} / ${max.toLocaleString('en')} characters`;
    else this.counter.textContent = '';
    this.counter.hidden = this.counter.textContent === '';
  }

  private resetRuns(): void {
    this.runs.replaceChildren();
    byId('empty').hidden = false;
    byId('history').hidden = true;
  }
}

new DemoPage();
