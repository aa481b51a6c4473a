import { type AgentwireClient, type RunEventEnvelope, type RunHandle, createClient } from '@agentwirejs/client';
import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { IDLE_RUN_VIEW, type RunView, runViewStore } from './run-view';
import { ScriptedGateway, countListeners, runScript } from './scripted-gateway.test-helpers';

/**
 * The run store behind useRun, on a real client connected to a scripted gateway on 127.0.0.1:
 * one snapshot per change (the same object in between), the run's text, questions and outcome
 * in it, and every listener it put on the handle removed when its subscriber lets go.
 */

let gateway: ScriptedGateway;
let client: AgentwireClient;

beforeEach(async () => {
  gateway = await ScriptedGateway.start();
  client = createClient({ url: gateway.url, getToken: () => 'token', WebSocket });
});

afterEach(async () => {
  await client.close();
  await gateway.stop();
});

/** Starts a run and returns it with the script of its events (on the thread the client made up). */
async function startedRun(): Promise<{ run: RunHandle; script: ReturnType<typeof runScript> }> {
  const run = client.startRun({ agent: 'demo', input: 'what time is it?' });
  const script = runScript(gateway, 'run_1', await gateway.startedThread());
  return { run, script };
}

/** Resolves once `store` has told its subscriber of a change `count` times in all. */
const changes = (counter: { count: number }, count: number) => eventually(() => (counter.count >= count ? true : undefined), `${count} changes`);

describe('the run store behind useRun', () => {
  it('pictures no run as idle, and subscribing to it holds nothing', () => {
    const store = runViewStore(null);
    const unsubscribe = store.subscribe(() => {
      throw new Error('no run, no change');
    });
    expect(store.getSnapshot()).toBe(IDLE_RUN_VIEW);
    expect(IDLE_RUN_VIEW).toMatchObject({ status: 'idle', text: '', events: [], pendingInterrupts: [], outcome: null });
    unsubscribe();
  });

  it('takes a new snapshot after each event and hands out the same one in between', async () => {
    const { run, script } = await startedRun();
    const store = runViewStore(run);
    const counter = { count: 0 };
    const unsubscribe = store.subscribe(() => (counter.count += 1));
    const views: RunView[] = [store.getSnapshot()];
    expect(views[0]).toMatchObject({ run, status: 'starting', runId: null, text: '' });

    script.started();
    await changes(counter, 1);
    views.push(store.getSnapshot());
    script.text('It is ');
    await changes(counter, 2);
    views.push(store.getSnapshot());
    script.text('noon.');
    await changes(counter, 3);
    views.push(store.getSnapshot());

    expect(store.getSnapshot()).toBe(views[3]);
    expect(new Set(views).size).toBe(4);
    expect(views.map((view) => [view.status, view.runId, view.text, view.events.length])).toEqual([
      ['starting', null, '', 0],
      ['running', 'run_1', '', 1],
      ['running', 'run_1', 'It is ', 2],
      ['running', 'run_1', 'It is noon.', 3],
    ]);
    // an earlier snapshot is not changed by later events
    expect(views[1]?.events.map((event) => event.type)).toEqual(['RUN_STARTED']);
    unsubscribe();
  });

  it("copies a run's events only when a view's events are read, once per view: following a long answer's text costs nothing per event", () => {
    // a handle whose events array counts element reads (the client only ever appends to it)
    let reads = 0;
    const stored: RunEventEnvelope[] = [];
    const events = new Proxy(stored, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const handle = { events, gaps: [], interrupts: [], outcome: null, runId: 'run_1', text: '', on: () => () => undefined, done: new Promise(() => undefined) };
    const store = runViewStore(handle as unknown as RunHandle);
    const views: RunView[] = [];
    for (let n = 1; n <= 2_000; n += 1) {
      stored.push({ type: 'TEXT_MESSAGE_CONTENT', seq: n } as unknown as RunEventEnvelope);
      handle.text += 'w ';
      const view = store.getSnapshot();
      expect(view.text.length).toBe(2 * n);
      views.push(view);
    }
    expect(reads).toBe(0);
    expect(views[9]?.events).toHaveLength(10);
    expect(views[9]?.events).toBe(views[9]?.events);
    expect(reads).toBe(10);
    expect(views[1_999]?.events.map((event) => event.seq)).toEqual(Array.from({ length: 2_000 }, (_, index) => index + 1));
  });

  it('shows a question as pending until it is resolved, and the outcome once the run ends', async () => {
    const { run, script } = await startedRun();
    const store = runViewStore(run);
    const counter = { count: 0 };
    const unsubscribe = store.subscribe(() => (counter.count += 1));
    script.started();
    script.ask('q1');
    await changes(counter, 2);
    expect(store.getSnapshot().pendingInterrupts).toEqual([{ id: 'q1', reason: 'input_required', message: 'Which time zone?', status: 'pending' }]);

    script.resolved('q1');
    script.text('It is noon in UTC.');
    script.finished();
    await run.done;
    await changes(counter, 5);

    const view = store.getSnapshot();
    expect(view).toMatchObject({ status: 'completed', text: 'It is noon in UTC.', pendingInterrupts: [], outcome: { status: 'completed', runId: 'run_1' } });
    expect(view.interrupts.map((interrupt) => [interrupt.id, interrupt.status])).toEqual([['q1', 'resolved']]);
    unsubscribe();
  });

  it('shows the stream ranges lost while the run was open', async () => {
    const { run, script } = await startedRun();
    const store = runViewStore(run);
    const counter = { count: 0 };
    const unsubscribe = store.subscribe(() => (counter.count += 1));
    script.started();
    await changes(counter, 1);
    const lost = gateway.publishGap(3);
    await changes(counter, 2);
    expect(store.getSnapshot().gaps).toEqual([lost]);
    unsubscribe();
  });

  it('tells its subscriber when a run settles without an event (the client closed before the run started)', async () => {
    const run = client.startRun({ agent: 'demo', input: 'hi' });
    const store = runViewStore(run);
    const counter = { count: 0 };
    const unsubscribe = store.subscribe(() => (counter.count += 1));
    await client.close();
    await changes(counter, 1);
    expect(store.getSnapshot()).toMatchObject({ status: 'refused', outcome: { status: 'refused', code: 'client_closed' } });
    unsubscribe();
  });

  it('removes every listener it put on the handle when its subscriber lets go, StrictMode’s subscribe, unsubscribe, subscribe included', async () => {
    const { run: handle, script } = await startedRun();
    const { counted: run, live } = countListeners(handle);
    const store = runViewStore(run);
    const calls: string[] = [];

    const first = store.subscribe(() => calls.push('first'));
    expect(live()).toBeGreaterThan(0);
    first();
    expect(live()).toBe(0);
    const second = store.subscribe(() => calls.push('second'));
    const perSubscriber = live();

    script.started();
    script.text('hi');
    await eventually(() => (calls.length >= 2 ? true : undefined), 'two changes');
    expect(calls.every((call) => call === 'second')).toBe(true);
    second();
    expect(live()).toBe(0);
    expect(perSubscriber).toBe(2);

    // nothing is told after letting go, not even the end of the run
    const told = calls.length;
    script.finished();
    await handle.done;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.length).toBe(told);
    expect(store.getSnapshot().status).toBe('completed');
  });
});
