import type { Browser, Page } from 'playwright-core';
import type { TokenService } from '@agentwirejs/server';
import { eventually } from '@agentwirejs/protocols/testing';
import type { Gateway } from '../gateway';
import { startTestGateway, wsUrl } from './harness.test-helpers';
import { launchChromium } from './page.test-helpers';
import { type ReactPageProbe, ReactPageServer, bundleReactPage } from './react.test-helpers';

/**
 * @agentwirejs/react in real Chromium: a small app (fixtures/react-page, React's development build
 * under StrictMode) on a real gateway shows the connection opening, a demo answer streaming into
 * one element up to its outcome, the time zone question as a form whose answer resumes the run,
 * a cancel, and lets go of every listener when unmounted, with nothing on the console.
 */

let gateway: Gateway;
let tokens: TokenService;
let pageServer: ReactPageServer;
let browser: Browser;

beforeAll(async () => {
  // One envelope per streamed token, 50 ms apart: the answer arrives in several pieces.
  ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_STREAM_COALESCE_MS: '0', AGENTWIRE_DEMO_TOKENS_PER_SECOND: '20' }));
  pageServer = await ReactPageServer.start(await bundleReactPage(), tokens);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pageServer?.stop();
  await gateway?.stop();
});

/** A page of the fixture app as `user`, recording console errors, script errors and the WebSockets it opens. */
async function openApp(user: string, query: Record<string, string> = {}): Promise<{ page: Page; problems: string[]; sockets: { url: string; closed: boolean }[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const sockets: { url: string; closed: boolean }[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('websocket', (socket) => {
    const record = { url: socket.url(), closed: false };
    sockets.push(record);
    socket.on('close', () => (record.closed = true));
  });
  await page.goto(pageServer.pageUrl({ gateway: wsUrl(gateway), user, ...query }));
  return { page, problems, sockets };
}

const probeOf = (page: Page): Promise<ReactPageProbe> => page.evaluate(() => (globalThis as unknown as { agentwirePage: { probe: ReactPageProbe } }).agentwirePage.probe);

async function ask(page: Page, input: string): Promise<void> {
  await page.fill('[data-testid="input"]', input);
  await page.click('[data-testid="start"]');
}

/** Waits for the run's outcome element and returns its status. */
async function outcomeOf(page: Page): Promise<string | null> {
  await page.waitForSelector('[data-testid="outcome"]', { timeout: 15_000 });
  return page.getAttribute('[data-testid="outcome"]', 'data-status');
}

const answerOf = async (page: Page): Promise<string> => (await page.textContent('[data-testid="answer"]')) ?? '';

/** Open connections of the gateway, from /health. */
async function gatewayConnections(): Promise<number> {
  const health = (await (await fetch(`${gateway.url}health`)).json()) as { connections: number };
  return health.connections;
}

/** Resolves once the gateway holds no connection (each test starts from none); fails after 5 s. */
async function untilNoConnections(): Promise<void> {
  // Bounded: at most 250 looks, 20 ms apart.
  for (let look = 0; look < 250; look += 1) {
    if ((await gatewayConnections()) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the gateway still holds ${await gatewayConnections()} connections`);
}

afterEach(async () => {
  for (const page of browser.contexts().flatMap((context) => context.pages())) await page.close();
  await untilNoConnections();
});

describe('@agentwirejs/react in Chromium', () => {
  it('shows the connection going from connecting to open, and a demo answer streaming into place up to its outcome', async () => {
    const { page, problems } = await openApp('react-stream', { hold_tokens: '1' });
    await page.waitForSelector('[data-testid="connection"][data-state="connecting"]');
    await page.evaluate(() => (globalThis as unknown as { agentwirePage: { releaseTokens(): void } }).agentwirePage.releaseTokens());
    await page.waitForSelector('[data-testid="connection"][data-state="open"]');
    expect((await probeOf(page)).states).toEqual(['connecting', 'open']);

    await ask(page, 'what is (2+3)*4?');
    expect(await outcomeOf(page)).toBe('completed');
    const answer = await answerOf(page);
    expect(answer).toBe('(2+3)*4 = 20.');
    expect(await page.getAttribute('[data-testid="status"]', 'data-status')).toBe('completed');
    expect(Number(await page.getAttribute('[data-testid="status"]', 'data-events'))).toBeGreaterThan(5);

    // It streamed: the element showed growing prefixes of the answer before the whole of it,
    // and the re-renders took no new subscription (the one taken for the run stayed).
    const { texts } = await probeOf(page);
    const shown = texts.map((entry) => entry.text).filter((text) => text !== '');
    expect(shown.at(-1)).toBe(answer);
    expect(shown.length).toBeGreaterThanOrEqual(2);
    for (const [index, text] of shown.entries()) expect(answer.startsWith(text) && text.length > (shown[index - 1]?.length ?? 0)).toBe(true);
    const subscriptionsWhileStreaming = new Set(texts.filter((entry) => entry.text !== '').map((entry) => entry.subscriptions));
    expect(subscriptionsWhileStreaming.size).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('renders the time zone question as a form: a wrong answer is refused and the question stays, the right one resumes the run', async () => {
    const { page, problems } = await openApp('react-question');
    await page.waitForSelector('[data-testid="connection"][data-state="open"]');
    await ask(page, 'what time is it?');
    await page.waitForSelector('[data-testid="question"]', { timeout: 15_000 });
    expect(await page.textContent('[data-testid="question"] label')).toMatch(/time zone/);
    expect(await page.getAttribute('[data-testid="status"]', 'data-status')).toBe('running');

    await page.fill('[data-testid="question-input"]', 'nowhere at all');
    await page.click('[data-testid="question-submit"]');
    expect(await (await page.waitForSelector('[data-testid="question-refusal"]')).textContent()).toBe('invalid_message');
    expect(await page.locator('[data-testid="question"]').count()).toBe(1);

    await page.fill('[data-testid="question-input"]', 'Europe/Paris');
    await page.click('[data-testid="question-submit"]');
    expect(await outcomeOf(page)).toBe('completed');
    expect(await answerOf(page)).toMatch(/^It is .+ in Europe\/Paris\.$/);
    expect(await page.locator('[data-testid="question"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('cancels a run from the component: the outcome shows cancelled and its open question goes away', async () => {
    const { page, problems } = await openApp('react-cancel');
    await page.waitForSelector('[data-testid="connection"][data-state="open"]');
    await ask(page, 'what time is it?');
    await page.waitForSelector('[data-testid="question"]', { timeout: 15_000 });
    await page.click('[data-testid="cancel"]');
    expect(await outcomeOf(page)).toBe('cancelled');
    expect(await page.getAttribute('[data-testid="status"]', 'data-status')).toBe('cancelled');
    expect(await page.locator('[data-testid="question"]').count()).toBe(0);
    expect(await page.isDisabled('[data-testid="cancel"]')).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('lets go of every listener on the client and its runs when unmounted, leaving the app’s own client open', async () => {
    const { page, problems } = await openApp('react-unmount');
    await page.waitForSelector('[data-testid="connection"][data-state="open"]');
    await ask(page, 'what is (2+3)*4?');
    expect(await outcomeOf(page)).toBe('completed');
    // a run still going when the app unmounts
    await ask(page, 'what time is it?');
    await page.waitForSelector('[data-testid="question"]', { timeout: 15_000 });
    expect((await probeOf(page)).liveListeners).toBeGreaterThan(0);

    await page.evaluate(() => (globalThis as unknown as { agentwirePage: { unmount(): void } }).agentwirePage.unmount());
    expect(await page.locator('[data-testid="connection"]').count()).toBe(0);
    expect((await probeOf(page)).liveListeners).toBe(0);
    expect(await gatewayConnections()).toBe(1);

    await page.evaluate(() => (globalThis as unknown as { agentwirePage: { closeClient(): Promise<void> } }).agentwirePage.closeClient());
    await untilNoConnections();
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('with options instead of a client, opens one connection under StrictMode and closes it on unmount', async () => {
    const { page, problems, sockets } = await openApp('react-own-client', { provider: 'options' });
    await page.waitForSelector('[data-testid="connection"][data-state="open"]');
    await ask(page, 'what is (2+3)*4?');
    expect(await outcomeOf(page)).toBe('completed');
    // StrictMode mounted the provider twice: the first client was closed before it opened a socket
    expect(sockets.map((socket) => socket.closed)).toEqual([false]);
    expect(await gatewayConnections()).toBe(1);

    await page.evaluate(() => (globalThis as unknown as { agentwirePage: { unmount(): void } }).agentwirePage.unmount());
    await eventually(() => (sockets[0]?.closed === true ? true : undefined), 'the socket closed');
    await untilNoConnections();
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
