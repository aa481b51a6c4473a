import { generateRunId } from '@agentwirejs/types';
import { type ControlCommand, RedisControlBus, UNKNOWN_REQUEST_CODE } from './control-bus';
import { AgentwireError } from '@agentwirejs/types';
import { BackplaneUnavailableError, InvalidBackplaneArgumentError, RedisComponentClosedError } from './errors';
import { RedisKeys } from './keys';
import type { RedisBackplaneOptions } from './options';
import { eventually, testOptions, testUser, useTestbed } from './redis.test-helpers';

describe('RedisControlBus', () => {
  const bed = useTestbed();

  async function bus(overrides: Partial<RedisBackplaneOptions> = {}): Promise<RedisControlBus> {
    const control = bed.track(new RedisControlBus(testOptions(bed.prefix, overrides)));
    await control.connect();
    return control;
  }

  it('delivers a command to the process it is sent to, and only there', async () => {
    const [sender, owner, bystander] = [await bus(), await bus(), await bus()];
    const received: [ControlCommand, string][] = [];
    const overheard: ControlCommand[] = [];
    owner.onCommand((command, from) => received.push([command, from]));
    bystander.onCommand((command) => overheard.push(command));
    const command = { type: 'cancel_run', userId: testUser('xia'), runId: generateRunId(), payload: { reason: 'user' } };

    expect(await sender.send(owner.processId, command)).toBe(1);

    await eventually(() => received.length === 1, 'the command');
    expect(received).toEqual([[command, sender.processId]]);
    expect(overheard).toEqual([]);
  });

  it('tells the sender when no process listens under that id', async () => {
    const sender = await bus();
    expect(await sender.send('gone-process', { type: 'cancel_run' })).toBe(0);
  });

  it('refuses a malformed command, and reports malformed deliveries without calling handlers', async () => {
    const errors: string[] = [];
    const [sender, owner] = [await bus(), await bus({ onError: (_, context) => errors.push(context) })];
    const received: ControlCommand[] = [];
    owner.onCommand((command) => received.push(command));

    await expect(sender.send(owner.processId, { type: '' })).rejects.toBeInstanceOf(InvalidBackplaneArgumentError);
    await bed.admin.publish(new RedisKeys(bed.prefix).control(owner.processId), 'not json');
    await bed.admin.publish(new RedisKeys(bed.prefix).control(owner.processId), JSON.stringify({ from: 'x', command: { type: 'cancel_run', runId: 'bad id!' } }));

    await eventually(() => errors.length === 2, 'two reports');
    expect(errors).toEqual(['control command', 'control command']);
    expect(received).toEqual([]);
  });

  it('stops delivering to a removed handler, and refuses sends after close', async () => {
    const [sender, owner] = [await bus(), await bus()];
    const received: ControlCommand[] = [];
    const remove = owner.onCommand((command) => received.push(command));
    remove();
    await sender.send(owner.processId, { type: 'cancel_run' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual([]);

    await sender.close();
    expect(sender.status()).toBe('closed');
    await expect(sender.send(owner.processId, { type: 'cancel_run' })).rejects.toBeInstanceOf(RedisComponentClosedError);
  });

  describe('requests', () => {
    it('answers a request with what the target process handler resolved with, and tells the handler who asked', async () => {
      const [asker, owner] = [await bus(), await bus()];
      const seen: [ControlCommand, string][] = [];
      owner.onRequest('read_run', async (command, from) => {
        seen.push([command, from]);
        return { state: 'running', runId: command.runId };
      });
      const command = { type: 'read_run', userId: testUser('ana'), runId: generateRunId() };

      const answer = await asker.request(owner.processId, command);

      expect(answer).toEqual({ ok: true, value: { state: 'running', runId: command.runId } });
      expect(seen).toEqual([[command, asker.processId]]);
    });

    it('answers null when no process listens under that id, and unknown_request when the process has no handler for the type', async () => {
      const [asker, owner] = [await bus(), await bus()];
      expect(await asker.request('gone-process', { type: 'read_run' })).toBeNull();
      expect(await asker.request(owner.processId, { type: 'read_run' })).toEqual({ ok: false, code: UNKNOWN_REQUEST_CODE, message: expect.stringContaining('read_run') });
    });

    it("answers a handler's coded refusal with its code, and any other failure as internal_error reported on the answering side", async () => {
      const errors: string[] = [];
      const [asker, owner] = [await bus(), await bus({ onError: (_, context) => errors.push(context) })];
      owner.onRequest('refuse', async () => {
        throw new AgentwireError('run_ended', 'the run has ended');
      });
      owner.onRequest('crash', async () => {
        throw new Error('bug');
      });

      expect(await asker.request(owner.processId, { type: 'refuse' })).toEqual({ ok: false, code: 'run_ended', message: 'the run has ended' });
      expect(await asker.request(owner.processId, { type: 'crash' })).toEqual({ ok: false, code: 'internal_error', message: expect.stringContaining('crash') });
      expect(errors).toEqual(['control request crash']);
    });

    it('rejects with BackplaneUnavailableError when the process does not answer within requestTimeoutMs', async () => {
      const [asker, owner] = [await bus({ requestTimeoutMs: 200 }), await bus()];
      owner.onRequest('stall', () => new Promise<Record<string, unknown>>(() => undefined));
      await expect(asker.request(owner.processId, { type: 'stall' })).rejects.toBeInstanceOf(BackplaneUnavailableError);
    });

    it('asks every other process, not itself, and collects one answer from each', async () => {
      const buses = [await bus(), await bus(), await bus()];
      buses.forEach((each, index) => each.onRequest('count', async () => ({ index })));
      const [asker] = buses as [RedisControlBus, ...RedisControlBus[]];

      const { asked, answers } = await asker.requestOthers({ type: 'count', userId: testUser('bo') });

      expect(asked).toBe(2);
      expect(answers.map((each) => each.from).sort()).toEqual([buses[1]?.processId, buses[2]?.processId].sort());
      expect(answers.map((each) => each.answer).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
        { ok: true, value: { index: 1 } },
        { ok: true, value: { index: 2 } },
      ]);
    });

    it('resolves with the answers that came in time when a process stays silent, saying how many were asked', async () => {
      const [asker, quick, silent] = [await bus({ requestTimeoutMs: 300 }), await bus(), await bus()];
      quick.onRequest('count', async () => ({ n: 1 }));
      silent.onRequest('count', () => new Promise<Record<string, unknown>>(() => undefined));

      const { asked, answers } = await asker.requestOthers({ type: 'count' });

      expect(asked).toBe(2);
      expect(answers).toEqual([{ from: quick.processId, answer: { ok: true, value: { n: 1 } } }]);
    });

    it('allows one handler per request type, and a removed handler no longer answers', async () => {
      const [asker, owner] = [await bus(), await bus()];
      const remove = owner.onRequest('read_run', async () => ({}));
      expect(() => owner.onRequest('read_run', async () => ({}))).toThrow(InvalidBackplaneArgumentError);
      remove();
      expect(await asker.request(owner.processId, { type: 'read_run' })).toMatchObject({ ok: false, code: UNKNOWN_REQUEST_CODE });
    });

    it('ignores an answer to no pending request, and a malformed answer is reported', async () => {
      const errors: string[] = [];
      const asker = await bus({ onError: (_, context) => errors.push(context) });
      const channel = new RedisKeys(bed.prefix).control(asker.processId);
      await bed.admin.publish(channel, JSON.stringify({ from: 'x', reply_to: 'nobody', answer: { ok: true, value: {} } }));
      await bed.admin.publish(channel, JSON.stringify({ from: 'x', reply_to: 'nobody', answer: { ok: 'maybe' } }));
      await eventually(() => errors.length === 1, 'one report');
      expect(errors).toEqual(['control command']);
    });
  });
});
