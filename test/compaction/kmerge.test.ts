import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromTuples, batchToTuples, isStrictlySorted } from '../../compaction/entries';
import { kMerge } from '../../compaction/kmerge';

type Tuple = [number, number, number];

const cmp = (a: Tuple, b: Tuple) => a[0] - b[0] || a[1] - b[1];

/** Sorted, duplicate-free runs drawn from a small (key, lsn) grid so runs share entries. */
const runs = fc.array(
  fc
    .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 40 })), {
      selector: ([k, l]) => `${k}:${l}`,
      maxLength: 60,
    })
    .map((pairs) => pairs.map(([k, l]): Tuple => [k, l, k * 1000 + l]).sort(cmp)),
  { maxLength: 8 },
);

describe('kMerge', () => {
  it('merges a hand-made example in (key, lsn) order, dropping duplicates', () => {
    const a = batchFromTuples([
      [1, 10, 5],
      [1, 30, 5],
      [4, 5, 5],
    ]);
    const b = batchFromTuples([
      [0, 99, 7],
      [1, 10, 5],
      [1, 20, 7],
      [4, 6, 7],
    ]);
    const c = batchFromTuples([]);
    expect(batchToTuples(kMerge([a, c, b]))).toEqual([
      [0, 99, 7],
      [1, 10, 5],
      [1, 20, 7],
      [1, 30, 5],
      [4, 5, 5],
      [4, 6, 7],
    ]);
  });

  it('yields sorted, de-duplicated output holding exactly the union of its inputs', () => {
    fc.assert(
      fc.property(runs, (inputs) => {
        const out = kMerge(inputs.map(batchFromTuples));
        expect(isStrictlySorted(out)).toBe(true);
        const expected = new Map<string, Tuple>();
        for (const run of inputs) for (const t of run) expected.set(`${t[0]}:${t[1]}`, t);
        expect(batchToTuples(out)).toEqual([...expected.values()].sort(cmp));
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order of its inputs', () => {
    fc.assert(
      fc.property(runs, (inputs) => {
        const forward = batchToTuples(kMerge(inputs.map(batchFromTuples)));
        const backward = batchToTuples(kMerge([...inputs].reverse().map(batchFromTuples)));
        expect(backward).toEqual(forward);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses unsorted input instead of mis-merging it', () => {
    const bad = batchFromTuples([
      [2, 1, 1],
      [1, 1, 1],
    ]);
    expect(() => kMerge([bad])).toThrow(/not .*sorted/);
    const badLsn = batchFromTuples([
      [1, 5, 1],
      [1, 4, 1],
    ]);
    expect(() => kMerge([batchFromTuples([[0, 0, 1]]), badLsn])).toThrow(/not .*sorted/);
  });

  it('handles many inputs with long runs from one input', () => {
    const inputs = Array.from({ length: 20 }, (_, r) =>
      batchFromTuples(Array.from({ length: 50 }, (_, i): Tuple => [r * 50 + i, r, 1])),
    );
    const out = kMerge([...inputs].reverse());
    expect(out.keys.length).toBe(1000);
    expect(Array.from(out.keys)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
