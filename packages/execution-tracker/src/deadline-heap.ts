/** An entry of a DeadlineHeap: a value due at `at` (epoch ms). */
export interface Deadline<T> {
  readonly value: T;
  readonly at: number;
}

interface Node<T> {
  readonly value: T;
  at: number;
  /** Insertion order, so equal deadlines come out first-in first-out. */
  readonly order: number;
  /** Position in the array; -1 once out of the heap. */
  index: number;
}

/**
 * A binary min-heap of deadlines with in-place rescheduling and removal (each entry knows its
 * position). Every live value has exactly one entry, so the heap never grows with heartbeats,
 * and popping what is due costs O(k log n) for k due entries, whatever n is.
 */
export class DeadlineHeap<T> {
  private readonly nodes: Node<T>[] = [];
  private inserted = 0;

  /** Entries in the heap. */
  get size(): number {
    return this.nodes.length;
  }

  /** Adds a value due at `at`; keep the returned entry to reschedule or remove it. */
  push(value: T, at: number): Deadline<T> {
    const node: Node<T> = { value, at, order: this.inserted++, index: this.nodes.length };
    this.nodes.push(node);
    this.up(node.index);
    return node;
  }

  /** The earliest entry, without removing it. */
  peek(): Deadline<T> | undefined {
    return this.nodes[0];
  }

  /** Removes and returns the earliest entry when it is due at `now`. */
  popDue(now: number): Deadline<T> | undefined {
    const top = this.nodes[0];
    if (top === undefined || top.at > now) return undefined;
    this.removeAt(0);
    return top;
  }

  /** Moves an entry to a new deadline (earlier or later); false when it is no longer in the heap. */
  reschedule(entry: Deadline<T>, at: number): boolean {
    const node = this.own(entry);
    if (node === null) return false;
    const earlier = at < node.at;
    node.at = at;
    if (earlier) this.up(node.index);
    else this.down(node.index);
    return true;
  }

  /** Takes an entry out; false when it was already out. */
  remove(entry: Deadline<T>): boolean {
    const node = this.own(entry);
    if (node === null) return false;
    this.removeAt(node.index);
    return true;
  }

  private own(entry: Deadline<T>): Node<T> | null {
    const node = entry as Node<T>;
    return node.index >= 0 && this.nodes[node.index] === node ? node : null;
  }

  private removeAt(index: number): void {
    const node = this.nodes[index] as Node<T>;
    const last = this.nodes.pop() as Node<T>;
    node.index = -1;
    if (last === node) return;
    this.nodes[index] = last;
    last.index = index;
    this.up(index);
    this.down(last.index);
  }

  private before(a: Node<T>, b: Node<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private up(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(this.nodes[child] as Node<T>, this.nodes[parent] as Node<T>)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private down(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let first = parent;
      if (left < this.nodes.length && this.before(this.nodes[left] as Node<T>, this.nodes[first] as Node<T>)) first = left;
      if (right < this.nodes.length && this.before(this.nodes[right] as Node<T>, this.nodes[first] as Node<T>)) first = right;
      if (first === parent) return;
      this.swap(parent, first);
      parent = first;
    }
  }

  private swap(i: number, j: number): void {
    const a = this.nodes[i] as Node<T>;
    const b = this.nodes[j] as Node<T>;
    this.nodes[i] = b;
    this.nodes[j] = a;
    a.index = j;
    b.index = i;
  }
}
