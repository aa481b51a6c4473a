import type { UserId } from '@agentwirejs/types';
import { ABUSE_COOLDOWN_MS, AbuseCooldown } from './abuse-cooldown';

const uid = (name: string) => name as UserId;

describe('AbuseCooldown', () => {
  it(`refuses a cut-off user for ${ABUSE_COOLDOWN_MS} ms, counting down in whole seconds, and nobody else`, () => {
    const clock = { t: 1_000_000 };
    const cooldown = new AbuseCooldown(() => clock.t);
    cooldown.start(uid('mallory'));
    expect(cooldown.retryAfterSeconds(uid('mallory'))).toBe(Math.ceil(ABUSE_COOLDOWN_MS / 1000));
    expect(cooldown.retryAfterSeconds(uid('alice'))).toBe(0);
    clock.t += ABUSE_COOLDOWN_MS - 1;
    expect(cooldown.retryAfterSeconds(uid('mallory'))).toBe(1);
    clock.t += 1;
    expect(cooldown.retryAfterSeconds(uid('mallory'))).toBe(0);
    expect(cooldown.size).toBe(0);
  });

  it('starts over when the user is cut off again', () => {
    const clock = { t: 0 };
    const cooldown = new AbuseCooldown(() => clock.t, 2000);
    cooldown.start(uid('mallory'));
    clock.t += 1500;
    cooldown.start(uid('mallory'));
    clock.t += 1500;
    expect(cooldown.retryAfterSeconds(uid('mallory'))).toBe(1);
  });

  it('keeps its table bounded by the users cut off recently, not by everyone ever cut off', () => {
    const clock = { t: 0 };
    const cooldown = new AbuseCooldown(() => clock.t, 1000);
    for (let user = 0; user < 10_000; user += 1) {
      cooldown.start(uid(`user-${user}`));
      clock.t += 10; // 100 users a second, each listed for one second
    }
    expect(cooldown.size).toBeLessThanOrEqual(2 * 100 + 64);
  });
});
