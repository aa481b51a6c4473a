import { type Browser, type Page, chromium } from 'playwright-core';
import type { Gateway } from '../gateway';
import { startTestGateway } from './harness.test-helpers';

/**
 * The browser page when things go wrong: the gateway restarts under an open tab with another
 * secret, the socket is not open when a message is sent, the server refuses a message.
 */
const SECRET_A = 'page-recovery-secret-a-of-32-characters!';
const SECRET_B = 'page-recovery-secret-b-of-32-characters!';
let browser: Browser;
const gateways: Gateway[] = [];

async function startDevelopmentGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const { gateway } = await startTestGateway({ AGENTWIRE_ENV: 'development', ...env });
  gateways.push(gateway);
  return gateway;
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(gateways.map((gateway) => gateway.stop()));
});

async function signIn(page: Page, gateway: Gateway, user: string): Promise<void> {
  await page.goto(gateway.url);
  await page.fill('#username', user);
  await page.click('#connect');
  await page.waitForSelector('#status[data-state="connected"]');
}

describe('the browser page', () => {
  it('reconnects with a fresh token after the gateway restarted with another secret (its old token is refused: the browser only sees 1006)', async () => {
    const first = await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_A });
    const page = await browser.newPage();
    try {
      await signIn(page, first, 'page-restart');
      const { port } = first;
      await first.stop();
      await page.waitForSelector('#status[data-state="reconnecting"]');
      await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_B, AGENTWIRE_PORT: String(port) });
      await page.waitForSelector('#status[data-state="connected"]', { timeout: 10_000 });
      await page.fill('#message', 'what is 2+2?');
      await page.click('#send');
      expect(await page.locator('[data-testid="final-response"]').first().textContent({ timeout: 10_000 })).toContain('= 4');
    } finally {
      await page.close();
    }
  }, 25_000);

  it('keeps the text in the box, and says so, when the socket is not open', async () => {
    const gateway = await startDevelopmentGateway();
    const page = await browser.newPage();
    try {
      await signIn(page, gateway, 'page-offline');
      // drop the socket and send in the same task, so the reconnect cannot come in between
      await page.evaluate(() => {
        type Element = { value: string; click(): void };
        const window = globalThis as unknown as { agentwire: { dropConnection(): void }; document: { getElementById(id: string): Element } };
        window.agentwire.dropConnection();
        window.document.getElementById('message').value = 'what is 6*7?';
        window.document.getElementById('send').click();
      });
      expect(await page.inputValue('#message')).toBe('what is 6*7?');
      expect(await page.locator('[data-testid="notice"]').first().textContent()).toMatch(/not connected.*not sent.*still in the box/i);
      // once connected again, the same text goes through and the box clears when its run starts
      await page.waitForSelector('#status[data-state="connected"]');
      await page.click('#send');
      await page.locator('[data-testid="final-response"]').first().waitFor();
      expect(await page.inputValue('#message')).toBe('');
    } finally {
      await page.close();
    }
  }, 20_000);

  it('keeps the text in the box, with the reason, when the server refuses the message', async () => {
    const gateway = await startDevelopmentGateway({ AGENTWIRE_MAX_INPUT_CHARS: '20' });
    const page = await browser.newPage();
    try {
      await signIn(page, gateway, 'page-refused');
      const long = 'count the words in "one two three four five"';
      await page.fill('#message', long);
      await page.click('#send');
      await page.locator('[data-testid="notice"]').first().waitFor();
      expect(await page.inputValue('#message')).toBe(long);
      expect(await page.locator('[data-testid="notice"]').first().textContent()).toMatch(/^payload_too_large: .*not sent.*still in the box/);
      expect(await page.locator('[data-testid="run"]').count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 20_000);
});
