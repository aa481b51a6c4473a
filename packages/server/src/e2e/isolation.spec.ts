import { getExecutionTracker } from '@agentwirejs/execution-tracker';
import { WebSocketManagerFactory } from '@agentwirejs/manager';
import { type AgentEvent, type AgentRunRequest, EventType } from '@agentwirejs/protocols';
import { UserExecutionContext, type UserId } from '@agentwirejs/types';
import { ContractClient, contractOptions, mountInNodeHttp } from './server-contract.test-helpers';

/**
 * Isolation where agent events flow (issue 14, item 5): code holding one user's tracker view,
 * using every way a reporter emits, reaches only that user's stream; and the path those events
 * take (the manager's sink bound to the run's user) refuses an event addressed to anyone else,
 * counting it in agentwire_isolation_violations_total.
 */
const everyEmitter = {
  runner: {
    name: 'every-emitter',
    async run({ reporter, userId }: AgentRunRequest) {
      await reporter.thinking(`thinking for ${userId}`);
      const reasoning = reporter.startReasoning();
      await reasoning.append('reasoning');
      await reasoning.end();
      const endStep = reporter.startStep('step');
      const tool = reporter.toolStarted('lookup', { owner: userId });
      await tool.complete({ owner: userId }, true);
      const streamed = reporter.startToolCall('streamed');
      await streamed.appendArgs('{"a":1}');
      await streamed.end();
      await streamed.result({ ok: true }, true);
      await reporter.stateSnapshot({ owner: userId });
      await reporter.stateDelta([{ op: 'replace', path: '/owner', value: userId }]);
      await reporter.standaloneEvent({ type: EventType.RAW, event: { owner: userId } });
      await endStep();
      const text = reporter.startText();
      await text.append(`answer for ${userId}`);
      await text.end();
      return {};
    },
  },
  tools: new Map(),
};

describe('isolation on the agent-event path', () => {
  it("a run started through one user's tracker view, using every emitting call, reaches only that user; an event for another user on that path is refused and counted", async () => {
    const { server, origin, stop } = await mountInNodeHttp(contractOptions({}, { agents: [everyEmitter] }));
    const alice = await ContractClient.open(origin, 'auth0|alice');
    const bob = await ContractClient.open(origin, 'auth0|bob');
    try {
      const view = getExecutionTracker(new UserExecutionContext({ userId: 'auth0|alice' }), server.container);
      const started = view.startRun({ agent: everyEmitter.runner, input: 'go' });
      expect((await started.outcome).state).toBe('completed');
      const finished = await alice.waitFor((message) => message.run_id === started.runId && message.type === EventType.RUN_FINISHED);
      const aliceRun = alice.stream.filter((message) => message.run_id === started.runId);
      expect(aliceRun.length).toBeGreaterThanOrEqual(20);
      expect(aliceRun.every((message) => message.user_id === 'auth0|alice')).toBe(true);
      expect(finished.seq).toBe(aliceRun.at(-1)?.seq);
      // bob's connection received its greeting and nothing else
      expect(bob.messages.map((message) => message.type)).toEqual(['connection_established']);

      const metric = async (): Promise<string | undefined> => /^agentwire_isolation_violations_total (\d+)$/m.exec(await (await fetch(`${origin}/metrics`)).text())?.[1];
      expect(await metric()).toBe('0');
      const aliceSink = server.container.resolve(WebSocketManagerFactory).getUnifiedManager().forUser('auth0|alice' as UserId);
      const event = aliceRun[0] as unknown as AgentEvent;
      await expect(aliceSink.emitAgentEvent('auth0|bob' as UserId, { ...event, run_id: started.runId })).rejects.toMatchObject({ code: 'ISOLATION_VIOLATION' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bob.messages.map((message) => message.type)).toEqual(['connection_established']);
      expect(await metric()).toBe('1');
    } finally {
      await Promise.all([alice.close(), bob.close()]);
      await stop();
    }
  }, 30_000);
});
