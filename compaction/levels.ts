/**
 * Level identification. Levels are not stored anywhere: at every compaction they are recognised
 * from the shapes of the existing layers (their LSN heights and where they can be cut).
 */
import type { LayerDesc, Lsn, LsnRange } from './types';

export interface Level<L extends LayerDesc = LayerDesc> {
  /** `[start, end)`: the level's LSN range; `end` is the cut-off LSN it was identified below. */
  readonly lsnRange: LsnRange;
  /** Every delta layer inside the range, and every image layer with its LSN in `[start, end]`. */
  readonly layers: L[];
}

export class LevelCutError extends Error {}

/**
 * Find the level immediately below `endLsn`.
 *
 * The level is `[start, endLsn)` for the lowest `start` such that
 *   (a) no delta layer crosses `start` (`layer.start < start < layer.end`), and
 *   (b) every delta layer lying in `[start, endLsn)` spans at most `maxHeight` LSN bytes.
 * Image layers never constrain the cut. Returns `undefined` when the level would be empty
 * (`start == endLsn`, e.g. the newest delta below `endLsn` is already too tall).
 *
 * Layers above `endLsn` are ignored. A delta layer crossing `endLsn` means the caller passed a cut
 * that does not partition the LSN space, which is an error.
 */
export function identifyLevel<L extends LayerDesc>(
  layers: readonly L[],
  endLsn: Lsn,
  maxHeight: number,
): Level<L> | undefined {
  const deltas: L[] = [];
  for (const l of layers) {
    const { start, end } = l.lsnRange;
    if (l.kind === 'delta') {
      if (start < endLsn && end > endLsn) {
        throw new LevelCutError(
          `end LSN ${endLsn} does not partition the LSN space: it crosses layer ${l.id}`,
        );
      }
      if (start < endLsn) deltas.push(l);
    }
  }
  if (deltas.length === 0) return undefined;

  // Every cut must lie at or above the end of the newest too-tall delta.
  let floor = Number.NEGATIVE_INFINITY;
  for (const l of deltas) {
    if (l.lsnRange.end - l.lsnRange.start > maxHeight && l.lsnRange.end > floor) floor = l.lsnRange.end;
  }

  // Candidate cuts are delta boundaries (and the floor itself), lowest first.
  const candidates = new Set<number>();
  if (floor > Number.NEGATIVE_INFINITY) candidates.add(floor);
  for (const l of deltas) {
    if (l.lsnRange.start >= floor) candidates.add(l.lsnRange.start);
    if (l.lsnRange.end >= floor) candidates.add(l.lsnRange.end);
  }
  const sorted = [...candidates].filter((c) => c <= endLsn).sort((a, b) => a - b);

  let start = endLsn;
  for (const c of sorted) {
    if (!deltas.some((l) => l.lsnRange.start < c && c < l.lsnRange.end)) {
      start = c;
      break;
    }
  }
  if (start >= endLsn) return undefined;

  const members = layers.filter((l) =>
    l.kind === 'delta'
      ? l.lsnRange.start >= start && l.lsnRange.start < endLsn
      : l.lsnRange.start >= start && l.lsnRange.start <= endLsn,
  );
  return { lsnRange: { start, end: endLsn }, layers: members };
}

/**
 * Depth of a set of layers: the maximum, over all keys, of the number of delta layers stacked
 * above the newest image layer covering that key (all of them if there is none). That is the
 * read amplification of a lookup at the newest LSN, which is what compaction tries to bound.
 */
export function levelDepth(layers: readonly LayerDesc[]): number {
  interface Ev {
    key: number;
    idx: number;
    open: boolean;
  }
  const events: Ev[] = [];
  layers.forEach((l, idx) => {
    if (l.keyRange.end <= l.keyRange.start) return;
    events.push({ key: l.keyRange.start, idx, open: true });
    events.push({ key: l.keyRange.end, idx, open: false });
  });
  events.sort((a, b) => a.key - b.key || a.idx - b.idx);

  const active = new Set<number>();
  let max = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.open) active.add(e.idx);
    else active.delete(e.idx);
    const next = events[i + 1];
    if (next !== undefined && next.key === e.key) continue;
    if (active.size <= max) continue; // cannot beat the current maximum
    // Newest first; on equal ends an image shadows the deltas below it.
    const stack = [...active]
      .map((idx) => layers[idx]!)
      .sort(
        (a, b) =>
          b.lsnRange.end - a.lsnRange.end || (a.kind === 'image' ? -1 : 0) - (b.kind === 'image' ? -1 : 0),
      );
    let depth = 0;
    for (const l of stack) {
      if (l.kind === 'image') break;
      depth++;
    }
    if (depth > max) max = depth;
  }
  return max;
}
