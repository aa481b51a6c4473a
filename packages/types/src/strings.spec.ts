import { flatString } from './index';
import { heldHeapBytesEach } from './testing';

/** An answer as an agent builds it from streamed tokens: `answer += token`, 2,000 times. */
function concatenatedAnswer(index: number): string {
  let answer = '';
  for (let token = 0; token < 2_000; token += 1) answer += `w${(index + token) % 1000} `;
  return answer;
}

describe('flatString', () => {
  it('returns the same text', () => {
    const built = concatenatedAnswer(7);
    const copy = built.split('').join('');
    expect(flatString(built)).toBe(copy);
    expect(flatString('')).toBe('');
    expect(flatString('café ☕')).toBe('café ☕');
  });

  it('lets a held string cost the heap about its text, not the pieces it was concatenated from', async () => {
    // 2,000 tokens of 3 to 5 characters: about 9 KB of text. Held as built, every piece and every
    // join stays (about 110 KB measured); flattened, the text once.
    const built = await heldHeapBytesEach(200, concatenatedAnswer);
    const flattened = await heldHeapBytesEach(200, (index) => flatString(concatenatedAnswer(index)));
    expect(flattened.held[3]).toBe(concatenatedAnswer(3));
    // at least the text itself (about 9.8 KB measured), or the measurement did not see it
    expect(flattened.bytesEach).toBeGreaterThan(8_000);
    expect(flattened.bytesEach).toBeLessThan(12_000);
    expect(built.bytesEach).toBeGreaterThan(3 * flattened.bytesEach);
  });
});
