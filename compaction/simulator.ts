/**
 * The compaction simulator: an in-memory host for the algorithm plus the ingest / flush /
 * compact loop. Records are kept column-wise in typed arrays (20 bytes each), never as objects.
 */
import { batchTotalSize, copyBatch, EntryBuilder, isStrictlySorted } from './entries';
import { levelDepth } from './levels';
import { compactNaive } from './naive';
import { compactTiered, type LevelReport, type TieredParams } from './tiered';
import {
  type CompactionHost,
  type EntryBatch,
  FULL_KEY_RANGE,
  type KeyRange,
  type KeySpace,
  type LayerDesc,
  type LayerKind,
  type Lsn,
  type LsnRange,
  PAGE_SIZE,
  rangesOverlap,
} from './types';

export const ALGORITHMS = ['tiered', 'naive'] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

export function isAlgorithmName(s: string): s is AlgorithmName {
  return (ALGORITHMS as readonly string[]).includes(s);
}

export type LayerOrigin = 'flush' | 'compaction';

/** A layer as remembered by the history (no entries, so it costs nothing to keep). */
export interface LayerRecord extends LayerDesc {
  readonly seq: number;
  readonly origin: LayerOrigin;
}

export interface SimLayer extends LayerRecord {
  /** Present for delta layers. */
  readonly entries: EntryBatch | undefined;
}

export type HistoryOp = 'flush' | 'create-delta' | 'create-image' | 'delete';

export interface HistoryEvent {
  /** Number of L0 flushes so far (flush events carry their own number). */
  readonly step: number;
  readonly op: HistoryOp;
  /** `seq` of the layer. */
  readonly layer: number;
}

export interface SimStats {
  readonly walIngested: number;
  /** Bytes written by flushes and compaction outputs (delta and image layers). */
  readonly bytesWritten: number;
  readonly bytesDeleted: number;
  readonly filesCreated: number;
  readonly filesDeleted: number;
}

export function writeAmp(s: SimStats): number {
  return s.bytesWritten / s.walIngested;
}

export function storageAmp(s: SimStats): number {
  return (s.bytesWritten - s.bytesDeleted) / s.walIngested;
}

function shortId(kind: LayerKind, seq: number, k: KeyRange, l: LsnRange): string {
  const hex = (n: number) => n.toString(16).toUpperCase();
  return kind === 'delta'
    ? `${seq}:D:${hex(k.start)}-${hex(k.end)}__${hex(l.start)}-${hex(l.end)}`
    : `${seq}:I:${hex(k.start)}-${hex(k.end)}__${hex(l.start)}`;
}

/** In-memory layer map implementing the algorithm's host interface, with statistics and history. */
export class SimHost implements CompactionHost<SimLayer> {
  readonly live = new Map<number, SimLayer>();
  readonly records: LayerRecord[] = [];
  readonly history: HistoryEvent[] = [];
  /** LSN of the first record written to each key (+Infinity while it does not exist). */
  private readonly firstLsn: Float64Array;
  step = 0;
  bytesWritten = 0;
  bytesDeleted = 0;
  filesCreated = 0;
  filesDeleted = 0;

  constructor(readonly keyCount: number) {
    this.firstLsn = new Float64Array(keyCount).fill(Number.POSITIVE_INFINITY);
  }

  /** Note that `key` is written at `lsn` (records arrive in LSN order). */
  touchKey(key: number, lsn: Lsn): void {
    if (this.firstLsn[key] === Number.POSITIVE_INFINITY) this.firstLsn[key] = lsn;
  }

  async listLayers(keyRange: KeyRange, lsnRange: LsnRange): Promise<SimLayer[]> {
    const out: SimLayer[] = [];
    for (const l of this.live.values()) {
      if (rangesOverlap(l.keyRange, keyRange) && rangesOverlap(l.lsnRange, lsnRange)) out.push(l);
    }
    return out;
  }

  async getKeyspace(keyRange: KeyRange, lsn: Lsn): Promise<KeySpace> {
    return this.keyspaceAt(keyRange, lsn);
  }

  keyspaceAt(keyRange: KeyRange, lsn: Lsn): KeyRange[] {
    const out: KeyRange[] = [];
    const from = Math.max(0, keyRange.start);
    const to = Math.min(this.keyCount, keyRange.end);
    const first = this.firstLsn;
    let runStart = -1;
    for (let k = from; k < to; k++) {
      if (first[k]! < lsn) {
        if (runStart < 0) runStart = k;
      } else if (runStart >= 0) {
        out.push({ start: runStart, end: k });
        runStart = -1;
      }
    }
    if (runStart >= 0) out.push({ start: runStart, end: to });
    return out;
  }

  async readDeltaEntries(layer: SimLayer): Promise<EntryBatch> {
    if (layer.entries === undefined) throw new Error(`layer ${layer.id} is not a delta layer`);
    if (!this.live.has(layer.seq)) throw new Error(`layer ${layer.id} was deleted`);
    return layer.entries;
  }

  async createImageLayer(keyRange: KeyRange, lsn: Lsn): Promise<SimLayer> {
    let keys = 0;
    for (const r of this.keyspaceAt(keyRange, lsn)) keys += r.end - r.start;
    return this.add(
      'image',
      'compaction',
      keyRange,
      { start: lsn, end: lsn + 1 },
      keys * PAGE_SIZE,
      undefined,
    );
  }

  async createDeltaLayer(keyRange: KeyRange, lsnRange: LsnRange, entries: EntryBatch): Promise<SimLayer> {
    checkDeltaEntries(keyRange, lsnRange, entries);
    const owned = copyBatch(entries);
    return this.add('delta', 'compaction', keyRange, lsnRange, batchTotalSize(owned), owned);
  }

  /** A new L0 layer from the in-memory records (the simulator's flush, not part of the interface). */
  flushL0(lsnRange: LsnRange, entries: EntryBatch): SimLayer {
    checkDeltaEntries(FULL_KEY_RANGE, lsnRange, entries);
    this.step++;
    return this.add('delta', 'flush', FULL_KEY_RANGE, lsnRange, batchTotalSize(entries), entries);
  }

  async deleteLayer(layer: SimLayer): Promise<void> {
    if (!this.live.delete(layer.seq)) throw new Error(`layer ${layer.id} deleted twice or never created`);
    this.bytesDeleted += layer.fileSize;
    this.filesDeleted++;
    this.history.push({ step: this.step, op: 'delete', layer: layer.seq });
  }

  private add(
    kind: LayerKind,
    origin: LayerOrigin,
    keyRange: KeyRange,
    lsnRange: LsnRange,
    fileSize: number,
    entries: EntryBatch | undefined,
  ): SimLayer {
    const seq = this.records.length;
    const record: LayerRecord = {
      seq,
      id: shortId(kind, seq, keyRange, lsnRange),
      kind,
      origin,
      keyRange,
      lsnRange,
      fileSize,
    };
    this.records.push(record);
    const layer: SimLayer = { ...record, entries };
    this.live.set(seq, layer);
    this.bytesWritten += fileSize;
    this.filesCreated++;
    const op: HistoryOp = origin === 'flush' ? 'flush' : kind === 'delta' ? 'create-delta' : 'create-image';
    this.history.push({ step: this.step, op, layer: seq });
    return layer;
  }
}

/** Throws unless the entries are strictly sorted and inside the layer's rectangle. */
export function checkDeltaEntries(keyRange: KeyRange, lsnRange: LsnRange, entries: EntryBatch): void {
  const { keys, lsns } = entries;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const l = lsns[i]!;
    if (k < keyRange.start || k >= keyRange.end || l < lsnRange.start || l >= lsnRange.end) {
      throw new Error(
        `entry (${k}, ${l}) is outside layer ${keyRange.start}..${keyRange.end} × ${lsnRange.start}..${lsnRange.end}`,
      );
    }
  }
  if (!isStrictlySorted(entries)) throw new Error('delta entries are not strictly sorted by (key, lsn)');
}

export interface SimulatorParams extends TieredParams {
  readonly keyCount: number;
  readonly algorithm: AlgorithmName;
  /** First LSN. */
  readonly startLsn?: number;
}

/** The ingest / flush / compact loop. */
export class Simulator {
  readonly host: SimHost;
  readonly reports: LevelReport[] = [];
  /** Records ingested since the last flush, in LSN order. */
  private readonly buffer: EntryBuilder;
  private bufferedBytes = 0;
  private startLsn: number;
  private endLsn: number;
  private lastFlushLsn: number;
  private numFlushes = 0;
  private lastCompactAtFlush = 0;
  private counts: Uint32Array;
  walIngested = 0;
  recordsIngested = 0;

  constructor(readonly params: SimulatorParams) {
    this.host = new SimHost(params.keyCount);
    const cap = Math.max(1024, Math.min(1 << 22, Math.ceil(params.targetFileSize / 64)));
    this.buffer = new EntryBuilder(cap);
    this.counts = new Uint32Array(params.keyCount + 1);
    this.startLsn = params.startLsn ?? 0;
    this.endLsn = this.startLsn;
    this.lastFlushLsn = this.startLsn;
  }

  /** Append one record at the current end LSN. Returns true when this caused an L0 flush. */
  ingest(key: number, len: number): boolean {
    if (!(key >= 0 && key < this.params.keyCount && Number.isInteger(key)))
      throw new Error(`key ${key} out of range`);
    if (!(len > 0 && Number.isInteger(len))) throw new Error(`bad record length ${len}`);
    this.buffer.push(key, this.endLsn, len);
    this.host.touchKey(key, this.endLsn);
    this.endLsn += len;
    this.bufferedBytes += len;
    this.walIngested += len;
    this.recordsIngested++;
    if (this.bufferedBytes > this.params.targetFileSize) {
      this.flush();
      return true;
    }
    return false;
  }

  /** Write the in-memory records as one L0 delta layer over the full key range. */
  flush(): void {
    const n = this.buffer.length;
    if (n === 0) return;
    const { keys, lsns, sizes } = this.buffer.view();
    // Counting sort by key; records are already in LSN order, and the sort is stable.
    const counts = this.counts;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[keys[i]! + 1]!++;
    for (let k = 1; k < counts.length; k++) counts[k]! += counts[k - 1]!;
    const outKeys = new Float64Array(n);
    const outLsns = new Float64Array(n);
    const outSizes = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      const p = counts[k]!++;
      outKeys[p] = k;
      outLsns[p] = lsns[i]!;
      outSizes[p] = sizes[i]!;
    }
    this.host.flushL0(
      { start: this.startLsn, end: this.endLsn },
      { keys: outKeys, lsns: outLsns, sizes: outSizes },
    );
    this.buffer.length = 0;
    this.bufferedBytes = 0;
    this.startLsn = this.endLsn;
    this.lastFlushLsn = this.endLsn;
    this.numFlushes++;
  }

  /** Compact when `fanout` L0 flushes have happened since the last compaction. */
  async compactIfNeeded(): Promise<void> {
    if (this.numFlushes - this.lastCompactAtFlush >= this.params.fanout) {
      await this.compact();
      this.lastCompactAtFlush = this.numFlushes;
    }
  }

  async compact(): Promise<void> {
    const run = this.params.algorithm === 'tiered' ? compactTiered : compactNaive;
    this.reports.push(...(await run(this.host, this.lastFlushLsn, this.params)));
  }

  /** Final flush and compaction. */
  async finish(): Promise<void> {
    this.flush();
    await this.compact();
    this.lastCompactAtFlush = this.numFlushes;
  }

  get flushes(): number {
    return this.numFlushes;
  }

  stats(): SimStats {
    const h = this.host;
    return {
      walIngested: this.walIngested,
      bytesWritten: h.bytesWritten,
      bytesDeleted: h.bytesDeleted,
      filesCreated: h.filesCreated,
      filesDeleted: h.filesDeleted,
    };
  }

  /** Delta layers a lookup of the newest version of the worst key must visit, over live layers. */
  readAmp(): number {
    return levelDepth([...this.host.live.values()]);
  }
}
