import type { Message } from '@ag-ui/core';
import { AgentwireAgent, type AgentwireAgentConfig } from '@agentwirejs/ag-ui';
import { type AgentwireClient, createClient } from '@agentwirejs/client';
import type { UserId } from '@agentwirejs/types';
import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { burstText } from '../agents/burst-agent';
import type { TokenService } from '@agentwirejs/server';
import type { Gateway } from '../gateway';
import { TcpProxy } from './client.test-helpers';
import { startTestGateway, wsUrl } from './harness.test-helpers';

/**
 * @agentwirejs/ag-ui against a real gateway, driven through @ag-ui/client's own API: runAgent()
 * resolves with the new messages, subscribers see the events, messages accumulate on the agent,
 * an answer cut off by a dropped network still arrives exact and once, abortRun() cancels, and a
 * question ends the AG-UI run with an interrupt outcome that runAgent({resume}) answers.
 */

let gateway: Gateway;
let tokens: TokenService;
const clients: AgentwireClient[] = [];
const proxies: TcpProxy[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  await gateway.stop();
});

/** An AG-UI agent of `user` over an agentwire client (ws in Node 20, quick reconnects) to `url`. */
function agentOf(user: string, url: string, config: Partial<AgentwireAgentConfig> = {}): AgentwireAgent {
  const client = createClient({ url, WebSocket, getToken: async () => (await tokens.issue(user as UserId, 600)).token, reconnectBaseDelayMs: 50, reconnectMaxDelayMs: 200 });
  clients.push(client);
  return new AgentwireAgent({ client, agent: 'demo', ...config });
}

const userMessage = (id: string, content: string): Message => ({ id, role: 'user', content });
/** The text of the assistant's messages that say something (tool-calling assistant messages have none). */
const answers = (messages: readonly Message[]): string[] => messages.filter((message) => message.role === 'assistant' && typeof message.content === 'string' && message.content !== '').map((message) => String(message.content));
const words = (text: string) => text.split(' ').length - 1;

describe('the AG-UI adapter against a real gateway', () => {
  it('answers through runAgent(): the new messages hold the exact answer, subscribers see the events, messages accumulate on one thread', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const agent = agentOf('agui-user', wsUrl(gateway));
    const events: string[] = [];
    let streamed = '';
    let finished: unknown = null;
    agent.subscribe({
      onEvent: ({ event }) => void events.push(event.type),
      onTextMessageContentEvent: ({ event }) => void (streamed += event.delta),
      onRunFinishedEvent: (params) => void (finished = params.outcome === 'success' ? params.result : params.outcome),
    });

    agent.addMessage(userMessage('u1', 'what is (2+3)*4?'));
    const first = await agent.runAgent();
    agent.addMessage(userMessage('u2', 'count the words in "to be or not to be"'));
    const second = await agent.runAgent();

    expect(answers(first.newMessages)).toEqual(['(2+3)*4 = 20.']);
    expect(first.result).toBe('(2+3)*4 = 20.');
    expect(answers(second.newMessages)).toEqual(['"to be or not to be" has 6 words and 18 characters (13 without spaces).']);
    expect(streamed).toBe('(2+3)*4 = 20."to be or not to be" has 6 words and 18 characters (13 without spaces).');
    expect(finished).toBe(second.result);
    // the tool call and its result are AG-UI messages too
    expect(first.newMessages.map((message) => message.role)).toEqual(expect.arrayContaining(['assistant', 'tool']));
    expect(events.filter((type) => type === 'RUN_STARTED' || type === 'RUN_FINISHED')).toEqual(['RUN_STARTED', 'RUN_FINISHED', 'RUN_STARTED', 'RUN_FINISHED']);
    // the conversation: each user message once, each followed by what the run added
    expect(agent.messages.filter((message) => message.role === 'user').map((message) => message.id)).toEqual(['u1', 'u2']);
    expect(answers(agent.messages)).toEqual([...answers(first.newMessages), ...answers(second.newMessages)]);
    expect(agent.isRunning).toBe(false);
  });

  it('delivers an answer cut off twice by a dropped network exact and once (HttpAgent would have lost the run)', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const proxy = await TcpProxy.start(Number(new URL(gateway.url).port));
    proxies.push(proxy);
    const agent = agentOf('agui-cut-user', `ws://127.0.0.1:${proxy.port}/ws`);
    let streamed = '';
    agent.subscribe({ onTextMessageContentEvent: ({ event }) => void (streamed += event.delta) });
    const tokensToStream = 150;

    const running = agent.runAgent({ forwardedProps: { agent: 'burst', input: { text_tokens: tokensToStream, tokens_per_second: 100 } } });
    await eventually(() => (words(streamed) >= 20 ? true : undefined), 'the first 20 words');
    expect(proxy.cut()).toBeGreaterThan(0);
    await eventually(() => (words(streamed) >= 70 && agent.client.state === 'open' ? true : undefined), '70 words after the first cut', 10_000);
    expect(proxy.cut()).toBeGreaterThan(0);
    const { newMessages } = await running;

    expect(proxy.connections).toBeGreaterThanOrEqual(3);
    expect(answers(newMessages)).toEqual([burstText(tokensToStream)]);
    expect(streamed).toBe(burstText(tokensToStream));
  });

  it('abortRun() cancels the run: it ends with RUN_FINISHED outcome cancelled and what was said so far', async () => {
    ({ gateway, tokens } = await startTestGateway());
    const agent = agentOf('agui-abort-user', wsUrl(gateway));
    let streamed = '';
    const outcomes: string[] = [];
    agent.subscribe({
      onTextMessageContentEvent: ({ event }) => void (streamed += event.delta),
      onRunFinishedEvent: ({ outcome }) => void outcomes.push(outcome),
    });

    const running = agent.runAgent({ forwardedProps: { agent: 'burst', input: { text_tokens: 10_000, tokens_per_second: 50 } } });
    await eventually(() => (words(streamed) >= 3 ? true : undefined), 'the first words');
    agent.abortRun();
    const { newMessages } = await running;

    expect(outcomes).toEqual(['cancelled']);
    const [said] = answers(newMessages);
    expect(words(said ?? '')).toBeLessThan(10_000);
    expect(burstText(10_000).startsWith(said ?? '-')).toBe(true);
  });

  it("hands the agent's question over as an AG-UI interrupt outcome; runAgent({resume}) answers the same agentwire run", async () => {
    ({ gateway, tokens } = await startTestGateway());
    const agent = agentOf('agui-asked-user', wsUrl(gateway));
    const runIds: string[] = [];
    agent.subscribe({ onRunStartedEvent: ({ event }) => void runIds.push(event.runId) });
    agent.addMessage(userMessage('u1', 'what time is it?'));

    const asked = await agent.runAgent();
    const question = agent.pendingInterrupts[0];
    if (question === undefined) throw new Error('the run ended without a pending interrupt');
    expect(question).toMatchObject({ reason: 'input_required', message: 'Which time zone? (an IANA name such as Europe/Paris, or UTC)' });
    expect(answers(asked.newMessages)).toEqual([]);

    const answered = await agent.runAgent({ resume: [{ interruptId: question.id, status: 'resolved', payload: { time_zone: 'Asia/Tokyo' } }] });

    expect(agent.pendingInterrupts).toEqual([]);
    expect(answers(answered.newMessages)).toEqual([expect.stringMatching(/^It is .+ in Asia\/Tokyo\.$/)]);
    expect(answered.result).toBe(answers(answered.newMessages)[0]);
    // one agentwire run, handed over as two AG-UI runs: the answer went to the run that asked
    expect(runIds).toHaveLength(2);
    expect(runIds[1]).toBe(runIds[0]);
  });
});
