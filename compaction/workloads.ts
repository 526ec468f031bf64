import { Prng } from './prng';
import { PAGE_SIZE } from './types';

export const WORKLOAD_NAMES = ['uniform', 'hot-cold', 'append-only'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface WorkloadParams {
  /** Number of WAL records to ingest. */
  readonly records: number;
  /** Length of every record (bytes). */
  readonly recordSize: number;
  /** Logical database size (bytes); the key range is `logicalSize / 8 KiB` keys. */
  readonly logicalSize: number;
  readonly seed: number;
}

export interface Workload {
  readonly name: WorkloadName;
  /** Keys are in `[0, keyCount)`. */
  readonly keyCount: number;
  /** Key of record `i`; records are requested in order `0, 1, 2, ...`. */
  nextKey(i: number): number;
}

export function isWorkloadName(s: string): s is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(s);
}

export function makeWorkload(name: WorkloadName, p: WorkloadParams): Workload {
  const rng = new Prng(p.seed);
  const keyCount = Math.max(1, Math.floor(p.logicalSize / PAGE_SIZE));
  switch (name) {
    case 'uniform':
      // Keys uniformly random over the whole key range.
      return { name, keyCount, nextKey: () => rng.nextInt(keyCount) };
    case 'hot-cold': {
      // 90 % of the records go to the first 10 % of the keys.
      const hot = Math.max(1, Math.ceil(keyCount / 10));
      const cold = Math.max(1, keyCount - hot);
      return {
        name,
        keyCount: hot + cold,
        nextKey: () => (rng.nextU32() < 0.9 * 0x100000000 ? rng.nextInt(hot) : hot + rng.nextInt(cold)),
      };
    }
    case 'append-only': {
      // A table that only grows (bulk load, log table): every record appends to the last page,
      // and when it is full the next page (key) starts. The key space grows with the WAL, so
      // `logicalSize` is not used. Deterministic, no randomness needed.
      const perPage = Math.max(1, Math.floor(PAGE_SIZE / p.recordSize));
      return {
        name,
        keyCount: Math.max(1, Math.ceil(p.records / perPage)),
        nextKey: (i) => Math.floor(i / perPage),
      };
    }
  }
}
