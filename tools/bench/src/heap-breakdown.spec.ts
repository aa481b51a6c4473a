import { describeGroups, heapDifference, heapGroups, heapGrowth, largest } from './heap-breakdown';

/** A snapshot in V8's format: nodes as flat [type, name, self_size] triples. */
function snapshotOf(nodes: [type: number, name: number, size: number][]) {
  return {
    snapshot: { meta: { node_fields: ['type', 'name', 'self_size'], node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure', 'synthetic']] as [string[]] } },
    nodes: nodes.flat(),
    strings: ['Conn', 'Pino', '', 'x'],
  };
}

describe('heap snapshots, by kind', () => {
  const before = heapGroups(snapshotOf([[3, 0, 100], [1, 3, 50]]));
  const after = heapGroups(snapshotOf([[3, 0, 100], [3, 0, 100], [3, 0, 100], [3, 1, 56], [3, 1, 56], [1, 3, 270], [6, 3, 400], [2, 3, 30]]));

  it('groups objects and closures by constructor and everything else by V8 kind', () => {
    expect(after.get('object Conn')).toEqual({ count: 3, bytes: 300 });
    expect(after.get('object Pino')).toEqual({ count: 2, bytes: 112 });
    expect(after.get('array')).toEqual({ count: 1, bytes: 270 });
  });

  it('gives the growth per unit with readable kind names, without synthetic nodes, largest first', () => {
    const growth = heapGrowth(before, after, 2);
    expect(largest(growth)).toEqual([
      { name: '(internal arrays: backing stores of objects, Arrays, Maps, Sets)', count: 0, bytes: 110 },
      { name: 'object Conn', count: 1, bytes: 100 },
      { name: 'object Pino', count: 1, bytes: 56 },
      { name: '(strings)', count: 0.5, bytes: 15 },
    ]);
    expect(describeGroups(largest(growth, 1))).toBe('(internal arrays: backing stores of objects, Arrays, Maps, Sets) 110 B (×0)');
  });

  it('tells what one server keeps per connection beyond another', () => {
    const lean = new Map([['object Conn', { count: 1, bytes: 100 }]]);
    const heavy = new Map([
      ['object Conn', { count: 1, bytes: 100 }],
      ['object Pino', { count: 1, bytes: 56 }],
    ]);
    expect(largest(heapDifference(heavy, lean))).toEqual([{ name: 'object Pino', count: 1, bytes: 56 }]);
  });
});
