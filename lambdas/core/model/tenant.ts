// The tenant as a whole: what all its shards share.
import type { TenantConfig } from './location-config';
import type { PlacementPolicy, ShardSchedulingPolicy } from './placement-policy';

export interface Tenant {
  tenantId: string;
  /** The shard count literal of the tenant's current shards (0: legacy unsharded). */
  shardCount: number;
  stripeSize: number;
  policy: PlacementPolicy;
  schedulingPolicy: ShardSchedulingPolicy;
  config: TenantConfig;
  /** Fingerprint of the last compute notification the hook accepted, to skip identical re-sends. */
  lastComputeNotification: string | null;
  version: number;
}

/** A tenant as first written: scheduling Active, nothing notified yet. */
export function newTenant(
  fields: Pick<Tenant, 'tenantId' | 'shardCount' | 'stripeSize' | 'policy' | 'config'>,
): Omit<Tenant, 'version'> {
  return { ...fields, schedulingPolicy: 'Active', lastComputeNotification: null };
}

/** A config patch: a key set to null is removed, a key with a value is set, others are kept. */
export function patchTenantConfig(current: TenantConfig, patch: TenantConfig): TenantConfig {
  const next: TenantConfig = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next;
}
