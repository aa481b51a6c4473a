import { EventType } from '@agentwirejs/protocols';
import type { Browser } from 'playwright-core';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TestClient, isRunEnd, isRunFinished, startTestGateway, tickerAgent } from './harness.test-helpers';
import { launchChromium } from './page.test-helpers';
import { RedisGateways } from './v2.test-helpers';

/**
 * The operator page (/admin) in Chromium against a real gateway, and the two listings it is built
 * on (GET /api/v1/users, GET /api/v1/runs?state=live), also across two gateway processes on Redis.
 */

const KEY = 'admin-key-0123456789abcdef0123456789abcdef';
const ENV = { AGENTWIRE_API_KEYS: KEY };
const LONG_RUN = { ticks: 100_000, interval_ms: 20 };

async function get(gateway: Gateway, path: string, key: string | null = KEY): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path.slice(1), gateway.url), { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function startRun(gateway: Gateway, userId: string): Promise<string> {
  const response = await fetch(new URL('api/v1/runs', gateway.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, agent: 'ticker', input: LONG_RUN }),
  });
  const body = (await response.json()) as { run_id: string };
  return body.run_id;
}

describe('the operator page /admin', () => {
  let gateway: Gateway;
  let tokens: TokenService;
  let browser: Browser;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    ({ gateway, tokens } = await startTestGateway(ENV, { agents: [tickerAgent] }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await browser.close();
    await gateway.stop();
  });

  it('is served as a page that allows no framing and no script from elsewhere', async () => {
    const response = await fetch(new URL('admin', gateway.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(await response.text()).toContain('agentwire · operator');
  });

  it('asks for the key, lists users and the live run, cancels the run and disconnects a user with the chosen close code', async () => {
    // a user id that would be markup if the page used innerHTML
    const odd = '<img src=x onerror=alert(1)>';
    const alice = await TestClient.connect(gateway, tokens, 'admin-alice');
    const aliceTab = await TestClient.connect(gateway, tokens, 'admin-alice');
    const mallory = await TestClient.connect(gateway, tokens, odd);
    clients.push(alice, aliceTab, mallory);
    const runId = await startRun(gateway, 'admin-alice');
    await alice.waitFor((m) => m.type === EventType.RUN_STARTED && m.run_id === runId);

    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await page.goto(new URL('admin', gateway.url).href);
      await page.fill('#key', 'not-the-key');
      await page.click('#key-form button[type=submit]');
      await page.waitForSelector('#error:not([hidden])');
      expect(await page.textContent('#error')).toMatch(/API key was refused/);

      await page.fill('#key', KEY);
      await page.click('#key-form button[type=submit]');
      const aliceRow = page.locator('#users tbody tr', { hasText: 'admin-alice' });
      await aliceRow.waitFor();
      expect(await aliceRow.locator('td').nth(1).textContent()).toBe('2');
      expect(await page.locator('#users tbody tr', { hasText: odd }).locator('td').first().textContent()).toBe(odd);
      const runRow = page.locator(`#runs tbody tr[data-run-id="${runId}"]`);
      await runRow.waitFor();
      expect(await runRow.locator('td').nth(1).textContent()).toBe('admin-alice');
      expect(await runRow.locator('td').nth(2).textContent()).toBe('ticker');

      await runRow.getByRole('button', { name: 'Cancel' }).click();
      expect(isRunFinished('cancelled')(await alice.waitFor((m) => isRunEnd(m) && m.run_id === runId))).toBe(true);
      await page.waitForSelector('#info:not([hidden])');
      expect(await page.textContent('#info')).toContain(`Run ${runId} cancelled.`);
      await runRow.waitFor({ state: 'detached' });

      await aliceRow.getByRole('button', { name: 'Connections' }).click();
      await page.locator('#connections tbody tr').nth(1).waitFor();
      await page.fill('#close-custom', '4321');
      await page.click('#disconnect');
      expect([await alice.waitForClose(), await aliceTab.waitForClose()]).toEqual([4321, 4321]);
      await page.waitForSelector('#info:not([hidden])');
      expect(await page.textContent('#info')).toContain('2 connections of admin-alice closed.');
      await aliceRow.waitFor({ state: 'detached' });
      expect(mallory.closeCode).toBeNull();
      expect(dialogs).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('listing users and runs through the server API', () => {
  it('needs the API key, and answers empty lists on an idle gateway', async () => {
    const { gateway } = await startTestGateway(ENV);
    try {
      expect((await get(gateway, '/api/v1/users', null)).status).toBe(401);
      expect(await get(gateway, '/api/v1/users')).toEqual({ status: 200, body: { users: [], truncated: false } });
      expect(await get(gateway, '/api/v1/runs?state=live')).toEqual({ status: 200, body: { runs: [], truncated: false } });
      const noState = await get(gateway, '/api/v1/runs');
      expect(noState.status).toBe(400);
    } finally {
      await gateway.stop();
    }
  });
});

describe('listing users and runs across gateway processes on Redis', () => {
  const gateways = new RedisGateways('admin');
  afterAll(async () => {
    await gateways.stopAll();
  });

  it('sums a user connected to two processes and lists the runs in flight on both', async () => {
    const a = await gateways.start(ENV, { agents: [tickerAgent] });
    const b = await gateways.start(ENV, { agents: [tickerAgent] });
    const onA = await TestClient.connect(a, gateways.tokens, 'wide-ann');
    const onB = await TestClient.connect(b, gateways.tokens, 'wide-ann');
    const ben = await TestClient.connect(b, gateways.tokens, 'wide-ben');
    try {
      const users = await get(a, '/api/v1/users');
      expect(users).toEqual({
        status: 200,
        body: {
          users: [
            { user_id: 'wide-ann', connections: 2 },
            { user_id: 'wide-ben', connections: 1 },
          ],
          truncated: false,
        },
      });

      const runOnA = await startRun(a, 'wide-ann');
      const runOnB = await startRun(b, 'wide-ben');
      await ben.waitFor((m) => m.type === EventType.RUN_STARTED && m.run_id === runOnB);
      const runs = await get(b, '/api/v1/runs?state=live');
      expect(runs.status).toBe(200);
      const listed = (runs.body['runs'] as { run_id: string; user_id: string; agent: string }[]).map((run) => [run.run_id, run.user_id, run.agent]);
      expect(listed.sort()).toEqual(
        [
          [runOnA, 'wide-ann', 'ticker'],
          [runOnB, 'wide-ben', 'ticker'],
        ].sort(),
      );
      expect(runs.body['truncated']).toBe(false);

      const cancelled = await fetch(new URL(`api/v1/runs/${runOnA}/cancel`, b.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'wide-ann' }),
      });
      expect(cancelled.status).toBe(200);
      await onA.waitFor((m) => isRunEnd(m) && m.run_id === runOnA);
      const after = await get(a, '/api/v1/runs?state=live');
      expect((after.body['runs'] as { run_id: string }[]).map((run) => run.run_id)).toEqual([runOnB]);
    } finally {
      await Promise.all([onA, onB, ben].map((client) => client.close()));
    }
  });
});
