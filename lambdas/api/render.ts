// JSON shapes of the control and debug APIs (modern-additions.md, storage-controller.md §3.4).
import { formatTenantShardId } from '../core/ids';
import { placementPolicyToJson } from '../core/model/placement-policy';
import type { Tenant } from '../core/model/tenant';
import type { TenantShard } from '../core/model/tenant-shard';
import { renderTenantConfig } from './tenant-config-schema';

export function describeTenant(
  tenant: Tenant,
  shards: TenantShard[],
  reconciling: ReadonlySet<string> = new Set(),
) {
  return {
    tenant_id: tenant.tenantId,
    shards: shards.map((s) => ({
      tenant_shard_id: formatTenantShardId(s.id),
      node_attached: s.intent.attached,
      node_secondary: s.intent.secondary,
      last_error: s.lastError ?? '',
      is_reconciling: reconciling.has(formatTenantShardId(s.id)),
      is_pending_compute_notification: s.pendingComputeNotification,
      is_splitting: s.splitting,
      scheduling_policy: s.schedulingPolicy,
      preferred_az_id: s.preferredAz,
    })),
    stripe_size: tenant.stripeSize,
    policy: placementPolicyToJson(tenant.policy),
    config: renderTenantConfig(tenant.config),
  };
}

/** The debug dump of one shard, close to the original's TenantState JSON. */
export function dumpShard(shard: TenantShard) {
  return {
    tenant_shard_id: formatTenantShardId(shard.id),
    shard: { number: shard.id.number, count: shard.id.count, stripe_size: shard.stripeSize, layout: 1 },
    generation: shard.generation,
    generation_pageserver: shard.generationPageserver,
    policy: placementPolicyToJson(shard.policy),
    scheduling_policy: shard.schedulingPolicy,
    intent: shard.intent,
    observed: {
      locations: Object.fromEntries(Object.entries(shard.observed).map(([node, conf]) => [node, { conf }])),
    },
    config: renderTenantConfig(shard.config),
    splitting: shard.splitting ? 'Splitting' : 'Idle',
    last_error: shard.lastError ?? '',
    pending_compute_notification: shard.pendingComputeNotification,
    preferred_az_id: shard.preferredAz,
    version: shard.version,
  };
}
