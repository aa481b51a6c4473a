import { generateRunId } from '@agentwire/types';
import { type ControlCommand, RedisControlBus } from './control-bus';
import { InvalidBackplaneArgumentError, RedisComponentClosedError } from './errors';
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
});
