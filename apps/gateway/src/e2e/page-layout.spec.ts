import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { burstText } from '../agents/burst-agent';
import type { Gateway } from '../gateway';
import { startTestGateway } from './harness.test-helpers';
import { ask, launchChromium, runResult, sendRaw, signIn } from './page.test-helpers';

/**
 * The demo page's layout and memory in real Chromium: the message box stays pinned in view
 * however many runs there are, nothing overflows sideways at 1280 or 390 px, and a reload shows
 * the runs the gateway still keeps (the replay window), each once and whole.
 */
const OUTPUT = join(__dirname, '..', '..', 'test-output', 'browser');
let gateway: Gateway;
let browser: Browser;

beforeAll(async () => {
  ({ gateway } = await startTestGateway({ AGENTWIRE_ENV: 'development' }));
  browser = await launchChromium();
  mkdirSync(OUTPUT, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(path: string): { width: number; height: number } {
  const png = readFileSync(path);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface Geometry {
  readonly viewport: { readonly width: number; readonly height: number };
  /** The document's scrollable width: above the viewport's means a sideways scroll. */
  readonly scrollWidth: number;
  /** The widest element's right edge. */
  readonly rightmost: number;
  readonly message: { readonly top: number; readonly bottom: number };
  /** The last run's answer, and the band between header and footer where runs show. */
  readonly lastAnswer: { readonly top: number; readonly bottom: number };
  readonly band: { readonly top: number; readonly bottom: number };
}

/** Measured in the page (a script text: this file is type-checked without the DOM's types). */
const MEASURE = `(() => {
  const box = (selector) => {
    const rect = document.querySelector(selector)?.getBoundingClientRect();
    return { top: rect?.top ?? NaN, bottom: rect?.bottom ?? NaN };
  };
  const answers = document.querySelectorAll('[data-testid="answer"]');
  const last = answers[answers.length - 1]?.getBoundingClientRect();
  let rightmost = 0;
  for (const node of document.querySelectorAll('body *')) rightmost = Math.max(rightmost, node.getBoundingClientRect().right);
  return {
    viewport: { width: window.innerWidth, height: window.innerHeight },
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    rightmost,
    message: box('#message'),
    lastAnswer: { top: last?.top ?? NaN, bottom: last?.bottom ?? NaN },
    band: { top: box('header').bottom, bottom: box('footer').top },
  };
})()`;

function geometry(page: Page): Promise<Geometry> {
  return page.evaluate<Geometry>(MEASURE);
}

/** Fills the page with `runs` short runs, then one with a long unbreakable word in its input and answer. */
async function manyRuns(page: Page, runs: number): Promise<string> {
  for (let index = 0; index < runs; index += 1) {
    await sendRaw(page, { type: 'start_agent', agent: 'burst', input: { text_tokens: 8, tokens_per_second: 1000 } });
    await runResult(page, index);
  }
  const word = 'supercalifragilistic'.repeat(12);
  await ask(page, `count the words in "${word} and more"`);
  return (await runResult(page, runs)).answer;
}

describe('the demo page layout', () => {
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    it(`at ${viewport.width} px, after 25 runs: no sideways overflow, the newest answer in view, the message box in the viewport`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      try {
        await signIn(page, gateway.url, `layout-${viewport.width}`);
        const answer = await manyRuns(page, 24);
        expect(answer).toMatch(/has 3 words/);
        expect(await page.locator('[data-testid="run"]').count()).toBe(25);
        expect(await page.getAttribute('#username', 'autocapitalize')).toBe('off');

        const shown = await geometry(page);
        expect(shown.viewport).toEqual(viewport);
        expect(shown.scrollWidth).toBeLessThanOrEqual(viewport.width);
        expect(shown.rightmost).toBeLessThanOrEqual(viewport.width);
        // the box is pinned: inside the viewport, below the runs
        expect(shown.message.top).toBeGreaterThanOrEqual(0);
        expect(shown.message.bottom).toBeLessThanOrEqual(viewport.height);
        // the newest answer shows between the header and the footer (the list followed the output)
        expect(shown.lastAnswer.bottom).toBeGreaterThan(shown.band.top);
        expect(shown.lastAnswer.top).toBeLessThan(shown.band.bottom);
        expect(shown.lastAnswer.bottom).toBeLessThanOrEqual(shown.band.bottom + 1);

        // what a person sees: the whole page is one viewport (the runs scroll inside it), nothing wider
        const path = join(OUTPUT, `layout-${viewport.width}.png`);
        await page.screenshot({ path, fullPage: true });
        expect(pngSize(path)).toEqual(viewport);
      } finally {
        await context.close();
      }
    }, 90_000);
  }
});

describe('the demo page after a reload', () => {
  it('signs in again and restores the runs from the replay window: each once, whole, with its outcome; a new run goes on from there', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, gateway.url, 'reload-alice');
      await ask(page, 'what is 6*7?');
      const first = await runResult(page, 0);
      await sendRaw(page, { type: 'start_agent', agent: 'burst', input: { text_tokens: 40, tokens_per_second: 400 } });
      const second = await runResult(page, 1);
      expect([first, second]).toEqual([
        { outcome: 'completed', answer: '6*7 = 42.' },
        { outcome: 'completed', answer: burstText(40) },
      ]);

      await page.reload();
      await page.waitForSelector('#status[data-state="connected"]');
      expect([await runResult(page, 0), await runResult(page, 1)]).toEqual([first, second]);
      expect(await page.locator('[data-testid="run"]').count()).toBe(2);
      expect(await page.locator('#compose').isVisible()).toBe(true);
      expect(await page.locator('[data-testid="notice"]').count()).toBe(0);

      await ask(page, 'what is 1+1?');
      expect(await runResult(page, 2)).toEqual({ outcome: 'completed', answer: '1+1 = 2.' });
      expect(await page.locator('[data-testid="run"]').count()).toBe(3);

      // signed out, a reload shows the sign-in form and no runs
      await page.click('#disconnect');
      await page.reload();
      await page.waitForSelector('#signin:not([hidden])');
      expect(await page.locator('[data-testid="run"]').count()).toBe(0);
      expect(await page.getAttribute('#status', 'data-state')).toBe('idle');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('says when the gateway no longer keeps the oldest events, as history, not as a loss', async () => {
    const { gateway: small } = await startTestGateway({ AGENTWIRE_ENV: 'development', AGENTWIRE_REPLAY_MAX_EVENTS: '10' });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, small.url, 'reload-window');
      // two runs of the demo agent: more events than the gateway keeps (10)
      for (const [index, question] of ['what is 1+1?', 'what is 2+2?'].entries()) {
        await ask(page, question);
        await runResult(page, index);
      }
      await page.reload();
      await page.waitForSelector('#status[data-state="connected"]');
      await page.locator('#history').waitFor();
      expect(await page.locator('#history').textContent()).toMatch(/^Older events \(1–\d+\) are no longer kept by the gateway\.$/);
      expect(await page.locator('[data-testid="notice"]').count()).toBe(0);
      // what is kept is shown: the last run's end and its answer
      expect(await runResult(page, 0)).toEqual({ outcome: 'completed', answer: '2+2 = 4.' });
    } finally {
      await context.close();
      await small.stop();
    }
  }, 30_000);
});
