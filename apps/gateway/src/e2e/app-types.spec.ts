import { InvalidReportError } from '@agentwirejs/execution-tracker';
import { EventType, type AgentRunRequest, type AgentRunResult, type ServerEnvelope, WireProtocol, defineProtocolExtensions } from '@agentwirejs/protocols';
import { MessageRejectedError } from '@agentwirejs/router';
import { z } from 'zod';
import type { CatalogEntry } from '@agentwirejs/server';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { type AppProtocol, defineAppProtocol } from '@agentwirejs/server';
import { startTestGateway } from './harness.test-helpers';
import { ClientPool, isTerminal, streamOf } from './v2.test-helpers';

/**
 * App-defined types, end to end: an application registers its own client message type
 * (`ask_time`, a zod schema, and its handler) and its own CUSTOM event (`app.progress`) in one
 * defineProtocolExtensions value given to the gateway; clients send and receive them over real
 * connections like the built-in ones. What is not registered stays refused.
 */

const AskTimeSchema = z.object({ type: z.literal('ask_time'), time_zone: z.string().min(1).max(64) });
const appProtocol = defineProtocolExtensions({
  clientMessages: { ask_time: AskTimeSchema },
  events: { 'app.progress': z.object({ step: z.number().int().positive(), of: z.number().int().positive() }) },
});

/** ask_time requests each user may make on one gateway. */
const ASK_QUOTA = 2;

/**
 * A test agent that reports `steps` app.progress events, then (with `try_unregistered`) tries an
 * event name the app never registered and reports how the tracker refused it.
 */
const progressAgent: CatalogEntry = {
  runner: {
    name: 'progress',
    async run({ input, reporter }: AgentRunRequest): Promise<AgentRunResult> {
      const options = typeof input === 'object' ? input : {};
      const steps = typeof options['steps'] === 'number' ? options['steps'] : 3;
      for (let step = 1; step <= steps; step += 1) await reporter.custom('app.progress', { step, of: steps });
      if (options['try_unregistered'] !== true) return { finalResponse: `done in ${String(options['time_zone'] ?? 'no zone')}` };
      const refusals: string[] = [];
      for (const [name, value] of [
        ['app.unregistered', { step: 1 }],
        ['app.progress', { step: 'one', of: 1 }],
      ] as const) {
        try {
          await reporter.custom(name, value);
          refusals.push(`${name}: accepted`);
        } catch (error) {
          refusals.push(`${name}: ${error instanceof InvalidReportError ? `InvalidReportError ${error.code}` : String(error)}`);
        }
      }
      return { finalResponse: refusals.join('; ') };
    },
  },
  tools: new Map(),
};

/** The app's routes: ask_time starts a progress run and replies with its id, within a per-user quota. */
function appRoutes(): AppProtocol {
  const asked = new Map<string, number>();
  return defineAppProtocol(appProtocol, (router) =>
      router.on('ask_time', async (message, context) => {
        // the router has parsed the message with AskTimeSchema before calling the handler: it is typed from it
        const { time_zone: timeZone } = message;
        const used = (asked.get(context.userId) ?? 0) + 1;
        if (used > ASK_QUOTA) throw new MessageRejectedError('quota_exceeded', `ask_time is limited to ${ASK_QUOTA} requests per user`);
        asked.set(context.userId, used);
        const run = context.tracker.startRun({ agent: progressAgent.runner, input: { steps: 2, time_zone: timeZone }, tools: progressAgent.tools });
        await context.reply({ type: 'ask_time.accepted', run_id: run.runId, thread_id: run.threadId, payload: { time_zone: timeZone } });
      }),
  );
}

const isProgress = (m: ServerEnvelope) => m.type === EventType.CUSTOM && m.payload['name'] === 'app.progress';

const pool = new ClientPool();
let gateway: Gateway;
let tokens: TokenService;

beforeAll(async () => {
  ({ gateway, tokens } = await startTestGateway({}, { agents: [progressAgent], app: appRoutes() }));
});
afterAll(async () => {
  await gateway.stop();
});
// Every message every client received fits the wire contract (run events: @ag-ui/core's EventSchemas).
afterEach(() => expect(pool.finish()).toEqual([]));

describe('app-defined client message types and CUSTOM events', () => {
  it("routes a registered client message type to the app's handler, which replies and starts a run whose app.progress events reach the client", async () => {
    const tab = await pool.connect(gateway, tokens, 'app-asker');
    tab.send({ type: 'ask_time', time_zone: 'Europe/Oslo' });
    const accepted = await tab.waitFor((m) => m.type === 'ask_time.accepted');
    expect(accepted).toMatchObject({ seq: null, payload: { time_zone: 'Europe/Oslo' } });
    const finished = await tab.waitFor(isTerminal);
    expect(finished).toMatchObject({ type: EventType.RUN_FINISHED, run_id: accepted.run_id, payload: { result: 'done in Europe/Oslo' } });
    expect(streamOf(tab).map((m) => m.type)).toEqual([EventType.RUN_STARTED, EventType.CUSTOM, EventType.CUSTOM, EventType.RUN_FINISHED]);
    expect(tab.messages.filter(isProgress).map((m) => m.payload)).toEqual([
      { type: EventType.CUSTOM, name: 'app.progress', value: { step: 1, of: 2 } },
      { type: EventType.CUSTOM, name: 'app.progress', value: { step: 2, of: 2 } },
    ]);
    expect(tab.ofType('error')).toEqual([]);
  });

  it('streams an agent’s app.progress events started with start_agent to v2 tabs, and passes them through to v1 tabs unchanged', async () => {
    const v2 = await pool.connect(gateway, tokens, 'app-watcher');
    const v1 = await pool.connect(gateway, tokens, 'app-watcher', { protocol: WireProtocol.V1 });
    v2.send({ type: 'start_agent', agent: 'progress', input: { steps: 3 } });
    await v2.waitFor(isTerminal);
    const completed = await v1.waitFor((m) => m.type === 'agent_completed');
    expect(v2.messages.filter(isProgress).map((m) => m.payload['value'])).toEqual([1, 2, 3].map((step) => ({ step, of: 3 })));
    expect(v1.messages.filter(isProgress)).toEqual(v2.messages.filter(isProgress));
    expect(completed.payload).toMatchObject({ final_response: 'done in no zone' });
  });

  it('still answers unknown_message_type to a type the app did not register, and invalid_message to a registered one that does not fit its schema', async () => {
    const tab = await pool.connect(gateway, tokens, 'app-stranger');
    tab.send({ type: 'ask_weather', place: 'Oslo' });
    tab.send({ type: 'ask_time', time_zone: '' });
    const [unknown, invalid] = await tab.waitForCount((m) => m.type === 'error', 2);
    expect(unknown?.payload['code']).toBe('unknown_message_type');
    expect(invalid?.payload['code']).toBe('invalid_message');
    expect(invalid?.payload['message']).toMatch(/^ask_time\.time_zone: /);
    expect(streamOf(tab)).toEqual([]);
  });

  it("sends the app's own error code to the client as itself when its handler rejects (quota_exceeded)", async () => {
    const tab = await pool.connect(gateway, tokens, 'app-greedy');
    for (let ask = 0; ask <= ASK_QUOTA; ask += 1) tab.send({ type: 'ask_time', time_zone: 'UTC' });
    const refused = await tab.waitFor((m) => m.type === 'error');
    expect(refused).toMatchObject({ seq: null, payload: { code: 'quota_exceeded', message: `ask_time is limited to ${ASK_QUOTA} requests per user` } });
    await tab.waitForCount(isTerminal, ASK_QUOTA);
    expect(tab.ofType('ask_time.accepted')).toHaveLength(ASK_QUOTA);
    expect(tab.ofType('error')).toHaveLength(1);
  });

  it('refuses an agent’s CUSTOM event the app did not register (or whose value does not fit) with InvalidReportError, which the run can catch', async () => {
    const tab = await pool.connect(gateway, tokens, 'app-sloppy-agent');
    tab.send({ type: 'start_agent', agent: 'progress', input: { steps: 1, try_unregistered: true } });
    const finished = await tab.waitFor(isTerminal);
    expect(finished).toMatchObject({
      type: EventType.RUN_FINISHED,
      payload: { outcome: { type: 'success' }, result: 'app.unregistered: InvalidReportError INVALID_REPORT; app.progress: InvalidReportError INVALID_REPORT' },
    });
    // Nothing refused was sent: only the one valid progress event.
    expect(streamOf(tab).filter((m) => m.type === EventType.CUSTOM).map((m) => m.payload['value'])).toEqual([{ step: 1, of: 1 }]);
  });
});
