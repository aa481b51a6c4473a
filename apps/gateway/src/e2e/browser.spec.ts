import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { burstText } from '../agents/burst-agent';
import type { Gateway } from '../gateway';
import type { TokenService } from '@agentwirejs/server';
import { TestClient, startTestGateway } from './harness.test-helpers';
import { type Frame, type SocketRecord, ask, dropConnection, launchChromium, recordSockets, runResult, sendRaw, signIn } from './page.test-helpers';

/**
 * The demo page (public/index.html) in real Chromium, speaking agentwire.v2: reasoning, tool calls
 * with results, the answer streaming into one element, the interrupt form, the outcome.
 */
const OUTPUT = join(__dirname, '..', '..', 'test-output', 'browser');
let gateway: Gateway;
let tokens: TokenService;
let browser: Browser;

beforeAll(async () => {
  ({ gateway, tokens } = await startTestGateway({ AGENTWIRE_ENV: 'development' }));
  browser = await launchChromium();
  mkdirSync(OUTPUT, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

/** A new page signed in as `user`, recording its sockets' frames and its script errors. */
async function openPage(user: string): Promise<{ page: Page; errors: string[]; sockets: SocketRecord[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const sockets = recordSockets(page);
  await signIn(page, gateway.url, user);
  expect(await page.locator('#signin').isVisible()).toBe(false);
  expect(await page.locator('#compose').isVisible()).toBe(true);
  return { page, errors, sockets };
}

/** The run events one socket received, in order (connection-scoped messages left out). */
const runEvents = (frames: readonly Frame[]): Frame[] => frames.filter((frame) => typeof frame.run_id === 'string');

describe('the browser page', () => {
  it('signs in over agentwire.v2, shows reasoning, tool calls with their results and the answer up to the outcome; reconnects without losing or duplicating', async () => {
    const { page, errors, sockets } = await openPage('browser-alice');
    await ask(page, 'what is (2+3)*4 and what time is it in Europe/Paris?');
    const first = await runResult(page, 0);
    expect(first.outcome).toBe('completed');
    expect(first.answer).toContain('(2+3)*4 = 20.');
    expect(first.answer).toContain('in Europe/Paris.');
    expect(sockets[0]?.received.find((frame) => frame.type === 'connection_established')?.payload?.['protocol']).toBe('agentwire.v2');
    // one streamed reasoning message, one per tool, one before the answer
    expect(await page.locator('[data-testid="event-thinking"]').count()).toBeGreaterThanOrEqual(3);
    const tools = page.locator('[data-testid="event-tool-completed"]');
    expect(await tools.count()).toBe(2);
    expect(await tools.nth(0).textContent()).toMatch(/calculator.*expression: \(2\+3\)\*4.*→.*value: 20/);
    expect(await tools.nth(1).textContent()).toMatch(/current_time.*time_zone: Europe\/Paris.*→.*local_time: /);
    expect(await page.locator('[data-testid="run-status"]').first().textContent()).toBe('completed');
    expect(await page.locator('[data-testid="answer"]').count()).toBe(1);
    await page.screenshot({ path: join(OUTPUT, 'timeline.png'), fullPage: true });

    await dropConnection(page);
    await page.waitForSelector('#status[data-state="reconnecting"]');
    await page.waitForSelector('#status[data-state="connected"]');
    await ask(page, 'count the words in "one two three four"');
    const second = await runResult(page, 1);
    expect(second.answer).toContain('has 4 words');
    expect(await page.locator('[data-testid="run"]').count()).toBe(2);
    expect(await page.locator('[data-testid="answer"]').count()).toBe(2);
    // the first run was not shown again: its answer is as it was
    expect((await runResult(page, 0)).answer).toBe(first.answer);
    // the page resumed where it was: after_seq = the last seq it had, in the epoch it was counted in
    const lastSeqBefore = Math.max(...runEvents(sockets[0]?.received ?? []).map((frame) => Number(frame.seq)));
    const resumed = new URL(sockets[1]?.url ?? 'ws://missing/');
    expect(resumed.searchParams.get('after_seq')).toBe(String(lastSeqBefore));
    expect(resumed.searchParams.get('epoch')).toBe(sockets[0]?.received[0]?.payload?.['epoch']);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(OUTPUT, 'after-reconnect.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('streams the answer token by token into one element: its text grows over several observations before RUN_FINISHED and ends exactly as the final text', async () => {
    const { page, errors, sockets } = await openPage('browser-streaming');
    // Samples the answer every 5 ms while the run has not ended (the page marks the end when it handles RUN_FINISHED); bounded to 20 s.
    await page.evaluate(`(() => {
      const samples = [];
      window.answerSamples = samples;
      const startedAt = Date.now();
      const timer = setInterval(() => {
        const run = document.querySelector('[data-testid="run"]');
        const answer = run && run.querySelector('[data-testid="answer"]');
        if (answer) samples.push({ text: answer.textContent, running: run.dataset.outcome === 'running' });
        if ((run && run.dataset.outcome !== 'running') || Date.now() - startedAt > 20000) clearInterval(timer);
      }, 5);
    })()`);
    await ask(page, 'count the words in "one two three four five six seven eight"');
    const { outcome, answer } = await runResult(page, 0);
    expect(outcome).toBe('completed');

    const events = runEvents(sockets[0]?.received ?? []);
    const finished = events.find((frame) => frame.type === 'RUN_FINISHED');
    const deltas = events.filter((frame) => frame.type === 'TEXT_MESSAGE_CONTENT').map((frame) => String(frame.payload?.['delta']));
    expect(finished?.payload?.['result']).toBe('"one two three four five six seven eight" has 8 words and 39 characters (32 without spaces).');
    expect(answer).toBe(finished?.payload?.['result']);
    expect(deltas.join('')).toBe(answer);
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(await page.locator('[data-testid="answer"]').count()).toBe(1);

    const samples = (await page.evaluate('window.answerSamples')) as { text: string; running: boolean }[];
    const seenWhileRunning = [...new Set(samples.filter((sample) => sample.running).map((sample) => sample.text))];
    expect(seenWhileRunning.length).toBeGreaterThanOrEqual(3);
    // each observation is a beginning of the final text, and each one longer than the one before
    for (const [index, text] of seenWhileRunning.entries()) {
      expect(answer.startsWith(text)).toBe(true);
      if (index > 0) expect(text.length).toBeGreaterThan(seenWhileRunning[index - 1]?.length ?? 0);
    }
    expect(seenWhileRunning.some((text) => text.length > 0 && text.length < answer.length)).toBe(true);
    expect(await page.locator('[data-testid="answer"]').getAttribute('data-state')).toBe('complete');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('resumes an answer cut off mid-stream: after the reconnect the element holds exactly the whole text, nothing missing or repeated (the catch-up comes compacted)', async () => {
    const { page, errors, sockets } = await openPage('browser-midstream');
    // another connection of the same user tells how far the answer got while the tab was away
    const watcher = await TestClient.connect(gateway, tokens, 'browser-midstream');
    const isContent = (message: { type: string }): boolean => message.type === 'TEXT_MESSAGE_CONTENT';
    const words = 300;
    await sendRaw(page, { type: 'start_agent', agent: 'burst', input: { text_tokens: words, tokens_per_second: 100 } });
    // cut the connection once the first few tokens are shown, well before the last
    await page.waitForFunction(() => {
      const answer = (globalThis as unknown as { document: { querySelector(selector: string): { textContent: string } | null } }).document.querySelector('[data-testid="answer"]');
      return answer !== null && answer.textContent.length >= 20;
    });
    await page.screenshot({ path: join(OUTPUT, 'streaming.png'), fullPage: true });
    // the reconnect waits for its token (the page fetches one for every new connection) while the answer goes on: the tab misses many tokens, whatever its reconnect delay
    const heldTokenRequests: Route[] = [];
    await page.route('**/dev/token', (route) => void heldTokenRequests.push(route));
    await dropConnection(page);
    await page.waitForSelector('#status[data-state="reconnecting"]');
    await watcher.waitForCount(isContent, watcher.messages.filter(isContent).length + 20);
    await Promise.all(heldTokenRequests.map((route) => route.continue()));
    await page.unroute('**/dev/token');
    await page.waitForSelector('#status[data-state="connected"]');
    const { outcome, answer } = await runResult(page, 0);
    await watcher.close();
    expect(outcome).toBe('completed');
    expect(answer).toBe(burstText(words));
    expect(await page.locator('[data-testid="answer"]').count()).toBe(1);
    // what the second socket caught up on came folded: one envelope standing for several positions
    const caughtUp = (sockets[1]?.received ?? []).filter((frame) => frame.type === 'TEXT_MESSAGE_CONTENT');
    expect(new URL(sockets[1]?.url ?? 'ws://missing/').searchParams.get('after_seq')).not.toBeNull();
    expect(caughtUp.some((frame) => typeof frame.first_seq === 'number' && frame.first_seq < Number(frame.seq))).toBe(true);
    expect(await page.locator('[data-testid="notice"]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('asks which time zone when the time is asked without a place: an invalid answer shows the error and keeps the form; Asia/Tokyo resumes the run and the answer names it', async () => {
    const { page, errors, sockets } = await openPage('browser-interrupt');
    await ask(page, 'what time is it?');
    const form = page.locator('[data-testid="interrupt"]');
    await form.waitFor();
    expect(await form.locator('[data-testid="interrupt-message"]').textContent()).toBe('Which time zone? (an IANA name such as Europe/Paris, or UTC)');
    expect(await page.locator('[data-testid="run"]').getAttribute('data-outcome')).toBe('running');

    await form.locator('input[name="time_zone"]').fill('not a zone!');
    await form.locator('[data-testid="interrupt-submit"]').click();
    const error = form.locator('[data-testid="interrupt-error"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^invalid_message: .*time_zone/);
    expect(await form.isVisible()).toBe(true);
    expect(await form.locator('[data-testid="interrupt-submit"]').isEnabled()).toBe(true);
    expect(await page.locator('[data-testid="run"]').getAttribute('data-outcome')).toBe('running');
    await page.screenshot({ path: join(OUTPUT, 'interrupt-refused.png'), fullPage: true });

    await form.locator('input[name="time_zone"]').fill('Asia/Tokyo');
    await form.locator('[data-testid="interrupt-submit"]').click();
    await form.waitFor({ state: 'detached' });
    const { outcome, answer } = await runResult(page, 0);
    expect(outcome).toBe('completed');
    expect(answer).toMatch(/^It is .* in Asia\/Tokyo\.$/);
    expect(await page.locator('[data-testid="event-question"]').textContent()).toMatch(/Which time zone\?.*→ resolved/);
    expect(await page.locator('[data-testid="event-tool-completed"]').textContent()).toMatch(/current_time.*Asia\/Tokyo/);
    // what the page sent: answer_interrupt naming the run and the question, with {time_zone}
    const asked = (sockets[0]?.received ?? []).find((frame) => frame.type === 'CUSTOM' && frame.payload?.['name'] === 'agentwire.interrupt');
    const answers = (sockets[0]?.sent ?? []).filter((frame) => frame.type === 'answer_interrupt');
    const interruptId = (asked?.payload?.['value'] as { id?: string } | undefined)?.id;
    expect(answers).toEqual([
      { type: 'answer_interrupt', run_id: asked?.run_id, interrupt_id: interruptId, value: { time_zone: 'not a zone!' }, request_id: expect.any(String) },
      { type: 'answer_interrupt', run_id: asked?.run_id, interrupt_id: interruptId, value: { time_zone: 'Asia/Tokyo' }, request_id: expect.any(String) },
    ]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(OUTPUT, 'interrupt-answered.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('shows the question in every tab of the user; answered in one, the form leaves both', async () => {
    const [first, second] = await Promise.all([browser.newContext(), browser.newContext()]);
    const [one, two] = await Promise.all([first.newPage(), second.newPage()]);
    await signIn(one, gateway.url, 'browser-two-tabs');
    await signIn(two, gateway.url, 'browser-two-tabs');
    await ask(one, 'what time is it?');
    await Promise.all([one.locator('[data-testid="interrupt"]').waitFor(), two.locator('[data-testid="interrupt"]').waitFor()]);
    await two.locator('[data-testid="interrupt"] input[name="time_zone"]').fill('UTC');
    await two.locator('[data-testid="interrupt-submit"]').click();
    await Promise.all([one.locator('[data-testid="interrupt"]').waitFor({ state: 'detached' }), two.locator('[data-testid="interrupt"]').waitFor({ state: 'detached' })]);
    const [seenByOne, seenByTwo] = await Promise.all([runResult(one, 0), runResult(two, 0)]);
    expect(seenByOne.answer).toMatch(/ in UTC\.$/);
    expect(seenByTwo.answer).toBe(seenByOne.answer);
    await Promise.all([first.close(), second.close()]);
  }, 60_000);

  it("two users in two browsers never see each other's runs", async () => {
    const alice = await browser.newContext();
    const bob = await browser.newContext();
    const alicePage = await alice.newPage();
    const bobPage = await bob.newPage();
    await signIn(alicePage, gateway.url, 'browser-carol');
    await signIn(bobPage, gateway.url, 'browser-dave');
    await ask(alicePage, 'what is 6*7?');
    await runResult(alicePage, 0);
    await ask(bobPage, 'what is 1+1?');
    await runResult(bobPage, 0);
    await bobPage.waitForTimeout(200);
    expect(await alicePage.locator('[data-testid="run"]').count()).toBe(1);
    expect(await bobPage.locator('[data-testid="run"]').count()).toBe(1);
    expect(await alicePage.locator('[data-testid="answer"]').textContent()).toBe('6*7 = 42.');
    expect(await bobPage.locator('[data-testid="answer"]').textContent()).toBe('1+1 = 2.');
    await Promise.all([alice.close(), bob.close()]);
  }, 60_000);

  it('cancels a running run from the page', async () => {
    const page = await browser.newPage();
    await signIn(page, gateway.url, 'browser-erin');
    // A long answer streaming at a person's pace (not a flood the page must first render): cancelled mid-stream.
    await sendRaw(page, { type: 'start_agent', agent: 'burst', input: { text_tokens: 10_000, tokens_per_second: 50 } });
    await page.waitForSelector('[data-testid="answer"]:not(:empty)');
    await page.locator('[data-testid="cancel"]').click();
    await page.waitForSelector('[data-testid="run-status"][data-status="cancelled"]');
    expect((await runResult(page, 0)).outcome).toBe('cancelled');
    expect(await page.locator('[data-testid="cancel"]').count()).toBe(0);
    await page.close();
  }, 60_000);
});
