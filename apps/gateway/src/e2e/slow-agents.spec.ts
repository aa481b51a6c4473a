import { type AgentRunRequest, type AgentRunResult, type AgentRunner, EventType } from '@agentwirejs/protocols';
import type { CatalogEntry } from '@agentwirejs/server';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TestClient, isRunEnd, startTestGateway } from './harness.test-helpers';

/**
 * Issue 13, item 7: a run ends as dead only when its gateway process is gone (with Redis; see
 * scale-out.spec.ts) or its agent broke a hang rule it declared, never because it waits. The
 * dead-after setting is shortened to 500 ms, so a 1.5 s silent wait (a model call, say) lies
 * well past it.
 */
const DEAD_AFTER_MS = 500;
const WAIT_MS = 1_500;

/** Waits `WAIT_MS` without a report, as an agent awaiting a slow model call does, then answers. */
function waitingAgent(name: string, hangAfterMs?: number): CatalogEntry {
  const runner: AgentRunner = {
    name,
    ...(hangAfterMs === undefined ? {} : { hangAfterMs }),
    async run({ signal }: AgentRunRequest): Promise<AgentRunResult> {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, WAIT_MS);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
      return { finalResponse: 'the model answered' };
    },
  };
  return { runner, tools: new Map() };
}

let gateway: Gateway;
let tokens: TokenService;
const clients: TestClient[] = [];

beforeAll(async () => {
  ({ gateway, tokens } = await startTestGateway(
    { AGENTWIRE_RUN_DEAD_AFTER_MS: String(DEAD_AFTER_MS) },
    { agents: [waitingAgent('slow-model'), waitingAgent('hang-ruled', 300)] },
  ));
});

afterEach(async () => {
  for (const client of clients) expect(client.wireProblems()).toEqual([]);
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await gateway.stop();
});

describe('slow but alive agents', () => {
  it(`lets an agent await ${WAIT_MS} ms without a report, past AGENTWIRE_RUN_DEAD_AFTER_MS=${DEAD_AFTER_MS}, and complete`, async () => {
    const client = await TestClient.connect(gateway, tokens, 'patient-user');
    clients.push(client);
    client.send({ type: 'start_agent', agent: 'slow-model', input: 'a question that takes a while' });
    const end = await client.waitFor(isRunEnd, 10_000);
    expect(end).toMatchObject({ type: EventType.RUN_FINISHED, payload: { outcome: { type: 'success' }, result: 'the model answered' } });
    expect((end.payload['metadata'] as { agentwire: { duration_ms: number } }).agentwire.duration_ms).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect(client.stream.map((m) => m.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_FINISHED]);
  });

  it('ends an agent that declared a 300 ms hang rule as dead, once, when it waits longer', async () => {
    const client = await TestClient.connect(gateway, tokens, 'watched-user');
    clients.push(client);
    client.send({ type: 'start_agent', agent: 'hang-ruled', input: 'x' });
    const end = await client.waitFor(isRunEnd, 10_000);
    expect(end).toMatchObject({ type: EventType.RUN_ERROR, payload: { code: 'dead', message: 'No report from the agent for 300 ms (its hang rule)' } });
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS)); // the agent's own answer comes later and changes nothing
    expect(client.stream.map((m) => m.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
  });
});
