/**
 * A small collection held as nothing, one item, or a Set from the second item on. Most users
 * and managers hold exactly one of a thing (a connection, a manager), and a Set for one item
 * costs about 150 bytes per idle connection.
 */
export type OneOrMany<T extends object> = T | Set<T> | null;

export function withItem<T extends object>(items: OneOrMany<T>, item: T): OneOrMany<T> {
  if (items === null) return item;
  if (items instanceof Set) return items.add(item);
  return items === item ? items : new Set([items, item]);
}

/** The collection without `item`; null once empty. */
export function withoutItem<T extends object>(items: OneOrMany<T>, item: T): OneOrMany<T> {
  if (items === item) return null;
  if (!(items instanceof Set)) return items;
  items.delete(item);
  return items.size === 0 ? null : items;
}

export function countOf<T extends object>(items: OneOrMany<T>): number {
  return items === null ? 0 : items instanceof Set ? items.size : 1;
}

/** The items, as a new array. */
export function listOf<T extends object>(items: OneOrMany<T>): T[] {
  return items === null ? [] : items instanceof Set ? [...items] : [items];
}
