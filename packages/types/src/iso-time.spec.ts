import { IsoTimeText } from './index';

describe('IsoTimeText', () => {
  it('writes what Date.prototype.toISOString writes, for each millisecond asked', () => {
    const times = new IsoTimeText();
    for (const at of [0, 1, 1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_999, 1_700_000_000_000, -1, 8.64e15]) {
      expect(times.of(at)).toBe(new Date(at).toISOString());
    }
  });

  it('formats a millisecond once while it is asked again', () => {
    const times = new IsoTimeText();
    const spy = jest.spyOn(Date.prototype, 'toISOString');
    try {
      const first = times.of(1_700_000_000_000);
      for (let i = 0; i < 100; i += 1) expect(times.of(1_700_000_000_000)).toBe(first);
      expect(spy).toHaveBeenCalledTimes(1);
      times.of(1_700_000_000_001);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('throws as toISOString does for a time outside the Date range', () => {
    expect(() => new IsoTimeText().of(8.64e15 + 1)).toThrow(RangeError);
    expect(() => new IsoTimeText().of(Number.NaN)).toThrow(RangeError);
  });
});
