import type { EntryBatch } from './types';

/**
 * K-way merge of sorted entry batches into one batch sorted strictly by (key, lsn).
 *
 * A (key, lsn) pair present in several inputs is emitted once (from the input listed first).
 * Inputs must each be sorted by (key, lsn); an out-of-order input is an error, not silently
 * mis-merged. The result is deterministic for given inputs and their order.
 */
export function kMerge(inputs: readonly EntryBatch[]): EntryBatch {
  let total = 0;
  const runs: EntryBatch[] = [];
  for (const b of inputs) {
    if (b.keys.length > 0) {
      runs.push(b);
      total += b.keys.length;
    }
  }
  const outKeys = new Float64Array(total);
  const outLsns = new Float64Array(total);
  const outSizes = new Uint32Array(total);
  const k = runs.length;

  // Min-heap of run indices ordered by the run's head (key, lsn), ties by run index.
  const pos = new Int32Array(k);
  const headKey = new Float64Array(k);
  const headLsn = new Float64Array(k);
  const heap = new Int32Array(k);
  let heapSize = 0;

  const less = (a: number, b: number): boolean => {
    const ka = headKey[a]!;
    const kb = headKey[b]!;
    if (ka !== kb) return ka < kb;
    const la = headLsn[a]!;
    const lb = headLsn[b]!;
    if (la !== lb) return la < lb;
    return a < b;
  };

  const siftDown = (start: number): void => {
    let i = start;
    const item = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heapSize) break;
      const r = l + 1;
      let c = l;
      if (r < heapSize && less(heap[r]!, heap[l]!)) c = r;
      if (!less(heap[c]!, item)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = item;
  };

  for (let r = 0; r < k; r++) {
    const run = runs[r]!;
    headKey[r] = run.keys[0]!;
    headLsn[r] = run.lsns[0]!;
    heap[heapSize++] = r;
  }
  for (let i = (heapSize >> 1) - 1; i >= 0; i--) siftDown(i);

  let n = 0;
  let lastKey = Number.NaN;
  let lastLsn = Number.NaN;
  while (heapSize > 0) {
    const r = heap[0]!;
    const run = runs[r]!;
    const rk = run.keys;
    const rl = run.lsns;
    const rs = run.sizes;
    let p = pos[r]!;
    // Pull consecutive entries from this run while it stays the minimum: long runs of a single
    // input (common with key-partitioned inputs) then cost no heap work.
    const second = heapSize > 1 ? secondBest() : -1;
    const limitKey = second >= 0 ? headKey[second]! : Number.POSITIVE_INFINITY;
    const limitLsn = second >= 0 ? headLsn[second]! : Number.POSITIVE_INFINITY;
    const limitRun = second;
    const len = rk.length;
    for (;;) {
      const key = rk[p]!;
      const lsn = rl[p]!;
      if (key !== lastKey || lsn !== lastLsn) {
        if (key < lastKey || (key === lastKey && lsn < lastLsn)) {
          throw new Error(`kMerge: input ${r} is not sorted by (key, lsn) at entry ${p}`);
        }
        outKeys[n] = key;
        outLsns[n] = lsn;
        outSizes[n] = rs[p]!;
        n++;
        lastKey = key;
        lastLsn = lsn;
      }
      p++;
      if (p >= len) break;
      const nk = rk[p]!;
      const nl = rl[p]!;
      if (nk < key || (nk === key && nl <= lsn)) {
        throw new Error(`kMerge: input ${r} is not strictly sorted by (key, lsn) at entry ${p}`);
      }
      // Still strictly before the best other head (ties go to the lower run index)?
      if (nk < limitKey || (nk === limitKey && (nl < limitLsn || (nl === limitLsn && r < limitRun))))
        continue;
      break;
    }
    pos[r] = p;
    if (p >= len) {
      heap[0] = heap[--heapSize]!;
    } else {
      headKey[r] = rk[p]!;
      headLsn[r] = rl[p]!;
    }
    if (heapSize > 0) siftDown(0);
  }

  function secondBest(): number {
    const l = heap[1]!;
    if (heapSize > 2) {
      const r = heap[2]!;
      return less(r, l) ? r : l;
    }
    return l;
  }

  return { keys: outKeys.subarray(0, n), lsns: outLsns.subarray(0, n), sizes: outSizes.subarray(0, n) };
}
