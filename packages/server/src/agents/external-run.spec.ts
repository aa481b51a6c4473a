import { EventSchemas } from '@ag-ui/core/schemas';
import { DeliveryRefusedError, ExternalRunFeeds } from './external-run';
import type { RemoteEvent } from './remote-agent-events';
import { RecordingRemoteLogger, TrackerRig } from './remote-agent.test-helpers';

const event = (json: Record<string, unknown>): RemoteEvent => EventSchemas.parse(json);
const text = (messageId: string, ...deltas: string[]): RemoteEvent[] => [
  event({ type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' }),
  ...deltas.map((delta) => event({ type: 'TEXT_MESSAGE_CONTENT', messageId, delta })),
  event({ type: 'TEXT_MESSAGE_END', messageId }),
];
const finished = (result?: string): RemoteEvent => event({ type: 'RUN_FINISHED', threadId: 't', runId: 'r', ...(result === undefined ? {} : { result }) });

describe('an external run (ExternalRunFeed) run by the real execution tracker', () => {
  let rig: TrackerRig;
  let logger: RecordingRemoteLogger;
  let feeds: ExternalRunFeeds;

  beforeEach(() => {
    rig = new TrackerRig();
    logger = new RecordingRemoteLogger();
    feeds = new ExternalRunFeeds(logger);
  });
  afterEach(async () => {
    await rig.close();
  });

  function start(userId = 'alice', options: { timeoutMs?: number } = {}) {
    const feed = feeds.create('billing');
    const started = rig.start(feed, {}, userId, options);
    feeds.register(userId as never, started.runId as never, feed, started.outcome);
    return { feed, ...started };
  }

  it("puts delivered events into the run in order and completes it with RUN_FINISHED's result", async () => {
    const { feed, runId, outcome } = start();
    // delivered at once, before the tracker has started the agent: they wait for it
    const first = feed.deliver(text('m1', 'Hel', 'lo'));
    const second = feed.deliver([...text('m2', ' again'), finished('done')]);
    expect(await first).toEqual({ accepted: 4, finished: false });
    expect(await second).toEqual({ accepted: 4, finished: true });
    const result = await outcome;
    expect([result.state, result.finalResponse]).toEqual(['completed', 'done']);
    expect(rig.types(runId)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    expect(feeds.get('alice' as never, runId as never)).toBeNull();
  });

  it('refuses events after the end, whether in the same delivery or a later one, and logs the ones it dropped', async () => {
    const { feed, runId, outcome } = start();
    const refused = await feed.deliver([...text('m1', 'x'), finished(), ...text('m2', 'late')]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DeliveryRefusedError);
    expect(refused).toMatchObject({ reason: 'run_ended', accepted: 4 });
    await expect(feed.deliver(text('m3', 'later'))).rejects.toMatchObject({ reason: 'run_ended', accepted: 0 });
    expect((await outcome).state).toBe('completed');
    expect(rig.types(runId).filter((type) => type === 'TEXT_MESSAGE_START')).toHaveLength(1);
    expect(logger.warnings).toHaveLength(1);
  });

  it("ends the run with remote_protocol_error at an event that breaks AG-UI's order, and with remote_run_error at RUN_ERROR", async () => {
    const broken = start();
    await expect(broken.feed.deliver([event({ type: 'TEXT_MESSAGE_END', messageId: 'never' })])).rejects.toMatchObject({ reason: 'order_violation', accepted: 0 });
    expect((await broken.outcome).error?.code).toBe('remote_protocol_error');

    const failed = start();
    expect(await failed.feed.deliver([event({ type: 'RUN_ERROR', message: 'billing is down', code: 'down' })])).toEqual({ accepted: 1, finished: true });
    const outcome = await failed.outcome;
    expect([outcome.state, outcome.error?.code]).toEqual(['failed', 'remote_run_error']);
    expect(outcome.error?.message).toContain('billing is down');
  });

  it('ends at cancel or timeout like any run, and refuses what comes after', async () => {
    const cancelled = start();
    await cancelled.feed.deliver(text('m1', 'x').slice(0, 2));
    await rig.trackerFor('alice').cancel(cancelled.runId, 'stop');
    expect((await cancelled.outcome).state).toBe('cancelled');
    await expect(cancelled.feed.deliver(text('m1', 'y').slice(1))).rejects.toMatchObject({ reason: 'run_ended' });

    const timed = start('alice', { timeoutMs: 100 });
    expect((await timed.outcome).state).toBe('timed_out');
    await expect(timed.feed.deliver([finished()])).rejects.toMatchObject({ reason: 'run_ended' });
  });

  it("is found only under its own user: another user's lookup of the run finds nothing", () => {
    const { runId } = start('alice');
    expect(feeds.get('alice' as never, runId as never)).not.toBeNull();
    expect(feeds.get('mallory' as never, runId as never)).toBeNull();
  });
});
