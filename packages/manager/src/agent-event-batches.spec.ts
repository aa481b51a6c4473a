import { type AgentEvent, type Backplane, checkEventStreams, checkUserStream } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { InMemoryBackplane } from './in-memory-backplane';
import { type Rig, V2, smallRun, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;

/** An in-memory backplane that does not offer appendBatchToUser, as a third-party backplane may not. */
function withoutBatches(inner: InMemoryBackplane): Backplane {
  return new Proxy(inner, {
    get: (target, key) => {
      if (key === 'appendBatchToUser') return undefined;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * emitAgentEvents: several events of one user in one call, with one promise (what the execution
 * tracker hands a run's queued events to). The user's connections see exactly what one
 * emitAgentEvent per event would have sent them.
 */
describe.each([
  ['a backplane that appends a batch in one call', (): InMemoryBackplane | Backplane => new InMemoryBackplane()],
  ['a backplane without appendBatchToUser (one appendToUser each)', (): InMemoryBackplane | Backplane => withoutBatches(new InMemoryBackplane())],
])('emitAgentEvents over %s', (_name, makeBackplane) => {
  let rig: Rig;
  let backplane: InMemoryBackplane | Backplane;
  beforeEach(async () => {
    backplane = makeBackplane();
    rig = await startRig({ backplane });
  });
  afterEach(async () => {
    await rig.dispose();
    await backplane.close();
  });

  it('sends the events in order, each with the next seq, to every connection of the user and to no one else', async () => {
    const [a1, a2] = [await rig.connect(rig.unified, 'alice', V2), await rig.connect(rig.unified, 'alice', V2)];
    const bob = await rig.connect(rig.unified, 'bob', V2);
    const run = smallRun('run-batch');
    await expect(rig.unified.emitAgentEvents(uid('alice'), run)).resolves.toBeNull();
    for (const connection of [a1, a2]) {
      const stream = await connection.client.waitForStream(run.length);
      expect(stream.map((message) => [message.seq, message.type])).toEqual(run.map((event, index) => [index + 1, event.type]));
      expect(checkUserStream(stream, 'alice').problems).toEqual([]);
      expect(checkEventStreams(stream).problems).toEqual([]);
    }
    expect(await rig.unified.getLastSeq(uid('bob'))).toBe(0);
    expect(bob.client.stream()).toEqual([]);
  });

  it('refuses an invalid event alone, in its slot, and sends the others in order', async () => {
    const alice = await rig.connect(rig.unified, 'alice', V2);
    const [started, ...rest] = smallRun('run-mixed');
    const broken = { ...started, payload: { type: 'RUN_STARTED', input: 'no ids' } } as unknown as AgentEvent;
    const failures = await rig.unified.emitAgentEvents(uid('alice'), [started as AgentEvent, broken, ...rest]);
    expect(failures).toHaveLength(rest.length + 2);
    expect(failures?.map((failure) => (failure as { code?: string } | undefined)?.code)).toEqual([undefined, 'INVALID_AGENT_EVENT', ...rest.map(() => undefined)]);
    const stream = await alice.client.waitForStream(rest.length + 1);
    expect(stream.map((message) => message.type)).toEqual([started, ...rest].map((event) => event?.type));
    expect(checkEventStreams(stream).problems).toEqual([]);
  });

  it("keeps a bound sink's batches to its user: another user's batch is refused as a whole and counted; eventsChecked skips the second check", async () => {
    const alice = await rig.connect(rig.unified, 'alice', V2);
    const sink = rig.unified.forUser(uid('alice'));
    const [started] = smallRun('run-bound');
    await expect(sink.emitAgentEvents?.(uid('bob'), [started as AgentEvent])).rejects.toMatchObject({ code: 'ISOLATION_VIOLATION' });
    expect(rig.unified.getStats().isolationViolations).toBe(1);
    expect(await rig.unified.getLastSeq(uid('bob'))).toBe(0);
    const unchecked = { ...started, payload: { type: 'RUN_STARTED', input: 'no ids' } } as unknown as AgentEvent;
    expect((await sink.emitAgentEvents?.(uid('alice'), [unchecked]))?.map((failure) => (failure as { code?: string }).code)).toEqual(['INVALID_AGENT_EVENT']);
    await expect(rig.unified.forUser(uid('alice'), { eventsChecked: true }).emitAgentEvents?.(uid('alice'), [unchecked])).resolves.toBeNull();
    const [message] = await alice.client.waitForStream(1);
    expect(message).toMatchObject({ type: 'RUN_STARTED', user_id: 'alice', seq: 1, payload: { input: 'no ids' } });
  });

  it('refuses a batch that is not an array with a clear error, and sends nothing', async () => {
    for (const events of [null, undefined, 'RUN_STARTED', { length: 1, 0: smallRun('run-odd')[0] }]) {
      await expect(rig.unified.emitAgentEvents(uid('alice'), events as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(rig.unified.forUser(uid('alice'), { eventsChecked: true }).emitAgentEvents(uid('alice'), events as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(await rig.unified.getLastSeq(uid('alice'))).toBe(0);
  });

  it('refuses a batch as a whole once the manager is shut down', async () => {
    await rig.factory.shutdown();
    await expect(rig.unified.emitAgentEvents(uid('alice'), smallRun('run-late'))).rejects.toMatchObject({ code: 'MANAGER_SHUT_DOWN' });
  });
});
