import type { EntryBatch } from './types';

export function batchLength(batch: EntryBatch): number {
  return batch.keys.length;
}

export function emptyBatch(): EntryBatch {
  return { keys: new Float64Array(0), lsns: new Float64Array(0), sizes: new Uint32Array(0) };
}

/** A view of entries `[from, to)` sharing the batch's memory. */
export function viewBatch(batch: EntryBatch, from: number, to: number): EntryBatch {
  return {
    keys: batch.keys.subarray(from, to),
    lsns: batch.lsns.subarray(from, to),
    sizes: batch.sizes.subarray(from, to),
  };
}

/** A copy that owns its memory (and no more than it needs). */
export function copyBatch(batch: EntryBatch): EntryBatch {
  return { keys: batch.keys.slice(), lsns: batch.lsns.slice(), sizes: batch.sizes.slice() };
}

export function batchTotalSize(batch: EntryBatch): number {
  let total = 0;
  const sizes = batch.sizes;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  return total;
}

/** Build a batch from plain tuples (handy in tests and tools, not on hot paths). */
export function batchFromTuples(
  tuples: readonly (readonly [key: number, lsn: number, size: number])[],
): EntryBatch {
  const b = new EntryBuilder(tuples.length);
  for (const [k, l, s] of tuples) b.push(k, l, s);
  return b.finish();
}

export function batchToTuples(batch: EntryBatch): [key: number, lsn: number, size: number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < batch.keys.length; i++) out.push([batch.keys[i]!, batch.lsns[i]!, batch.sizes[i]!]);
  return out;
}

/** True when entries are sorted strictly by (key, lsn). */
export function isStrictlySorted(batch: EntryBatch): boolean {
  const { keys, lsns } = batch;
  for (let i = 1; i < keys.length; i++) {
    const dk = keys[i]! - keys[i - 1]!;
    if (dk < 0 || (dk === 0 && lsns[i]! <= lsns[i - 1]!)) return false;
  }
  return true;
}

/** A growable column-wise entry buffer. */
export class EntryBuilder {
  private keys: Float64Array;
  private lsns: Float64Array;
  private sizes: Uint32Array;
  length = 0;

  constructor(capacity = 1024) {
    const cap = Math.max(16, capacity);
    this.keys = new Float64Array(cap);
    this.lsns = new Float64Array(cap);
    this.sizes = new Uint32Array(cap);
  }

  push(key: number, lsn: number, size: number): void {
    if (this.length === this.keys.length) this.grow();
    const i = this.length++;
    this.keys[i] = key;
    this.lsns[i] = lsn;
    this.sizes[i] = size;
  }

  /** The entries so far as views (valid until the next push). */
  view(): EntryBatch {
    return {
      keys: this.keys.subarray(0, this.length),
      lsns: this.lsns.subarray(0, this.length),
      sizes: this.sizes.subarray(0, this.length),
    };
  }

  /** Copies the entries out and resets the builder (keeping its capacity). */
  finish(): EntryBatch {
    const out = copyBatch(this.view());
    this.length = 0;
    return out;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    const keys = new Float64Array(cap);
    const lsns = new Float64Array(cap);
    const sizes = new Uint32Array(cap);
    keys.set(this.keys);
    lsns.set(this.lsns);
    sizes.set(this.sizes);
    this.keys = keys;
    this.lsns = lsns;
    this.sizes = sizes;
  }
}
