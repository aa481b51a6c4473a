import type { ConnectionId } from '@agentwirejs/types';
import { fakeConnection, recordingLogger, type FakeConnection } from './fake-connection.test-helpers';
import { MessageRouter } from './message-router';
import { createRateLimit, type RateLimitOptions } from './rate-limit';
import type { RouteContext } from './route-context';

/** A router with the rate limit in front of a ping handler, on a clock the test moves. */
function limitedRouter(options: Partial<RateLimitOptions> = {}) {
  let time = 1_000;
  const abuse: { context: RouteContext; rejections: number }[] = [];
  const rateLimit = createRateLimit({
    perSecond: 4,
    burst: 3,
    closeAfterRejections: 5,
    onSustainedAbuse: (context, rejections) => void abuse.push({ context, rejections }),
    now: () => time,
    ...options,
  });
  const router = new MessageRouter({ logger: recordingLogger() }).use(rateLimit.middleware).on('ping', () => {});
  /** Sends n frames and returns the status of each. */
  const send = async (connection: FakeConnection, n: number, raw = '{"type":"ping"}') => {
    const statuses: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const outcome = await router.route(connection.context, raw);
      statuses.push(outcome.status === 'rejected' ? outcome.code : outcome.status);
    }
    return statuses;
  };
  const advance = (ms: number) => {
    time += ms;
  };
  return { rateLimit, send, advance, abuse };
}

const ok = 'handled';
const limited = 'rate_limited';

describe('createRateLimit', () => {
  it('lets a new connection send `burst` frames at once and rejects the next with rate_limited', async () => {
    const { send } = limitedRouter();
    const alice = fakeConnection();

    expect(await send(alice, 4)).toEqual([ok, ok, ok, limited]);
    expect(alice.replies.at(-1)).toEqual({
      type: 'error',
      payload: { code: 'rate_limited', message: 'rate limit exceeded: at most 4 messages a second (burst 3)' },
    });
  });

  it('refills `perSecond` tokens a second, in fractions', async () => {
    const { send, advance } = limitedRouter();
    const alice = fakeConnection();
    await send(alice, 3);

    advance(249);
    expect(await send(alice, 1)).toEqual([limited]);
    advance(1); // 250 ms at 4 a second: one token
    expect(await send(alice, 2)).toEqual([ok, limited]);
    advance(500);
    expect(await send(alice, 3)).toEqual([ok, ok, limited]);
  });

  it('never holds more than `burst` tokens, however long the connection was quiet', async () => {
    const { send, advance } = limitedRouter();
    const alice = fakeConnection();
    await send(alice, 1);
    advance(60_000);
    expect(await send(alice, 4)).toEqual([ok, ok, ok, limited]);
  });

  it('counts every frame, valid or not', async () => {
    const { send } = limitedRouter();
    const alice = fakeConnection();
    expect(await send(alice, 3, 'garbage')).toEqual(['invalid_json', 'invalid_json', 'invalid_json']);
    expect(await send(alice, 1)).toEqual([limited]);
  });

  it('keeps one bucket per connection: one connection at its limit does not slow another, even of the same user', async () => {
    const { send } = limitedRouter();
    const first = fakeConnection('alice', 'conn-1');
    const second = fakeConnection('alice', 'conn-2');
    expect(await send(first, 4)).toEqual([ok, ok, ok, limited]);
    expect(await send(second, 3)).toEqual([ok, ok, ok]);
  });

  it('reports sustained abuse once, on the closeAfterRejections-th rejection in a row, with the connection context', async () => {
    const { send, abuse } = limitedRouter({ closeAfterRejections: 5 });
    const alice = fakeConnection();
    await send(alice, 3);

    await send(alice, 4);
    expect(abuse).toEqual([]);
    await send(alice, 1);
    expect(abuse).toEqual([{ context: alice.context, rejections: 5 }]);
    expect(await send(alice, 10)).toEqual(Array(10).fill(limited));
    expect(abuse).toHaveLength(1);
  });

  it('starts a new streak after an accepted frame', async () => {
    const { send, advance, abuse } = limitedRouter({ closeAfterRejections: 3 });
    const alice = fakeConnection();
    await send(alice, 3);
    await send(alice, 2);
    advance(250);
    expect(await send(alice, 1)).toEqual([ok]);
    await send(alice, 2);
    expect(abuse).toEqual([]);
    await send(alice, 1);
    expect(abuse).toHaveLength(1);
    advance(250);
    await send(alice, 4);
    expect(abuse).toHaveLength(2);
  });

  it('answers internal_error when the abuse callback throws (and the router logs it)', async () => {
    const { send } = limitedRouter({
      closeAfterRejections: 1,
      onSustainedAbuse: () => {
        throw new Error('close failed');
      },
    });
    const alice = fakeConnection();
    expect(await send(alice, 5)).toEqual([ok, ok, ok, 'error', limited]);
  });

  it('forgets a connection: its state is dropped and it starts again with a full bucket', async () => {
    const { rateLimit, send } = limitedRouter();
    const alice = fakeConnection('alice', 'conn-a');
    const bob = fakeConnection('bob', 'conn-b');
    await send(alice, 4);
    await send(bob, 1);
    expect(rateLimit.trackedConnections).toBe(2);

    rateLimit.forget('conn-a' as ConnectionId);
    rateLimit.forget('conn-unknown' as ConnectionId);

    expect(rateLimit.trackedConnections).toBe(1);
    expect(await send(alice, 4)).toEqual([ok, ok, ok, limited]);
  });

  it('does not drain the bucket when the clock steps back', async () => {
    const { send, advance } = limitedRouter();
    const alice = fakeConnection();
    await send(alice, 2);
    advance(-10_000);
    expect(await send(alice, 2)).toEqual([ok, limited]);
  });

  it('uses a monotonic clock of its own when none is given', async () => {
    const rateLimit = createRateLimit({ perSecond: 1, burst: 1, closeAfterRejections: 1, onSustainedAbuse: () => {} });
    const { context } = fakeConnection();
    expect(rateLimit.middleware(context, '{}')).toBeUndefined();
    expect(rateLimit.middleware(context, '{}')).toMatchObject({ code: 'rate_limited' });
  });

  it('refuses invalid options, naming every problem (ROUTER_INVALID_OPTION)', () => {
    const make = () =>
      createRateLimit({ perSecond: 0, burst: 1.5, closeAfterRejections: 0, onSustainedAbuse: undefined as never, now: 5 as never });
    expect(make).toThrow(expect.objectContaining({ code: 'ROUTER_INVALID_OPTION' }));
    expect(make).toThrow(/perSecond.*; burst.*; closeAfterRejections.*; onSustainedAbuse.*; now/);
    expect(() => createRateLimit({ perSecond: Number.NaN, burst: 1, closeAfterRejections: 1, onSustainedAbuse: () => {} })).toThrow(/perSecond/);
  });
});
