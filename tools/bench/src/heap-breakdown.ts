import { readFileSync } from 'node:fs';

/** What a heap snapshot holds of one kind of object: how many and their own (shallow) size. */
export interface HeapGroup {
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

interface SnapshotFile {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly [readonly string[], ...unknown[]] } };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

/** Object groups of a V8 heap snapshot (.heapsnapshot JSON): by node type and constructor or string kind. */
export function heapGroups(snapshot: SnapshotFile): Map<string, { count: number; bytes: number }> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let index = 0; index < snapshot.nodes.length; index += stride) {
    const type = types[snapshot.nodes[index + typeAt] as number] ?? 'unknown';
    const name = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snapshot.strings[snapshot.nodes[index + nameAt] as number] ?? '?'}` : type;
    const group = groups.get(name) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += snapshot.nodes[index + sizeAt] as number;
    groups.set(name, group);
  }
  return groups;
}

/** Per-kind totals: count and bytes. */
export type HeapTotals = ReadonlyMap<string, { readonly count: number; readonly bytes: number }>;

/** V8's own node types under the names a reader knows them by. */
const KIND_LABELS: Readonly<Record<string, string>> = {
  array: '(internal arrays: backing stores of objects, Arrays, Maps, Sets)',
  hidden: '(hidden classes and descriptors)',
  code: '(compiled code)',
  'concatenated string': '(concatenated strings)',
  'sliced string': '(sliced strings)',
  string: '(strings)',
  number: '(heap numbers)',
  'closure ': '(anonymous closures)',
  'object system / Context': '(closure contexts)',
};

/** What grew between two snapshots, divided by `per` (e.g. the connections opened in between); "synthetic" embedder nodes are left out. */
export function heapGrowth(before: HeapTotals, after: HeapTotals, per: number): HeapTotals {
  const growth = new Map<string, { count: number; bytes: number }>();
  for (const [name, group] of after) {
    if (name === 'synthetic') continue;
    const old = before.get(name) ?? { count: 0, bytes: 0 };
    growth.set(KIND_LABELS[name] ?? name, { count: (group.count - old.count) / per, bytes: (group.bytes - old.bytes) / per });
  }
  return growth;
}

/** `a − b` by kind (e.g. what one server keeps per connection beyond another). */
export function heapDifference(a: HeapTotals, b: HeapTotals): HeapTotals {
  const difference = new Map<string, { count: number; bytes: number }>();
  for (const [name, group] of a) {
    const other = b.get(name) ?? { count: 0, bytes: 0 };
    difference.set(name, { count: group.count - other.count, bytes: group.bytes - other.bytes });
  }
  return difference;
}

/** The `top` kinds with the most bytes, rounded for a report. */
export function largest(totals: HeapTotals, top = 12): HeapGroup[] {
  return [...totals.entries()]
    .filter(([, group]) => group.bytes > 0)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, top)
    .map(([name, group]) => ({ name, count: Math.round(group.count * 100) / 100, bytes: Math.round(group.bytes) }));
}

/** `name 123 B (×1)` for each group. */
export function describeGroups(groups: readonly HeapGroup[]): string {
  return groups.map((group) => `${group.name} ${group.bytes} B (×${group.count})`).join(', ');
}

/** Reads a .heapsnapshot file into its groups. */
export function readHeapGroups(file: string): Map<string, { count: number; bytes: number }> {
  return heapGroups(JSON.parse(readFileSync(file, 'utf8')) as SnapshotFile);
}
