/**
 * Tiered compaction.
 *
 * Starting at L0 (right below the newest flushed L0 layer), identify each level from the layer
 * shapes; when a level has `fanout` or more tiers stacked over some key, rewrite it either as
 * image layers at its end LSN (when that is smaller than its deltas) or as a re-tiled set of
 * delta layers spanning its whole LSN range, which then form one tier of the next level.
 * History is never discarded: re-tiling only reshuffles records.
 */
import { batchLength, viewBatch } from './entries';
import { kMerge } from './kmerge';
import { identifyLevel, type Level, levelDepth } from './levels';
import {
  type CompactionHost,
  type EntryBatch,
  FULL_KEY_RANGE,
  KEY_MAX,
  KEY_MIN,
  type KeyRange,
  type KeySpace,
  keyspaceSize,
  type LayerDesc,
  type LsnRange,
  layersOverlap,
  PAGE_SIZE,
} from './types';

export interface TieredParams {
  /** Target size of output layers, and the L0 level's target LSN height (bytes). */
  readonly targetFileSize: number;
  /** Tiers per level: a level is compacted when its depth reaches this. */
  readonly fanout: number;
}

/** Slop on a level's target height, so slightly oversized layers still count as its members. */
export const LEVEL_HEIGHT_SLOP = 1.75;

export type LevelAction = 'images' | 'retile' | 'none';

export interface LevelReport {
  readonly levelNo: number;
  readonly lsnRange: LsnRange;
  readonly layers: number;
  readonly depth: number;
  readonly action: LevelAction;
}

/**
 * Run tiered compaction on everything below `endLsn` (the end of the newest flushed L0 layer,
 * which must not be crossed by any delta layer). Returns what was found and done per level.
 *
 * Every level is identified below the same cut-off `endLsn`, with a target height `fanout` times
 * the previous one: the layers a level compaction writes span that level's whole LSN range, so
 * they are the newest tier of the next, taller level and count towards its depth right away.
 * The loop stops at the first level whose depth is below `fanout` (or that is empty), so no level
 * is left at the fanout. It also stops when a level holds nothing older than what the previous
 * step just wrote (compacting it again could not change anything).
 */
export async function compactTiered<L extends LayerDesc>(
  host: CompactionHost<L>,
  endLsn: number,
  params: TieredParams,
): Promise<LevelReport[]> {
  const { targetFileSize, fanout } = params;
  if (!(fanout >= 1)) throw new Error(`fanout must be at least 1, got ${fanout}`);
  if (!(targetFileSize > 0)) throw new Error(`targetFileSize must be positive, got ${targetFileSize}`);
  const growth = Math.max(2, fanout);
  const reports: LevelReport[] = [];
  let targetHeight = targetFileSize;
  let previousStart: number | undefined;
  for (let levelNo = 0; Number.isFinite(targetHeight); levelNo++) {
    // +1 so image layers sitting exactly at `endLsn` are included.
    const all = await host.listLayers(FULL_KEY_RANGE, { start: 0, end: endLsn + 1 });
    const level = identifyLevel(all, endLsn, Math.floor(targetHeight * LEVEL_HEIGHT_SLOP));
    if (level === undefined) break;
    if (previousStart !== undefined && level.lsnRange.start >= previousStart) break;
    const depth = levelDepth(level.layers);
    if (depth < fanout) {
      reports.push({ levelNo, lsnRange: level.lsnRange, layers: level.layers.length, depth, action: 'none' });
      break;
    }
    const action = await compactLevel(host, level, targetFileSize);
    reports.push({ levelNo, lsnRange: level.lsnRange, layers: level.layers.length, depth, action });
    previousStart = level.lsnRange.start;
    targetHeight *= growth;
  }
  return reports;
}

/**
 * Compact one level as a single job over the whole key range: cover it with image layers if the
 * keyspace at its end LSN is smaller than its delta layers, else re-tile its deltas.
 */
export async function compactLevel<L extends LayerDesc>(
  host: CompactionHost<L>,
  level: Level<L>,
  targetFileSize: number,
): Promise<LevelAction> {
  const deltas = level.layers.filter((l) => l.kind === 'delta');
  if (deltas.length === 0) return 'none';
  const keyspace = await host.getKeyspace(FULL_KEY_RANGE, level.lsnRange.end);
  const keyspaceBytes = keyspaceSize(keyspace) * PAGE_SIZE;
  let deltaBytes = 0;
  for (const l of deltas) deltaBytes += l.fileSize;
  if (keyspaceBytes < deltaBytes) {
    for (const keyRange of planImageRanges(keyspace, targetFileSize)) {
      await host.createImageLayer(keyRange, level.lsnRange.end);
    }
    // Images make no input deletable: history is kept.
    return 'images';
  }
  await retileDeltas(host, deltas, level.lsnRange, targetFileSize);
  return 'retile';
}

/**
 * Split the key space into image layers of about `targetFileSize` each (at most that, spread
 * evenly so there is no tiny tail). The ranges tile `[KEY_MIN, KEY_MAX)`.
 */
export function planImageRanges(keyspace: KeySpace, targetFileSize: number): KeyRange[] {
  const totalKeys = keyspaceSize(keyspace);
  const targetKeys = Math.max(1, Math.floor(targetFileSize / PAGE_SIZE));
  const count = Math.max(1, Math.ceil(totalKeys / targetKeys));
  // Cut `i` (1-based) falls before the floor(total * i / count)-th key (0-based).
  const cutAt = (i: number) => Math.floor((totalKeys * i) / count);
  const out: KeyRange[] = [];
  let start = KEY_MIN;
  let seen = 0; // keys before `k`
  let nextCut = cutAt(1);
  for (const r of keyspace) {
    let k = r.start;
    while (out.length < count - 1 && seen + (r.end - k) > nextCut) {
      // The `nextCut`-th key (0-based) starts the next image.
      const cutKey = k + (nextCut - seen);
      out.push({ start, end: cutKey });
      start = cutKey;
      seen = nextCut;
      k = cutKey;
      nextCut = cutAt(out.length + 1);
    }
    seen += r.end - k;
  }
  out.push({ start, end: KEY_MAX });
  return out;
}

/** One output delta layer: entries `[from, to)` of the merged batch, and its rectangle. */
export interface DeltaCut {
  readonly keyRange: KeyRange;
  readonly lsnRange: LsnRange;
  readonly from: number;
  readonly to: number;
}

/**
 * Cut merged entries (sorted by key, lsn) into delta layers spanning `lsnRange`, splitting on
 * the key dimension whenever the next key's versions would push a layer past `targetFileSize`.
 * A key whose versions alone exceed the target gets a column of its own, split on LSN.
 * Key ranges are contiguous from `KEY_MIN`; the last layer extends to `KEY_MAX`.
 */
export function planDeltaCuts(merged: EntryBatch, lsnRange: LsnRange, targetFileSize: number): DeltaCut[] {
  const { keys, lsns, sizes } = merged;
  const n = keys.length;
  const cuts: DeltaCut[] = [];
  let layerStart = KEY_MIN;
  let layerFrom = 0;
  let accum = 0;
  let i = 0;
  while (i < n) {
    const key = keys[i]!;
    let j = i;
    let group = 0;
    while (j < n && keys[j] === key) group += sizes[j++]!;

    if (group > targetFileSize) {
      if (i > layerFrom) {
        cuts.push({ keyRange: { start: layerStart, end: key }, lsnRange, from: layerFrom, to: i });
        layerStart = key;
      }
      // LSN-split column over [layerStart, key + 1).
      const colKeys = { start: layerStart, end: key + 1 };
      let chunkFrom = i;
      let chunkLsn = lsnRange.start;
      let chunkSize = 0;
      for (let p = i; p < j; p++) {
        const s = sizes[p]!;
        if (p > chunkFrom && chunkSize + s > targetFileSize) {
          cuts.push({
            keyRange: colKeys,
            lsnRange: { start: chunkLsn, end: lsns[p]! },
            from: chunkFrom,
            to: p,
          });
          chunkFrom = p;
          chunkLsn = lsns[p]!;
          chunkSize = 0;
        }
        chunkSize += s;
      }
      cuts.push({
        keyRange: colKeys,
        lsnRange: { start: chunkLsn, end: lsnRange.end },
        from: chunkFrom,
        to: j,
      });
      layerStart = key + 1;
      layerFrom = j;
      accum = 0;
    } else {
      if (i > layerFrom && accum + group > targetFileSize) {
        cuts.push({ keyRange: { start: layerStart, end: key }, lsnRange, from: layerFrom, to: i });
        layerStart = key;
        layerFrom = i;
        accum = 0;
      }
      accum += group;
    }
    i = j;
  }
  if (n > layerFrom)
    cuts.push({ keyRange: { start: layerStart, end: KEY_MAX }, lsnRange, from: layerFrom, to: n });
  return cuts;
}

/**
 * K-way merge the input deltas and write them back as `planDeltaCuts` says. An input is deleted
 * as soon as every output layer overlapping it has been written.
 */
export async function retileDeltas<L extends LayerDesc>(
  host: CompactionHost<L>,
  inputs: readonly L[],
  lsnRange: LsnRange,
  targetFileSize: number,
): Promise<number> {
  const batches: EntryBatch[] = [];
  for (const l of inputs) batches.push(await host.readDeltaEntries(l));
  const merged = kMerge(batches);
  batches.length = 0;
  const cuts = planDeltaCuts(merged, lsnRange, targetFileSize);

  // For every input, how many output layers it still waits for.
  const pending = inputs.map((l) => cuts.reduce((n, c) => n + (layersOverlap(l, c) ? 1 : 0), 0));
  const deleted = inputs.map(() => false);
  const deleteReady = async () => {
    for (let i = 0; i < inputs.length; i++) {
      if (!deleted[i] && pending[i] === 0) {
        deleted[i] = true;
        await host.deleteLayer(inputs[i]!);
      }
    }
  };
  for (const cut of cuts) {
    await host.createDeltaLayer(cut.keyRange, cut.lsnRange, viewBatch(merged, cut.from, cut.to));
    for (let i = 0; i < inputs.length; i++) if (layersOverlap(inputs[i]!, cut)) pending[i]!--;
    await deleteReady();
  }
  await deleteReady();
  return batchLength(merged);
}
