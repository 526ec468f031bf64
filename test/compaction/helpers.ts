import type { SimHost } from '../../compaction/simulator';
import type { LayerDesc } from '../../compaction/types';

/** A hand-made layer for level tests (no entries). */
export function delta(keyStart: number, keyEnd: number, lsnStart: number, lsnEnd: number): LayerDesc {
  return {
    id: `D ${keyStart}-${keyEnd} @ ${lsnStart}-${lsnEnd}`,
    kind: 'delta',
    keyRange: { start: keyStart, end: keyEnd },
    lsnRange: { start: lsnStart, end: lsnEnd },
    fileSize: 0,
  };
}

export function image(keyStart: number, keyEnd: number, lsn: number): LayerDesc {
  return {
    id: `I ${keyStart}-${keyEnd} @ ${lsn}`,
    kind: 'image',
    keyRange: { start: keyStart, end: keyEnd },
    lsnRange: { start: lsn, end: lsn + 1 },
    fileSize: 0,
  };
}

/**
 * A reference reader over the live layers, independent of the algorithm: looks a record up by
 * (key, lsn) in every live delta layer whose rectangle contains it, by binary search.
 * Returns the sizes found (one per layer holding it).
 */
export function readRecord(host: SimHost, key: number, lsn: number): number[] {
  const found: number[] = [];
  for (const l of host.live.values()) {
    if (l.kind !== 'delta' || l.entries === undefined) continue;
    if (key < l.keyRange.start || key >= l.keyRange.end || lsn < l.lsnRange.start || lsn >= l.lsnRange.end)
      continue;
    const { keys, lsns, sizes } = l.entries;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < key || (keys[mid] === key && lsns[mid]! < lsn)) lo = mid + 1;
      else hi = mid;
    }
    if (lo < keys.length && keys[lo] === key && lsns[lo] === lsn) found.push(sizes[lo]!);
  }
  return found;
}

/** Total number of entries held by live delta layers. */
export function liveEntryCount(host: SimHost): number {
  let n = 0;
  for (const l of host.live.values()) n += l.entries?.keys.length ?? 0;
  return n;
}
