import { type AgentwireClient, type RunHandle, createClient } from '@agentwirejs/client';
import { StrictMode, createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { AgentwireProvider, useAgentwireClient } from './context';
import { useConnectionState } from './connection-state';
import { useRun, useStartRun } from './use-run';
import { ScriptedGateway, runScript } from './scripted-gateway.test-helpers';

/**
 * The provider and the hooks rendered with react-dom/server in Node (no DOM here: re-rendering as
 * a run streams is shown in real Chromium, apps/gateway/src/e2e/react.spec.ts). Server rendering
 * takes each store's snapshot as it is, runs no effect and subscribes to nothing.
 * (createElement, not JSX: ssot.config.json counts *.spec.ts, not *.spec.tsx, as tests.)
 */

/** What each test started, stopped after it (last first). */
const started: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of started.splice(0).reverse()) await stop();
});

/** A scripted gateway on 127.0.0.1 and a client of it. */
async function connected(): Promise<{ gateway: ScriptedGateway; client: AgentwireClient }> {
  const gateway = await ScriptedGateway.start();
  started.push(() => gateway.stop());
  const client = createClient({ url: gateway.url, getToken: () => 'token', WebSocket });
  started.push(() => client.close());
  return { gateway, client };
}

function ConnectionBadge() {
  return h('span', { 'data-state': useConnectionState() });
}

function RunText({ run }: { run: RunHandle | null }) {
  const { status, text, pendingInterrupts } = useRun(run);
  return h('p', { 'data-status': status, 'data-questions': pendingInterrupts.map((question) => question.id).join(',') }, text);
}

function Starter() {
  const { run } = useStartRun();
  return h(RunText, { run });
}

describe('the provider and hooks, rendered on a server', () => {
  it('gives the components below it the client and its connection state', async () => {
    const { client } = await connected();
    await eventually(() => (client.state === 'open' ? true : undefined), 'open');
    let seen: AgentwireClient | null = null;
    function Reader() {
      seen = useAgentwireClient();
      return null;
    }
    const html = renderToString(h(StrictMode, null, h(AgentwireProvider, { client }, h(Reader), h(ConnectionBadge))));
    expect(seen).toBe(client);
    expect(html).toBe('<span data-state="open"></span>');
  });

  it('says what is missing when a hook has no provider above it', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => renderToString(h(ConnectionBadge))).toThrow('useAgentwireClient(): no <AgentwireProvider> above this component');
  });

  it('renders a run as far as it has come: idle without one, then its text, questions and outcome', async () => {
    const { gateway, client } = await connected();
    const render = (run: RunHandle | null) => renderToString(h(AgentwireProvider, { client }, h(RunText, { run })));
    expect(render(null)).toBe('<p data-status="idle" data-questions=""></p>');

    const run = client.startRun({ agent: 'demo', input: 'what time is it?' });
    const script = runScript(gateway, 'run_7', await gateway.startedThread());
    expect(render(run)).toBe('<p data-status="starting" data-questions=""></p>');
    script.started();
    script.ask('q1');
    await eventually(() => (run.interrupts.length === 1 ? true : undefined), 'the question');
    expect(render(run)).toBe('<p data-status="running" data-questions="q1"></p>');
    script.resolved('q1');
    script.text('It is noon.');
    script.finished();
    await run.done;
    expect(render(run)).toBe('<p data-status="completed" data-questions="">It is noon.</p>');
  });

  it('starts with no run from useStartRun', async () => {
    const { client } = await connected();
    expect(renderToString(h(AgentwireProvider, { client }, h(Starter)))).toBe('<p data-status="idle" data-questions=""></p>');
  });

  it('renders the fallback of a provider that makes its own client, and makes none on a server (no effect runs)', async () => {
    const gateway = await ScriptedGateway.start();
    started.push(() => gateway.stop());
    let tokensAsked = 0;
    const options = { url: gateway.url, getToken: () => String((tokensAsked += 1)), WebSocket };
    const html = renderToString(h(AgentwireProvider, { options, fallback: h('i', null, 'connecting…') }, h(ConnectionBadge)));
    expect(html).toBe('<i>connecting…</i>');
    expect(tokensAsked).toBe(0);
  });
});
