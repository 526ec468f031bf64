/** Scenarios, scales, and the table of results. */

import type { HistoryEvent } from './simulator';
import {
  type AlgorithmName,
  type LayerRecord,
  type SimStats,
  Simulator,
  storageAmp,
  writeAmp,
} from './simulator';
import { makeWorkload, WORKLOAD_NAMES, type WorkloadName } from './workloads';

const MiB = 1024 * 1024;

export interface Scale {
  readonly name: string;
  readonly records: number;
  readonly recordSize: number;
  /** Bytes (the reference's "5 000 MB" is 5 000 MiB). */
  readonly logicalSize: number;
  readonly targetFileSize: number;
  readonly fanout: number;
}

/** The original suite: 20 000 000 records of 1 000 bytes over 5 000 MB, 256 MiB files, fanout 4. */
export const FULL_SCALE: Scale = {
  name: 'full',
  records: 20_000_000,
  recordSize: 1000,
  logicalSize: 5000 * MiB,
  targetFileSize: 256 * MiB,
  fanout: 4,
};

/** The same shape divided by 16 (records, logical size and file size), so ratios are kept. */
export const QUICK_SCALE: Scale = {
  name: 'quick',
  records: FULL_SCALE.records / 16,
  recordSize: 1000,
  logicalSize: FULL_SCALE.logicalSize / 16,
  targetFileSize: FULL_SCALE.targetFileSize / 16,
  fanout: 4,
};

export const DEFAULT_SEED = 42;

export interface RunResult {
  readonly scenario: WorkloadName;
  readonly algorithm: AlgorithmName;
  readonly stats: SimStats;
  readonly liveLayers: number;
  readonly readAmp: number;
  readonly flushes: number;
  readonly history: readonly HistoryEvent[];
  readonly layers: readonly LayerRecord[];
}

export interface RunOptions {
  readonly scale: Scale;
  readonly seed?: number;
  /** Called now and then with the number of records ingested so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

export async function runScenario(
  scenario: WorkloadName,
  algorithm: AlgorithmName,
  opts: RunOptions,
): Promise<RunResult> {
  const { scale } = opts;
  const workload = makeWorkload(scenario, {
    records: scale.records,
    recordSize: scale.recordSize,
    logicalSize: scale.logicalSize,
    seed: opts.seed ?? DEFAULT_SEED,
  });
  const sim = new Simulator({
    keyCount: workload.keyCount,
    algorithm,
    targetFileSize: scale.targetFileSize,
    fanout: scale.fanout,
  });
  const total = scale.records;
  for (let i = 0; i < total; i++) {
    if (sim.ingest(workload.nextKey(i), scale.recordSize)) {
      await sim.compactIfNeeded();
      opts.onProgress?.(i + 1, total);
    }
  }
  await sim.finish();
  opts.onProgress?.(total, total);
  return {
    scenario,
    algorithm,
    stats: sim.stats(),
    liveLayers: sim.host.live.size,
    readAmp: sim.readAmp(),
    flushes: sim.flushes,
    history: sim.host.history,
    layers: sim.host.records,
  };
}

export const SCENARIOS: readonly WorkloadName[] = WORKLOAD_NAMES;

const mb = (bytes: number) => Math.floor(bytes / MiB);

/** One row per run: the reference's statistics, then live files and read amplification. */
export function formatTable(results: readonly RunResult[]): string {
  const header = [
    'scenario',
    'algorithm',
    'WAL ingested MB',
    'size created MB',
    'size deleted MB',
    'files created',
    'files deleted',
    'write amp',
    'storage amp',
    'live files',
    'read amp',
  ];
  const rows = results.map((r) => [
    r.scenario,
    r.algorithm,
    String(mb(r.stats.walIngested)),
    String(mb(r.stats.bytesWritten)),
    String(mb(r.stats.bytesDeleted)),
    String(r.stats.filesCreated),
    String(r.stats.filesDeleted),
    writeAmp(r.stats).toFixed(2),
    storageAmp(r.stats).toFixed(2),
    String(r.liveLayers),
    String(r.readAmp),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, c) => (c < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

export function describeScale(scale: Scale, seed: number): string {
  return (
    `scale ${scale.name}: ${scale.records.toLocaleString('en-US')} records × ${scale.recordSize} B, ` +
    `logical size ${mb(scale.logicalSize)} MB, target file size ${mb(scale.targetFileSize)} MB, ` +
    `fanout ${scale.fanout}, seed ${seed}`
  );
}
