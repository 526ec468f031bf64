// What the controller tells a pageserver about one shard (reference/storage-controller.md §3.5).
import type { ShardIndex } from '../ids';

export const LOCATION_MODES = [
  'AttachedSingle',
  'AttachedMulti',
  'AttachedStale',
  'Secondary',
  'Detached',
] as const;
export type LocationMode = (typeof LOCATION_MODES)[number];

/** Opaque to the controller: passed to pageservers as given. */
export type TenantConfig = Record<string, unknown>;

export interface LocationConfig {
  mode: LocationMode;
  generation: number | null;
  secondary_conf: { warm: boolean } | null;
  shard_number: number;
  /** The count literal: 0 for legacy unsharded. */
  shard_count: number;
  shard_stripe_size: number;
  tenant_conf: TenantConfig;
}

export interface ShardIdentity extends ShardIndex {
  stripeSize: number;
}

export function isAttachedMode(mode: LocationMode): boolean {
  return mode === 'AttachedSingle' || mode === 'AttachedMulti' || mode === 'AttachedStale';
}

function base(shard: ShardIdentity, config: TenantConfig) {
  return {
    shard_number: shard.number,
    shard_count: shard.count,
    shard_stripe_size: shard.stripeSize,
    tenant_conf: config,
  };
}

export function attachedConf(
  shard: ShardIdentity,
  config: TenantConfig,
  generation: number,
  mode: 'AttachedSingle' | 'AttachedMulti' | 'AttachedStale' = 'AttachedSingle',
): LocationConfig {
  return { mode, generation, secondary_conf: null, ...base(shard, config) };
}

export function secondaryConf(shard: ShardIdentity, config: TenantConfig): LocationConfig {
  return { mode: 'Secondary', generation: null, secondary_conf: { warm: true }, ...base(shard, config) };
}

export function detachConf(shard: ShardIdentity, config: TenantConfig): LocationConfig {
  return { mode: 'Detached', generation: null, secondary_conf: null, ...base(shard, config) };
}

/** Config keys whose null means "unset": compare as if absent, so {} and {x: null} agree. */
function setEntries(config: TenantConfig): Array<[string, string]> {
  return Object.entries(config)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => [k, JSON.stringify(v)] as [string, string])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whole-object equality, as the original compares observed and wanted locations. */
export function sameLocation(
  a: LocationConfig | null | undefined,
  b: LocationConfig | null | undefined,
): boolean {
  if (!a || !b) return false;
  return (
    a.mode === b.mode &&
    a.generation === b.generation &&
    (a.secondary_conf?.warm ?? null) === (b.secondary_conf?.warm ?? null) &&
    a.shard_number === b.shard_number &&
    a.shard_count === b.shard_count &&
    a.shard_stripe_size === b.shard_stripe_size &&
    JSON.stringify(setEntries(a.tenant_conf)) === JSON.stringify(setEntries(b.tenant_conf))
  );
}
