import type { Browser } from 'playwright-core';
import { WireProtocol } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import WebSocket from 'ws';
import { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TEST_SECRET, TestClient, startTestGateway } from './harness.test-helpers';
import { ask, dropConnection, launchChromium, recordSockets, runResult, signIn } from './page.test-helpers';

/**
 * The browser page when things go wrong: the gateway restarts under an open tab with another
 * secret, the socket is not open when a message is sent, the server refuses a message, the agent
 * asks its question while the tab is offline.
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
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(gateways.map((gateway) => gateway.stop()));
});

describe('the browser page', () => {
  it('reconnects with a fresh token after the gateway restarted with another secret (its old token is refused: the browser only sees 1006)', async () => {
    const first = await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_A });
    const page = await browser.newPage();
    try {
      await signIn(page, first.url, 'page-restart');
      const { port } = first;
      await first.stop();
      await page.waitForSelector('#status[data-state="reconnecting"]');
      await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_B, AGENTWIRE_PORT: String(port) });
      await page.waitForSelector('#status[data-state="connected"]', { timeout: 10_000 });
      await ask(page, 'what is 2+2?');
      expect((await runResult(page, 0, 10_000)).answer).toBe('2+2 = 4.');
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
      await signIn(page, first.url, 'page-epoch');
      await ask(page, 'what is 1+1?');
      await runResult(page, 0);
      await context.setOffline(true);
      await first.stop();
      const second = await startDevelopmentGateway({ AGENTWIRE_JWT_SECRET: SECRET_A, AGENTWIRE_PORT: String(port) });
      // another tab of the same user runs twice on the restarted gateway before this one is back
      const { token } = await new TokenService({ secret: SECRET_A }).issue('page-epoch' as UserId, 60);
      const other = new WebSocket(`ws://127.0.0.1:${port}/ws`, [WireProtocol.V2, `bearer.${token}`]);
      const completed: string[] = [];
      other.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { type: string; payload: { result?: string } };
        if (message.type === 'RUN_FINISHED') completed.push(String(message.payload.result));
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
      expect(completed).toEqual(['2+3 = 5.', '3+4 = 7.']);
      // the two runs of the new stream, each shown once, with their whole answers
      const answers = [(await runResult(page, 1, 10_000)).answer, (await runResult(page, 2, 10_000)).answer];
      expect(answers).toEqual(['2+3 = 5.', '3+4 = 7.']);
      expect(await page.locator('[data-testid="run"]').count()).toBe(3);
      void second;
    } finally {
      await context.close();
    }
  }, 30_000);

  it('keeps the text in the box, and says so, when the socket is not open', async () => {
    const gateway = await startDevelopmentGateway();
    const page = await browser.newPage();
    try {
      await signIn(page, gateway.url, 'page-offline');
      // the header names the open connection (`user · connection id`): a new id is a new socket, open
      const firstConnection = await page.textContent('#who');
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
      // once connected again, the same text goes through and the box clears when its run starts.
      // Connected again means a new connection: the status pill still says connected until the
      // dropped socket's close completes (a round trip), and a send meanwhile is refused as above:
      // the likely cause of this test's one failure, in a clean-clone CI run on a loaded machine.
      await page.waitForFunction(
        (previous) => {
          const document = (globalThis as unknown as { document: { getElementById(id: string): { dataset: Record<string, string>; textContent: string | null } } }).document;
          return document.getElementById('status').dataset['state'] === 'connected' && document.getElementById('who').textContent !== previous;
        },
        firstConnection,
        { timeout: 10_000 },
      );
      await page.click('#send');
      expect((await runResult(page, 0)).answer).toBe('6*7 = 42.');
      expect(await page.inputValue('#message')).toBe('');
    } finally {
      await page.close();
    }
  }, 20_000);

  it('keeps the text in the box, with the reason, when the server refuses the message', async () => {
    // one run at a time: a second message while the first waits for its question is refused by the gateway (limit_exceeded)
    const gateway = await startDevelopmentGateway({ AGENTWIRE_MAX_RUNS_PER_USER: '1' });
    const page = await browser.newPage();
    try {
      await signIn(page, gateway.url, 'page-refused');
      await ask(page, 'what time is it?');
      await page.locator('[data-testid="interrupt"]').waitFor();
      const second = 'count the words in "one two three four five"';
      await ask(page, second);
      await page.locator('[data-testid="notice"]').first().waitFor();
      expect(await page.inputValue('#message')).toBe(second);
      expect(await page.locator('[data-testid="notice"]').first().textContent()).toMatch(/^limit_exceeded: .*not sent.*still in the box/);
      expect(await page.locator('[data-testid="run"]').count()).toBe(1);
    } finally {
      await page.close();
    }
  }, 20_000);

  it('keeps a text over the gateway\'s limits in the box and says why, before sending anything (no refusal, no 1009 close)', async () => {
    const gateway = await startDevelopmentGateway();
    const page = await browser.newPage();
    const sockets = recordSockets(page);
    try {
      await signIn(page, gateway.url, 'page-long-paste');
      const pasted = 'x'.repeat(70_000);
      await page.fill('#message', pasted);
      const hint = page.locator('[data-testid="limit-hint"]');
      expect(await hint.textContent()).toBe('The message is 70,000 characters long; the gateway takes at most 4,000. Shorten it to send it: the text stays in the box.');
      expect(await hint.getAttribute('data-over')).toBe('true');
      await page.click('#send');
      await page.locator('[data-testid="notice"]').first().waitFor();
      expect(await page.locator('[data-testid="notice"]').first().textContent()).toMatch(/^The message is 70,000 characters long; the gateway takes at most 4,000\./);
      expect(await page.inputValue('#message')).toBe(pasted);
      // nothing went out, and the connection is the one it was
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.sent.filter((frame) => frame.type === 'user_message')).toEqual([]);
      expect(await page.getAttribute('#status', 'data-state')).toBe('connected');
      // within the limit, the counter shows from 80 % on, and the text goes
      await page.fill('#message', `count the words in "${'a '.repeat(1_700)}"`);
      expect(await hint.textContent()).toBe('3,421 / 4,000 characters');
      expect(await hint.getAttribute('data-over')).toBe('false');
      await page.click('#send');
      expect((await runResult(page, 0)).answer).toMatch(/has 1700 words/);
    } finally {
      await page.close();
    }
  }, 20_000);

  it('shows a question the agent asked while the tab was offline once it is back (replayed after after_seq), and the answer from there resumes the run', async () => {
    const gateway = await startDevelopmentGateway();
    const context = await browser.newContext();
    const page = await context.newPage();
    const sockets = recordSockets(page);
    // another connection of the same user tells when the question has been asked
    const watcher = await TestClient.connect(gateway, new TokenService({ secret: TEST_SECRET }), 'page-offline-question');
    try {
      await signIn(page, gateway.url, 'page-offline-question');
      await ask(page, 'what time is it?');
      await page.locator('[data-testid="run"]').waitFor();
      await context.setOffline(true);
      await dropConnection(page);
      await watcher.waitFor((message) => message.type === 'CUSTOM' && message.payload['name'] === 'agentwire.interrupt');
      expect(await page.locator('[data-testid="interrupt"]').count()).toBe(0);
      await context.setOffline(false);
      const form = page.locator('[data-testid="interrupt"]');
      await form.waitFor({ timeout: 10_000 });
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      expect(new URL(sockets.at(-1)?.url ?? 'ws://missing/').searchParams.get('after_seq')).not.toBeNull();
      await form.locator('input[name="time_zone"]').fill('Europe/Paris');
      await form.locator('[data-testid="interrupt-submit"]').click();
      const { outcome, answer } = await runResult(page, 0);
      expect(outcome).toBe('completed');
      expect(answer).toMatch(/ in Europe\/Paris\.$/);
      expect(await page.locator('[data-testid="run"]').count()).toBe(1);
    } finally {
      await watcher.close();
      await context.close();
    }
  }, 30_000);
});
