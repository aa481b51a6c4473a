import { type Browser, type Page, chromium } from 'playwright-core';

/**
 * Drives the demo page (public/index.html with page/main.ts, bundled at /page.js) in Debian's Chromium through playwright-core: never a
 * downloaded browser (tools/scripts/prepare-machine.sh installs /usr/bin/chromium).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Opens the page at `url`, signs in as `user` and waits for the socket to be open. */
export async function signIn(page: Page, url: string, user: string): Promise<void> {
  await page.goto(url);
  await page.fill('#username', user);
  await page.click('#connect');
  await page.waitForSelector('#status[data-state="connected"]');
}

/** Types `text` into the message box and sends it. */
export async function ask(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.click('#send');
}

/** Sends a client message through the page's own client (what the page offers no control for, e.g. start_agent); resolves once the gateway took it. */
export async function sendRaw(page: Page, message: { readonly type: string; readonly [field: string]: unknown }): Promise<void> {
  await page.evaluate(async (outgoing) => {
    const { client } = (globalThis as unknown as { agentwire: { client: { send(message: unknown): Promise<void> } | null } }).agentwire;
    if (client === null) throw new Error('the page is not signed in');
    await client.send(outgoing);
  }, message);
}

/** Closes the page's socket as a network drop would; the page reconnects by itself. */
export async function dropConnection(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { agentwire: { dropConnection(): void } }).agentwire.dropConnection());
}

/** Waits until the `index`-th run card (0-based) has ended and returns its outcome and answer text ('' when it has none). */
export async function runResult(page: Page, index = 0, timeoutMs = 15_000): Promise<{ outcome: string; answer: string }> {
  await page.waitForFunction(
    (nth) => {
      const card = (globalThis as unknown as { document: { querySelectorAll(selector: string): ArrayLike<{ dataset: Record<string, string> }> } }).document.querySelectorAll('[data-testid="run"]')[nth];
      return card !== undefined && card.dataset['outcome'] !== 'running';
    },
    index,
    { timeout: timeoutMs },
  );
  const run = page.locator('[data-testid="run"]').nth(index);
  const outcome = (await run.getAttribute('data-outcome')) ?? '';
  const answers = run.locator('[data-testid="answer"]');
  return { outcome, answer: (await answers.count()) === 0 ? '' : ((await answers.first().textContent()) ?? '') };
}

/** One frame the page received or sent, parsed. */
export interface Frame {
  readonly type: string;
  readonly seq?: number | null;
  readonly first_seq?: number;
  readonly run_id?: string;
  readonly payload?: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** One WebSocket the page opened: its URL and the frames it received and sent, in order. */
export interface SocketRecord {
  readonly url: string;
  readonly received: Frame[];
  readonly sent: Frame[];
}

/** Records every WebSocket the page opens, in order (attach before signing in). */
export function recordSockets(page: Page): SocketRecord[] {
  const sockets: SocketRecord[] = [];
  page.on('websocket', (socket) => {
    const record: SocketRecord = { url: socket.url(), received: [], sent: [] };
    sockets.push(record);
    socket.on('framereceived', ({ payload }) => record.received.push(JSON.parse(payload.toString()) as Frame));
    socket.on('framesent', ({ payload }) => record.sent.push(JSON.parse(payload.toString()) as Frame));
  });
  return sockets;
}
