import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { RpcClient, RpcError } from './ipc';

/** A child process as RpcClient sees it: messages in, messages out, exit. */
class FakeChild extends EventEmitter {
  readonly sent: { rpc: number; command: string; args: unknown }[] = [];
  send(message: { rpc: number; command: string; args: unknown }): boolean {
    this.sent.push(message);
    return true;
  }
  answer(rpc: number, value: unknown, ok = true): void {
    this.emit('message', ok ? { rpc, ok, value } : { rpc, ok, error: String(value) });
  }
}

describe('RpcClient', () => {
  it('resolves each call with its own answer, in any order', async () => {
    const child = new FakeChild();
    const client = new RpcClient(child as unknown as ChildProcess, 'child');
    const first = client.call('a', { x: 1 });
    const second = client.call('b');
    const [one, two] = child.sent;
    child.answer(two?.rpc ?? 0, 'second');
    child.answer(one?.rpc ?? 0, 'first');
    await expect(first).resolves.toBe('first');
    await expect(second).resolves.toBe('second');
    expect(child.sent.map((message) => message.command)).toEqual(['a', 'b']);
  });

  it('rejects a failed command, a timeout and every pending call when the child exits', async () => {
    const child = new FakeChild();
    const client = new RpcClient(child as unknown as ChildProcess, 'child');
    const failed = client.call('a');
    child.answer(child.sent[0]?.rpc ?? 0, 'boom', false);
    await expect(failed).rejects.toThrow(/child: boom/);
    await expect(client.call('slow', {}, 10)).rejects.toThrow(/took longer than 10 ms/);
    const pending = client.call('b');
    child.emit('exit', 1, null);
    await expect(pending).rejects.toBeInstanceOf(RpcError);
    await expect(client.call('c')).rejects.toThrow(/exited \(code 1\)/);
  });
});
