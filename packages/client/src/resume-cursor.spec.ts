import { ResumeCursor } from './resume-cursor';

describe('ResumeCursor: the bookkeeping of a resumed stream', () => {
  it('without a start position, takes the greeting’s last_seq and resumes from there', () => {
    const position = new ResumeCursor();
    expect(position.resumeQuery()).toBeNull();
    expect(position.greet('e1', 7)).toBe('fresh');
    expect(position.point).toEqual({ seq: 7, epoch: 'e1' });
    expect(position.resumeQuery()).toEqual({ after_seq: 7, epoch: 'e1' });
  });

  it('with a start position, resumes from it on the first connection (seq 0: everything kept)', () => {
    const position = new ResumeCursor({ seq: 0, epoch: null });
    expect(position.resumeQuery()).toEqual({ after_seq: 0, epoch: null });
    expect(position.greet('e1', 3)).toBe('continued');
    expect([1, 2, 3].map((seq) => position.accept(seq).fresh)).toEqual([true, true, true]);
  });

  it('drops every envelope whose seq is not above the position, and keeps the last seq as the position', () => {
    const position = new ResumeCursor();
    position.greet('e1', 0);
    expect([1, 2, 2, 1, 3].map((seq) => position.accept(seq).fresh)).toEqual([true, true, false, false, true]);
    expect(position.point.seq).toBe(3);
  });

  it('takes a compacted delta (first_seq..seq) as all of its positions: seq becomes the position, no jump reported', () => {
    const position = new ResumeCursor();
    position.greet('e1', 4);
    expect(position.accept(9, 5)).toEqual({ fresh: true, missed: null });
    expect(position.point.seq).toBe(9);
    // a fold that ends at or before the position is a repeat
    expect(position.accept(9, 6).fresh).toBe(false);
    expect(position.accept(8, 5).fresh).toBe(false);
  });

  it('reports positions skipped without an announcement, once', () => {
    const position = new ResumeCursor();
    position.greet('e1', 2);
    expect(position.accept(6)).toEqual({ fresh: true, missed: { from_seq: 3, to_seq: 5 } });
    expect(position.accept(7)).toEqual({ fresh: true, missed: null });
    expect(position.accept(12, 10)).toEqual({ fresh: true, missed: { from_seq: 8, to_seq: 9 } });
  });

  it('does not report again a jump over positions a replay_gap announced', () => {
    const position = new ResumeCursor();
    position.greet('e1', 2);
    position.announce({ from_seq: 3, to_seq: 10 });
    expect(position.accept(11)).toEqual({ fresh: true, missed: null });
  });

  it('starts over on another epoch: the position goes to 0, so the new stream’s 1, 2, 3… are not taken for repeats', () => {
    const position = new ResumeCursor();
    position.greet('e1', 52);
    expect(position.greet('e2', 3)).toBe('started_over');
    expect(position.point).toEqual({ seq: 0, epoch: 'e2' });
    expect([1, 2, 3].map((seq) => position.accept(seq).fresh)).toEqual([true, true, true]);
  });

  it('starts over when the latest position is below its own in the same epoch', () => {
    const position = new ResumeCursor({ seq: 40, epoch: null });
    expect(position.greet('e1', 10)).toBe('started_over');
    expect(position.point).toEqual({ seq: 10, epoch: 'e1' });
    expect(position.accept(11).fresh).toBe(true);
  });

  it('continues in the same epoch', () => {
    const position = new ResumeCursor();
    position.greet('e1', 5);
    position.accept(6);
    expect(position.greet('e1', 9)).toBe('continued');
    expect(position.resumeQuery()).toEqual({ after_seq: 6, epoch: 'e1' });
  });
});
