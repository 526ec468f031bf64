// Identifiers and their string forms, as the pageserver API writes them
// (reference/wire-formats.md §2). Pure: no I/O.

export class FormatError extends Error {
  override name = 'FormatError';
}

/** 256 MiB / 8 KiB pages: the stripe size a tenant gets when none is given. */
export const DEFAULT_STRIPE_SIZE = 32768;
export const MAX_U8 = 255;
export const MAX_U32 = 0xffff_ffff;

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** TenantId and TimelineId: 32 hex characters in, lowercase out. */
export function parseHexId(text: string, what = 'id'): string {
  if (!HEX32.test(text)) throw new FormatError(`invalid ${what} '${text}': expected 32 hex characters`);
  return text.toLowerCase();
}

export const parseTenantId = (text: string): string => parseHexId(text, 'tenant id');
export const parseTimelineId = (text: string): string => parseHexId(text, 'timeline id');

/** NodeId is a u64 in Rust; we accept the integers JavaScript represents exactly. */
export function parseNodeId(text: string): number {
  if (!/^[0-9]{1,16}$/.test(text))
    throw new FormatError(`invalid node id '${text}': expected a decimal integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new FormatError(`invalid node id '${text}': too large`);
  return n;
}

export function isNodeId(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The effective number of shards: a literal count of 0 is the legacy unsharded form with one shard. */
export function shardCountOf(literal: number): number {
  return Math.max(literal, 1);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export interface ShardIndex {
  /** shard number, 0..count-1 */
  number: number;
  /** the count as stored: 0 means legacy unsharded */
  count: number;
}

export function formatShardIndex(index: ShardIndex): string {
  return hex2(index.number) + hex2(index.count);
}

export function parseShardIndex(text: string): ShardIndex {
  if (!HEX4.test(text)) throw new FormatError(`invalid shard index '${text}': expected 4 hex characters`);
  return { number: Number.parseInt(text.slice(0, 2), 16), count: Number.parseInt(text.slice(2), 16) };
}

export interface TenantShardId extends ShardIndex {
  tenantId: string;
}

export function tenantShardId(tenantId: string, number: number, count: number): TenantShardId {
  return { tenantId, number, count };
}

/** The legacy unsharded form prints without a suffix; every other shard prints `<tenant>-NNCC`. */
export function formatTenantShardId(id: TenantShardId): string {
  return id.count === 0 ? id.tenantId : `${id.tenantId}-${formatShardIndex(id)}`;
}

export function parseTenantShardId(text: string): TenantShardId {
  if (text.length === 32) return { tenantId: parseTenantId(text), number: 0, count: 0 };
  // Unlike the original parser we insist on the '-' separator (wire-formats QUIRK 7).
  if (text.length === 37 && text[32] === '-') {
    const tenantId = parseTenantId(text.slice(0, 32));
    const index = parseShardIndex(text.slice(33));
    if (index.count > 0 && index.number >= index.count) {
      throw new FormatError(`invalid tenant shard id '${text}': shard number must be below the count`);
    }
    if (index.count === 0 && index.number !== 0) {
      throw new FormatError(`invalid tenant shard id '${text}': an unsharded id has shard number 0`);
    }
    return { tenantId, ...index };
  }
  throw new FormatError(`invalid tenant shard id '${text}': expected 32 hex characters, optionally -NNCC`);
}

export function isUnsharded(id: ShardIndex): boolean {
  return id.number === 0 && id.count === 0;
}

/** Order of the original: tenant, then shard number, then shard count. */
export function compareTenantShardIds(a: TenantShardId, b: TenantShardId): number {
  if (a.tenantId !== b.tenantId) return a.tenantId < b.tenantId ? -1 : 1;
  if (a.number !== b.number) return a.number - b.number;
  return a.count - b.count;
}

export function sameTenantShard(a: TenantShardId, b: TenantShardId): boolean {
  return compareTenantShardIds(a, b) === 0;
}

/** Every shard id of a tenant at one count literal, in shard order. */
export function shardsOfCount(tenantId: string, countLiteral: number): TenantShardId[] {
  return Array.from({ length: shardCountOf(countLiteral) }, (_, n) => ({
    tenantId,
    number: n,
    count: countLiteral,
  }));
}

/**
 * The children of a parent when splitting to `newCount`: every k in 0..newCount with
 * k mod max(oldCount, 1) == parent number, ascending.
 */
export function splitChildren(parent: TenantShardId, newCount: number): TenantShardId[] {
  const oldCount = shardCountOf(parent.count);
  if (newCount <= oldCount) {
    throw new FormatError(`cannot split to ${newCount} shards: already at ${oldCount}`);
  }
  if (newCount > MAX_U8) throw new FormatError(`cannot split to ${newCount} shards: at most ${MAX_U8}`);
  const children: TenantShardId[] = [];
  for (let k = 0; k < newCount; k++) {
    if (k % oldCount === parent.number)
      children.push({ tenantId: parent.tenantId, number: k, count: newCount });
  }
  return children;
}

/** Lsn: a u64 printed as upper-case hex halves `HI/LO` without padding. */
export function formatLsn(lsn: bigint): string {
  if (lsn < 0n || lsn > 0xffff_ffff_ffff_ffffn) throw new FormatError(`lsn out of range: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

export function parseLsn(text: string): bigint {
  const parts = text.trim().split('/');
  if (parts.length !== 2) throw new FormatError(`invalid lsn '${text}': expected X/Y`);
  const [hi, lo] = parts as [string, string];
  if (!/^[0-9a-fA-F]{1,8}$/.test(hi) || !/^[0-9a-fA-F]{1,8}$/.test(lo)) {
    throw new FormatError(`invalid lsn '${text}': each half must be hex fitting 32 bits`);
  }
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export function isU8(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_U8;
}

export function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_U32;
}
