import { type StreamRead } from '@agentwirejs/protocols';
import { InMemoryBackplane } from './in-memory-backplane';
import { settle, waitForCount } from '@agentwirejs/protocols/testing';
import type { UserId } from '@agentwirejs/types';
import { ReplayLimitedError } from './errors';
import { UserReplayMeters, chargeReplay, replayWaitMs } from './replay-budget';
import { type Rig, type RigConnection, note, startRig } from './ws-rig.test-helpers';

const uid = (name: string) => name as UserId;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** About 1 KB per envelope. */
const FILLER = 'x'.repeat(1000);

/** An in-memory backplane whose reads wait while `gate` is set. */
class GatedBackplane extends InMemoryBackplane {
  gate: Promise<void> | null = null;
  reads = 0;

  override async readStream(userId: UserId, afterSeq: number): Promise<StreamRead> {
    this.reads += 1;
    if (this.gate !== null) await this.gate;
    return super.readStream(userId, afterSeq);
  }
}

/** Counts the bytes of stream frames (seq not null) a client receives, as they come off the socket. */
function streamBytes(tab: RigConnection): { total: number } {
  const counter = { total: 0 };
  tab.client.ws.on('message', (data: Buffer) => {
    if (!data.toString('utf8').includes('"seq":null')) counter.total += data.length;
  });
  return counter;
}

describe('the replay budget of a connection', () => {
  let rig: Rig | null = null;
  afterEach(async () => {
    await rig?.dispose();
    rig = null;
  });

  async function fill(user: string, count: number): Promise<void> {
    for (const i of range(1, count)) await (rig as Rig).unified.sendToUser(uid(user), note({ i, filler: FILLER }));
  }

  it('drains at bytesPerSecond and lets a replay start only while less than burstBytes is owed', () => {
    const policy = { burstBytes: 10_000, bytesPerSecond: 1000 };
    const meter = { replayOwedBytes: 0, replayOwedAt: 0 };
    expect(replayWaitMs(meter, policy, 1000)).toBe(0);
    chargeReplay(meter, policy, 25_000, 1000);
    // 15,001 bytes over the burst at 1,000 a second.
    expect(replayWaitMs(meter, policy, 1000)).toBe(15_001);
    expect(replayWaitMs(meter, policy, 11_000)).toBe(5001);
    expect(replayWaitMs(meter, policy, 16_001)).toBe(0);
    // A clock that steps back adds no debt.
    expect(replayWaitMs(meter, policy, 5000)).toBe(0);
  });

  it('refuses a resume over budget with REPLAY_LIMITED and the wait, replays nothing for it, and serves the same resume in full after the wait', async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    rig = await startRig({ clock, replayBurstBytes: 10_000, replayBytesPerSecond: 1000 });
    await fill('ada', 20);
    const tab = await rig.connect(rig.unified, 'ada');
    const bytes = streamBytes(tab);

    expect(await rig.unified.resume(tab.connectionId, 0)).toEqual({ replayed: 20, gap: null });
    await tab.client.waitForStream(20);
    const firstReplayBytes = bytes.total;
    expect(firstReplayBytes).toBeGreaterThan(20_000);

    const refusal = await rig.unified.resume(tab.connectionId, 0).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ReplayLimitedError);
    expect(refusal).toMatchObject({ code: 'REPLAY_LIMITED', limit: 'budget', retryAfterMs: firstReplayBytes - 10_000 + 1 });
    expect((refusal as Error).message).toMatch(/replay budget \(10000 bytes at once, then 1000 bytes a second\); resume again in \d+ s/);
    await settle(20);
    expect(tab.client.stream()).toHaveLength(20);

    // Still live meanwhile: nothing is lost.
    await rig.unified.sendToUser(uid('ada'), note({ i: 21 }));
    await tab.client.waitForStream(21);

    clock.t += (refusal as ReplayLimitedError).retryAfterMs;
    expect(await rig.unified.resume(tab.connectionId, 0)).toEqual({ replayed: 21, gap: null });
    const replayedAgain = await tab.client.waitForStream(42);
    expect(replayedAgain.slice(21).map((message) => message.seq)).toEqual(range(1, 21));
  });

  it('serves one replay at a time per connection: a second resume while one runs is refused, the first completes', async () => {
    const backplane = new GatedBackplane({ sweepIntervalMs: 0 });
    rig = await startRig({ backplane });
    await fill('bo', 5);
    const tab = await rig.connect(rig.unified, 'bo');
    let open = (): void => undefined;
    backplane.gate = new Promise<void>((resolve) => (open = resolve));
    const reads = backplane.reads;
    const first = rig.unified.resume(tab.connectionId, 0);
    await waitForCount(() => (backplane.reads > reads ? [1] : []), 1, 5000, 'read');
    await expect(rig.unified.resume(tab.connectionId, 0)).rejects.toMatchObject({ code: 'REPLAY_LIMITED', limit: 'in_progress', retryAfterMs: 0 });
    backplane.gate = null;
    open();
    expect(await first).toEqual({ replayed: 5, gap: null });
    await tab.client.waitForStream(5);
    await settle(20);
    expect(tab.client.stream().map((message) => message.seq)).toEqual(range(1, 5));
    await backplane.close();
  });

  it('always serves the replay a connection opens with (after_seq), and counts it against the budget', async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    rig = await startRig({ clock, replayBurstBytes: 10_000, replayBytesPerSecond: 1000 });
    await fill('cy', 30);
    const tab = await rig.connect(rig.unified, 'cy', { afterSeq: 0 });
    expect((await tab.client.waitForStream(30)).map((message) => message.seq)).toEqual(range(1, 30));
    await expect(rig.unified.resume(tab.connectionId, 0)).rejects.toMatchObject({ code: 'REPLAY_LIMITED', limit: 'budget' });
    // Another connection of the same user has its own budget: a reconnect gets everything.
    const other = await rig.connect(rig.unified, 'cy', { afterSeq: 10 });
    expect((await other.client.waitForStream(20)).map((message) => message.seq)).toEqual(range(11, 30));
  });

  it('keeps what a connection receives from resumes within burst + rate × time + one replay, however often it asks', async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    const policy = { replayBurstBytes: 20_000, replayBytesPerSecond: 2000 };
    rig = await startRig({ clock, ...policy });
    await fill('dee', 15);
    const tab = await rig.connect(rig.unified, 'dee');
    const bytes = streamBytes(tab);
    let served = 0;
    let refused = 0;
    const steps = 120;
    const stepMs = 250; // 30 s of asking four times a second
    for (let step = 0; step < steps; step += 1) {
      const outcome = await rig.unified.resume(tab.connectionId, 0).then(
        () => 'served',
        (error: unknown) => (error as { code?: string }).code,
      );
      if (outcome === 'served') served += 1;
      else if (outcome === 'REPLAY_LIMITED') refused += 1;
      clock.t += stepMs;
    }
    await tab.client.waitForStream(served * 15);
    await settle(20);
    const oneReplay = bytes.total / served;
    const bound = policy.replayBurstBytes + (policy.replayBytesPerSecond * steps * stepMs) / 1000 + oneReplay;
    expect(bytes.total).toBeLessThanOrEqual(bound);
    expect(served).toBeGreaterThan(1);
    expect(refused).toBeGreaterThan(steps / 2);
    expect(served + refused).toBe(steps);
  });
});

describe('the replay budget of a user, across connections and reconnections', () => {
  it('lets replays start while the user owes less than the burst, drains at the rate, and forgets a drained user', () => {
    let now = 1_000;
    const meters = new UserReplayMeters<string>({ burstBytes: 1000, bytesPerSecond: 100 }, () => now);
    expect(meters.waitMs('ann')).toBe(0);
    meters.charge('ann', 600);
    expect(meters.waitMs('ann')).toBe(0); // 600 owed < 1000
    meters.charge('ann', 600); // another connection of ann: 1200 owed
    expect(meters.waitMs('ann')).toBe(2010); // (1200 - 1000 + 1) bytes at 100 a second
    expect(meters.waitMs('bob')).toBe(0); // another user is not touched
    now += 2010;
    expect(meters.waitMs('ann')).toBe(0);
    now += 10_000;
    expect(meters.waitMs('ann')).toBe(0);
    expect(meters.size).toBe(0); // drained: nothing kept for ann
  });

  it('keeps at most the users who still owe something, however many come and go', () => {
    let now = 0;
    const meters = new UserReplayMeters<number>({ burstBytes: 10, bytesPerSecond: 1000 }, () => now);
    for (let user = 0; user < 10_000; user += 1) {
      meters.charge(user, 5);
      now += 10; // each debt drains within 5 ms
    }
    expect(meters.size).toBeLessThan(200);
  });
});
