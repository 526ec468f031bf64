/**
 * Baseline strategy: "merge all L0 into one level".
 *
 * When `fanout` L0 layers have stacked up, k-way merge all of them and re-tile the result into
 * key-partitioned delta layers spanning the L0s' LSN range. Those layers are never compacted
 * again and no image layers are made, so write amplification stays near 2 while the number of
 * layers a lookup must visit keeps growing with the WAL.
 */
import { identifyLevel, levelDepth } from './levels';
import { LEVEL_HEIGHT_SLOP, type LevelReport, retileDeltas, type TieredParams } from './tiered';
import { type CompactionHost, FULL_KEY_RANGE, type LayerDesc } from './types';

export async function compactNaive<L extends LayerDesc>(
  host: CompactionHost<L>,
  endLsn: number,
  params: TieredParams,
): Promise<LevelReport[]> {
  const all = await host.listLayers(FULL_KEY_RANGE, { start: 0, end: endLsn + 1 });
  const level = identifyLevel(all, endLsn, Math.floor(params.targetFileSize * LEVEL_HEIGHT_SLOP));
  if (level === undefined) return [];
  const depth = levelDepth(level.layers);
  const report = { levelNo: 0, lsnRange: level.lsnRange, layers: level.layers.length, depth };
  if (depth < params.fanout) return [{ ...report, action: 'none' }];
  const deltas = level.layers.filter((l) => l.kind === 'delta');
  await retileDeltas(host, deltas, level.lsnRange, params.targetFileSize);
  return [{ ...report, action: 'retile' }];
}
