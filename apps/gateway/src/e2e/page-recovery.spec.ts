import { type Browser, type Page, chromium } from 'playwright-core';
import type { UserId } from '@agentwire/types';
import WebSocket from 'ws';
import { TokenService } from '../auth';
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

  it('replays a stream that started over from its start when it comes back (the epoch), though the new stream is already past the tab\'s position', async () => {
    const first = await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_A });
    const { port } = first;
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, first, 'page-epoch');
      await page.fill('#message', 'what is 1+1?');
      await page.click('#send');
      await page.locator('[data-testid="final-response"]').first().waitFor();
      await context.setOffline(true);
      await first.stop();
      const second = await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_A, AGENTWIRE_PORT: String(port) });
      // another tab of the same user runs twice on the restarted gateway before this one is back
      const { token } = await new TokenService({ secret: SECRET_A }).issue('page-epoch' as UserId, 60);
      const other = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['agentwire.v1', `bearer.${token}`]);
      const completed: string[] = [];
      other.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { type: string; payload: { final_response?: string } };
        if (message.type === 'agent_completed') completed.push(String(message.payload.final_response));
      });
      await new Promise((resolve, reject) => other.once('open', resolve).once('error', reject));
      for (const [index, text] of ['what is 2+3?', 'what is 3+4?'].entries()) {
        other.send(JSON.stringify({ type: 'user_message', text }));
        for (let waited = 0; completed.length <= index && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(completed).toHaveLength(2);
      other.close();
      await context.setOffline(false);
      await page.waitForSelector('#status[data-state="connected"]', { timeout: 10_000 });
      const answers = page.locator('[data-testid="final-response"]');
      await answers.nth(2).waitFor({ timeout: 10_000 });
      const texts = await answers.allTextContents();
      expect(texts.some((text) => text.includes('= 5'))).toBe(true);
      expect(texts.some((text) => text.includes('= 7'))).toBe(true);
      void second;
    } finally {
      await context.close();
    }
  }, 30_000);

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
