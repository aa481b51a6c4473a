import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import type { Gateway } from '../gateway';
import { startTestGateway } from './harness.test-helpers';

const OUTPUT = join(__dirname, '..', '..', 'test-output', 'browser');
let gateway: Gateway;
let browser: Browser;

beforeAll(async () => {
  ({ gateway } = await startTestGateway({ AGENTWIRE_ENV: 'development' }));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  mkdirSync(OUTPUT, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

async function signIn(page: Page, user: string): Promise<void> {
  await page.goto(gateway.url);
  await page.fill('#username', user);
  await page.click('#connect');
  await page.waitForSelector('#status[data-state="connected"]');
  expect(await page.locator('#signin').isVisible()).toBe(false);
  expect(await page.locator('#compose').isVisible()).toBe(true);
}

async function ask(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.click('#send');
}

describe('the browser page', () => {
  it('signs in, runs an agent and shows the live timeline up to the final answer; reconnects without losing or duplicating', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, 'browser-alice');
    await ask(page, 'what is (2+3)*4 and what time is it in Europe/Paris?');
    const final = page.locator('[data-testid="final-response"]').first();
    await final.waitFor();
    expect(await final.textContent()).toContain('(2+3)*4 = 20.');
    expect(await page.locator('[data-testid="event-thinking"]').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('[data-testid="event-tool-completed"]').count()).toBe(2);
    expect(await page.locator('[data-testid="run-status"]').first().textContent()).toBe('completed');
    await page.screenshot({ path: join(OUTPUT, 'timeline.png'), fullPage: true });

    await page.evaluate(() => (globalThis as unknown as { agentwire: { dropConnection(): void } }).agentwire.dropConnection());
    await page.waitForSelector('#status[data-state="reconnecting"]');
    await page.waitForSelector('#status[data-state="connected"]');
    await ask(page, 'count the words in "one two three four"');
    await page.locator('[data-testid="final-response"]').nth(1).waitFor();
    expect(await page.locator('[data-testid="run"]').count()).toBe(2);
    expect(await page.locator('[data-testid="final-response"]').nth(1).textContent()).toContain('has 4 words');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(OUTPUT, 'after-reconnect.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('two users in two browsers never see each other\'s runs', async () => {
    const alice = await browser.newContext();
    const bob = await browser.newContext();
    const alicePage = await alice.newPage();
    const bobPage = await bob.newPage();
    await signIn(alicePage, 'browser-carol');
    await signIn(bobPage, 'browser-dave');
    await ask(alicePage, 'what is 6*7?');
    await alicePage.locator('[data-testid="final-response"]').waitFor();
    await ask(bobPage, 'what is 1+1?');
    await bobPage.locator('[data-testid="final-response"]').waitFor();
    await bobPage.waitForTimeout(200);
    expect(await alicePage.locator('[data-testid="run"]').count()).toBe(1);
    expect(await bobPage.locator('[data-testid="run"]').count()).toBe(1);
    expect(await alicePage.locator('[data-testid="final-response"]').textContent()).toBe('6*7 = 42.');
    expect(await bobPage.locator('[data-testid="final-response"]').textContent()).toBe('1+1 = 2.');
    await Promise.all([alice.close(), bob.close()]);
  }, 60_000);

  it('cancels a running run from the page', async () => {
    const page = await browser.newPage();
    await signIn(page, 'browser-erin');
    await page.evaluate(() => {
      const { state } = (globalThis as unknown as { agentwire: { state: { socket: WebSocket } } }).agentwire;
      state.socket.send(JSON.stringify({ type: 'start_agent', agent: 'burst', input: { events: 150_000, payload_bytes: 32 } }));
    });
    await page.locator('[data-testid="cancel"]').click();
    await page.waitForSelector('[data-testid="run-status"][data-status="cancelled"]');
    await page.close();
  }, 60_000);
});
