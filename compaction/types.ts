/**
 * The abstraction between the compaction algorithm and its host.
 *
 * Nothing in here knows about AWS, the controller, or the simulator: the simulator implements
 * `CompactionHost` over in-memory layers, and a pageserver binding would implement it over real
 * layer files.
 */

/** A page key. Non-negative safe integers (one key = one 8 KiB page). */
export type Key = number;
/** A WAL position (byte offset). Monotonically increasing, non-negative safe integers. */
export type Lsn = number;

/** Half-open key range `[start, end)`. */
export interface KeyRange {
  readonly start: Key;
  readonly end: Key;
}

/** Half-open LSN range `[start, end)`. */
export interface LsnRange {
  readonly start: Lsn;
  readonly end: Lsn;
}

export const PAGE_SIZE = 8192;
export const KEY_MIN: Key = 0;
/** Exclusive upper bound of the key space. */
export const KEY_MAX: Key = Number.MAX_SAFE_INTEGER;
export const FULL_KEY_RANGE: KeyRange = { start: KEY_MIN, end: KEY_MAX };

export type LayerKind = 'delta' | 'image';

/**
 * What the algorithm sees of a layer.
 *
 * A delta layer holds WAL records for `keyRange` × `lsnRange`. An image layer holds one page image
 * per existing key of `keyRange` as of LSN `lsnRange.start` (it reflects every record with a
 * smaller LSN); by convention its `lsnRange` is `[lsn, lsn + 1)`.
 */
export interface LayerDesc {
  /** A short id, unique among the host's layers. */
  readonly id: string;
  readonly kind: LayerKind;
  readonly keyRange: KeyRange;
  readonly lsnRange: LsnRange;
  /** Bytes. */
  readonly fileSize: number;
}

/**
 * WAL records of a delta layer, column-wise: entry `i` is (`keys[i]`, `lsns[i]`, `sizes[i]`).
 * Within one batch the entries are sorted by (key, lsn). All three arrays have the same length.
 */
export interface EntryBatch {
  readonly keys: Float64Array;
  readonly lsns: Float64Array;
  readonly sizes: Uint32Array;
}

/** The keys that exist, as sorted, disjoint, non-empty half-open ranges. */
export type KeySpace = readonly KeyRange[];

/** The operations the algorithm needs from its host. */
export interface CompactionHost<L extends LayerDesc = LayerDesc> {
  /** Live layers whose key × LSN rectangle intersects the given one, in a deterministic order. */
  listLayers(keyRange: KeyRange, lsnRange: LsnRange): Promise<L[]>;
  /** Keys of `keyRange` that exist at `lsn` (written by a record with a smaller LSN). */
  getKeyspace(keyRange: KeyRange, lsn: Lsn): Promise<KeySpace>;
  /** The entries of a delta layer, sorted by (key, lsn). */
  readDeltaEntries(layer: L): Promise<EntryBatch>;
  /** Materialise the pages of `keyRange` as of `lsn` into a new image layer. */
  createImageLayer(keyRange: KeyRange, lsn: Lsn): Promise<L>;
  /** Write `entries` (sorted, inside the rectangle) into a new delta layer. */
  createDeltaLayer(keyRange: KeyRange, lsnRange: LsnRange, entries: EntryBatch): Promise<L>;
  deleteLayer(layer: L): Promise<void>;
}

export function rangesOverlap(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

export function layersOverlap(a: LayerDesc, b: { keyRange: KeyRange; lsnRange: LsnRange }): boolean {
  return rangesOverlap(a.keyRange, b.keyRange) && rangesOverlap(a.lsnRange, b.lsnRange);
}

export function isDelta(layer: LayerDesc): boolean {
  return layer.kind === 'delta';
}

/** Number of keys in a key space, restricted to `within`. */
export function keyspaceSize(keyspace: KeySpace, within: KeyRange = FULL_KEY_RANGE): number {
  let n = 0;
  for (const r of keyspace) {
    const s = Math.max(r.start, within.start);
    const e = Math.min(r.end, within.end);
    if (e > s) n += e - s;
  }
  return n;
}
