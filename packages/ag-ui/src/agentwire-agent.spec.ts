import type { Message } from '@ag-ui/client';
import { type AgentwireClient, createClient } from '@agentwirejs/client';
import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { AgentwireAgent, type AgentwireAgentConfig } from './agentwire-agent';
import { type ClientFrame, ScriptedGateway, agUiEvents } from './scripted-gateway.test-helpers';

/**
 * The adapter driven through @ag-ui/client's own API (runAgent, subscribe, abortRun, messages,
 * pendingInterrupts) against a scripted gateway on a real ws server.
 */

let gateway: ScriptedGateway;
const clients: AgentwireClient[] = [];

beforeEach(async () => {
  gateway = await ScriptedGateway.start();
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await gateway.stop();
});

function agentOn(options: Partial<AgentwireAgentConfig> = {}): AgentwireAgent {
  const client = createClient({ url: gateway.url, getToken: () => 'token', WebSocket, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 50 });
  clients.push(client);
  return new AgentwireAgent({ client, agent: 'demo', ...options });
}

/** Scripts the gateway: every start_agent starts run `run_<n>` on the thread asked for and hands its events to `script`. */
function onStart(script: (events: ReturnType<typeof agUiEvents>, publish: (payload: { type: string }) => void, frame: ClientFrame) => void): void {
  let runs = 0;
  const previous = gateway.onFrame;
  gateway.onFrame = (frame) => {
    const earlier = previous(frame);
    if (frame.type !== 'start_agent') return earlier;
    runs += 1;
    const runId = `run_${runs}`;
    const threadId = String(frame['thread_id']);
    script(agUiEvents(runId, threadId, String(frame['agent'])), (payload) => gateway.publish(runId, threadId, payload), frame);
    return { run_id: runId, thread_id: threadId };
  };
}

/** AbstractAgent logs every failed run with console.error before rejecting; the specs that expect one keep the output clean. */
function quietAgentFailures(): void {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
}

const userMessage = (id: string, content: string): Message => ({ id, role: 'user', content });
const assistantTexts = (messages: readonly Message[]): string[] => messages.filter((message) => message.role === 'assistant').map((message) => String(message.content));

describe('AgentwireAgent (an @ag-ui/client AbstractAgent over agentwire)', () => {
  it('runs the last user message as an agentwire run on the AG-UI thread; runAgent resolves with the answer, subscribers see every event', async () => {
    onStart((events, publish) => {
      for (const event of [events.started('what is 2+3?'), events.textStart(), events.text('2+3 '), events.text('= 5.'), events.textEnd(), events.finished('success', '2+3 = 5.')]) publish(event);
    });
    const agent = agentOn({ threadId: 'thread-of-the-chat', initialMessages: [userMessage('u0', 'hello'), { id: 'a0', role: 'assistant', content: 'hi' }] });
    const seen: string[] = [];
    const deltas: string[] = [];
    agent.subscribe({
      onEvent: ({ event }) => void seen.push(event.type),
      onTextMessageContentEvent: ({ event }) => void deltas.push(event.delta),
    });
    agent.addMessage(userMessage('u1', 'what is 2+3?'));

    const { newMessages, result } = await agent.runAgent();

    expect(gateway.ofType('start_agent')).toEqual([{ type: 'start_agent', agent: 'demo', input: 'what is 2+3?', thread_id: 'thread-of-the-chat' }]);
    expect(assistantTexts(newMessages)).toEqual(['2+3 = 5.']);
    expect(result).toBe('2+3 = 5.');
    expect(deltas).toEqual(['2+3 ', '= 5.']);
    expect(seen).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    // the gateway's echo of the start did not add the user message a second time
    expect(agent.messages.map((message) => message.id)).toEqual(['u0', 'a0', 'u1', 'run_1-msg']);
    expect(agent.isRunning).toBe(false);
  });

  it('sends forwardedProps.input (and the agent forwardedProps.agent names) instead of the last user message', async () => {
    onStart((events, publish) => {
      for (const event of [events.started(), events.finished()]) publish(event);
    });
    const agent = agentOn();
    agent.addMessage(userMessage('u1', 'ignored'));
    await agent.runAgent({ forwardedProps: { agent: 'burst', input: { text_tokens: 3 } } });
    expect(gateway.ofType('start_agent')).toEqual([{ type: 'start_agent', agent: 'burst', input: { text_tokens: 3 }, thread_id: agent.threadId }]);
  });

  it('keeps relaying across a dropped connection: the answer arrives whole and once', async () => {
    let publishRest = (): void => undefined;
    onStart((events, publish) => {
      for (const event of [events.started(), events.textStart(), events.text('one '), events.text('two ')]) publish(event);
      publishRest = () => {
        for (const event of [events.text('three '), events.text('four.'), events.textEnd(), events.finished()]) publish(event);
      };
    });
    const agent = agentOn();
    const deltas: string[] = [];
    agent.subscribe({ onTextMessageContentEvent: ({ event }) => void deltas.push(event.delta) });
    agent.addMessage(userMessage('u1', 'count to four'));
    const running = agent.runAgent();
    await eventually(() => (deltas.length === 2 ? true : undefined), 'the first two words');

    gateway.dropConnections();
    publishRest();
    const { newMessages } = await running;

    expect(gateway.connections).toBe(2);
    expect(assistantTexts(newMessages)).toEqual(['one two three four.']);
    expect(deltas).toEqual(['one ', 'two ', 'three ', 'four.']);
  });

  it('abortRun() cancels the agentwire run, and its RUN_FINISHED (outcome cancelled) ends the AG-UI run', async () => {
    onStart((events, publish) => {
      for (const event of [events.started(), events.textStart(), events.text('a long ')]) publish(event);
      gateway.onFrame = (frame) => {
        if (frame.type === 'cancel_run' && frame['run_id'] === 'run_1') for (const event of [events.textEnd(), events.finished('cancelled')]) publish(event);
      };
    });
    const agent = agentOn();
    const outcomes: string[] = [];
    agent.subscribe({ onRunFinishedEvent: ({ outcome }) => void outcomes.push(outcome) });
    agent.addMessage(userMessage('u1', 'talk'));
    const running = agent.runAgent();
    await eventually(() => (agent.messages.length === 2 ? true : undefined), 'the answer begun');

    agent.abortRun();
    const { newMessages } = await running;

    expect(gateway.ofType('cancel_run')).toEqual([{ type: 'cancel_run', run_id: 'run_1' }]);
    expect(outcomes).toEqual(['cancelled']);
    expect(assistantTexts(newMessages)).toEqual(['a long ']);
  });

  it('ends the AG-UI run with an interrupt outcome when the agentwire run asks; runAgent({resume}) answers the waiting run and relays the rest of it', async () => {
    onStart((events, publish) => {
      for (const event of [events.started(), events.interrupt('ask-1')]) publish(event);
      gateway.onFrame = (frame) => {
        if (frame.type === 'answer_interrupt' && frame['value'] === true) {
          for (const event of [events.interruptResolved('ask-1'), events.textStart(), events.text('Done.'), events.textEnd(), events.finished()]) publish(event);
        }
      };
    });
    quietAgentFailures();
    gateway.refuse = (frame) => (frame.type === 'answer_interrupt' && frame['value'] !== true ? { code: 'invalid_message', message: 'value does not fit the responseSchema' } : null);
    const agent = agentOn();
    const finished: unknown[] = [];
    agent.subscribe({ onRunFinishedEvent: (params) => void finished.push(params.outcome === 'interrupt' ? params.interrupts.map((interrupt) => interrupt.id) : params.outcome) });
    agent.addMessage(userMessage('u1', 'delete it'));

    await agent.runAgent();
    expect(agent.pendingInterrupts).toEqual([{ id: 'ask-1', reason: 'confirmation', message: 'Go ahead?', responseSchema: { type: 'boolean' } }]);
    expect(agent.isRunning).toBe(false);

    // a refused answer rejects, and the question stays pending
    await expect(agent.runAgent({ resume: [{ interruptId: 'ask-1', status: 'resolved', payload: 'yes' }] })).rejects.toMatchObject({ code: 'invalid_message' });
    expect(agent.pendingInterrupts.map((interrupt) => interrupt.id)).toEqual(['ask-1']);

    // answered through a clone (an AG-UI server may clone the agent per request)
    const perRequest = agent.clone();
    const { newMessages } = await perRequest.runAgent({ resume: [{ interruptId: 'ask-1', status: 'resolved', payload: true }] });

    expect(gateway.ofType('start_agent')).toHaveLength(1);
    expect(gateway.ofType('answer_interrupt').map((frame) => frame['value'])).toEqual(['yes', true]);
    expect(assistantTexts(newMessages)).toEqual(['Done.']);
    expect(perRequest.pendingInterrupts).toEqual([]);
    expect(finished).toEqual([['ask-1'], 'success']);
  });

  it('declining the question (resume status cancelled) cancels the waiting agentwire run', async () => {
    onStart((events, publish) => {
      for (const event of [events.started(), events.interrupt('ask-1')]) publish(event);
      gateway.onFrame = (frame) => {
        if (frame.type === 'cancel_run') for (const event of [events.finished('cancelled')]) publish(event);
      };
    });
    const agent = agentOn();
    const outcomes: string[] = [];
    agent.subscribe({ onRunFinishedEvent: ({ outcome }) => void outcomes.push(outcome) });
    agent.addMessage(userMessage('u1', 'delete it'));
    await agent.runAgent();
    await agent.runAgent({ resume: [{ interruptId: 'ask-1', status: 'cancelled' }] });
    expect(gateway.ofType('cancel_run')).toEqual([{ type: 'cancel_run', run_id: 'run_1' }]);
    expect(outcomes).toEqual(['interrupt', 'cancelled']);
  });

  it("with interrupts 'in-run', relays the question inside the run; agent.answer() answers it while runAgent is pending", async () => {
    onStart((events, publish) => {
      for (const event of [events.started(), events.interrupt('ask-1')]) publish(event);
      gateway.onFrame = (frame) => {
        if (frame.type === 'answer_interrupt') for (const event of [events.interruptResolved('ask-1'), events.textStart(), events.text('Done.'), events.textEnd(), events.finished()]) publish(event);
      };
    });
    const agent = agentOn({ interrupts: 'in-run' });
    const questions: unknown[] = [];
    agent.subscribe({ onCustomEvent: ({ event }) => void (event.name === 'agentwire.interrupt' && questions.push(event.value)) });
    agent.addMessage(userMessage('u1', 'delete it'));
    const running = agent.runAgent();
    await eventually(() => questions[0], 'the question');

    await agent.answer('ask-1', true);
    const { newMessages } = await running;

    expect(gateway.ofType('answer_interrupt')).toEqual([{ type: 'answer_interrupt', run_id: 'run_1', interrupt_id: 'ask-1', value: true }]);
    expect(assistantTexts(newMessages)).toEqual(['Done.']);
    expect(agent.pendingInterrupts).toEqual([]);
  });

  it('keeps a question asked while a message is open inside the run (AG-UI cannot end a run there)', async () => {
    onStart((events, publish) => {
      for (const event of [events.started(), events.textStart(), events.text('Deleting… '), events.interrupt('ask-1')]) publish(event);
      gateway.onFrame = (frame) => {
        if (frame.type === 'answer_interrupt') for (const event of [events.text('done.'), events.textEnd(), events.finished()]) publish(event);
      };
    });
    const agent = agentOn();
    agent.addMessage(userMessage('u1', 'delete it'));
    const running = agent.runAgent();
    await eventually(() => agent.currentRun?.interrupts[0], 'the question');
    await agent.answer('ask-1', true);
    expect(assistantTexts((await running).newMessages)).toEqual(['Deleting… done.']);
  });

  it("rejects runAgent with the gateway's code when it refuses the start", async () => {
    quietAgentFailures();
    gateway.refuse = (frame) => (frame.type === 'start_agent' ? { code: 'limit_exceeded', message: 'too many runs' } : null);
    const agent = agentOn();
    agent.addMessage(userMessage('u1', 'hi'));
    const failures: string[] = [];
    await expect(agent.runAgent({}, { onRunFailed: ({ error }) => void failures.push(error.message) })).rejects.toMatchObject({ code: 'limit_exceeded' });
    expect(failures).toEqual(['too many runs']);
  });

  it('rejects a resume that answers no question a run of it waits on, and a run with nothing to send', async () => {
    quietAgentFailures();
    const agent = agentOn();
    await expect(agent.runAgent()).rejects.toMatchObject({ code: 'invalid_message' });
    await expect(agent.runAgent({ resume: [{ interruptId: 'nobody-asked', status: 'resolved', payload: 1 }] })).rejects.toMatchObject({ code: 'unknown_interrupt' });
    expect(gateway.received).toEqual([]);
  });

  it('closes the client it created from options, and only that one', async () => {
    const owned = new AgentwireAgent({ client: { url: gateway.url, getToken: () => 'token', WebSocket }, agent: 'demo' });
    await eventually(() => (owned.client.state === 'open' ? true : undefined), 'the connection');
    await owned.close();
    expect(owned.client.state).toBe('closed');
    const shared = agentOn();
    await shared.close();
    expect(shared.client.state).not.toBe('closed');
  });
});

