import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WireProtocol } from '@agentwirejs/protocols';
import WebSocket from 'ws';

/**
 * The example of this package's README, run as it is written: a Node process with the example as
 * its module (next to this package, so `@agentwirejs/*` resolve to the built workspace packages),
 * a real ws client that sends a user_message with the example's token, and SIGTERM at the end.
 */
const PACKAGE_ROOT = join(__dirname, '..', '..');

function readmeExample(): string {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const block = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('the README has no js block under "## Example"');
  return block;
}

describe('the README example', () => {
  let child: ChildProcess | null = null;
  let dir: string | null = null;

  afterEach(async () => {
    if (child !== null && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  });

  it('starts, answers a user_message of the user its authenticate knows, refuses other tokens, and drains on SIGTERM', async () => {
    dir = mkdtempSync(join(PACKAGE_ROOT, '.readme-example-'));
    const file = join(dir, 'example.mjs');
    writeFileSync(file, readmeExample());
    const started = spawn(process.execPath, [file], { env: { PATH: process.env['PATH'] ?? '', PORT: '0', AGENTWIRE_ENV: 'production', AGENTWIRE_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 15_000;
    let port: string | undefined;
    while ((port = /listening on port (\d+)/.exec(output)?.[1]) === undefined) {
      if (Date.now() > deadline || started.exitCode !== null) throw new Error(`the example did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const refused = new WebSocket(`ws://127.0.0.1:${port}/ws`, [WireProtocol.V2, 'bearer.token-of-mallory']);
    refused.on('error', () => undefined);
    const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(401);
    refused.terminate();

    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, [WireProtocol.V2, 'bearer.token-of-alice']);
    const messages: { type: string; user_id?: string; payload: Record<string, unknown> }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number]));
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'user_message', text: 'hi', request_id: 'r1' }));
    for (const waitUntil = Date.now() + 10_000; !messages.some((message) => message.type === 'RUN_FINISHED'); ) {
      if (Date.now() > waitUntil) throw new Error(`no RUN_FINISHED: ${messages.map((message) => message.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const text = messages.filter((message) => message.type === 'TEXT_MESSAGE_CONTENT').map((message) => String(message.payload['delta'])).join('');
    expect({ user: messages[0]?.user_id, text }).toEqual({ user: 'alice', text: 'you said: hi' });

    const closed = once(socket, 'close');
    started.kill('SIGTERM');
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
    const [exitCode] = (await once(started, 'exit')) as [number | null];
    expect(exitCode).toBe(0);
  }, 30_000);
});
