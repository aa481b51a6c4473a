import { countOf, listOf, withItem, withoutItem, type OneOrMany } from './one-or-many';

describe('OneOrMany', () => {
  it('holds nothing, one item, then a Set, and shrinks back to nothing', () => {
    const a = { name: 'a' };
    const b = { name: 'b' };
    let items: OneOrMany<{ name: string }> = null;
    expect(countOf(items)).toBe(0);
    items = withItem(items, a);
    expect(items).toBe(a);
    expect(withItem(items, a)).toBe(a);
    items = withItem(items, b);
    expect(items).toBeInstanceOf(Set);
    expect(countOf(items)).toBe(2);
    expect(listOf(items)).toEqual([a, b]);
    items = withoutItem(items, a);
    expect(listOf(items)).toEqual([b]);
    expect(withoutItem(items, a)).toBe(items);
    items = withoutItem(items, b);
    expect(items).toBeNull();
    expect(listOf(withoutItem(withItem(null, a), b))).toEqual([a]);
  });
});
