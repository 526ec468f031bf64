// What the control plane is told about a tenant's placement (modern-additions.md), and when.
import { isUnsharded } from './ids';
import { isAttachedMode } from './model/location-config';
import type { TenantShard } from './model/tenant-shard';
import type { ComputeNotification } from './ports';

/** The node a shard is stably attached to: intended there and confirmed there in its current generation. */
export function placedNode(shard: TenantShard): number | null {
  const node = shard.intent.attached;
  if (node === null) return null;
  const observed = shard.observed[String(node)];
  if (!observed || !isAttachedMode(observed.mode) || observed.generation !== shard.generation) return null;
  return node;
}

/**
 * The notification for a tenant, or null while some shard of its newest count is not placed yet
 * (the reconcile that places the last one sends it). Shards of an older count, i.e. parents in
 * the middle of a split, are left out.
 */
export function buildComputeNotification(
  tenantId: string,
  shards: TenantShard[],
): ComputeNotification | null {
  if (shards.length === 0) return null;
  const count = Math.max(...shards.map((s) => s.id.count));
  const current = shards.filter((s) => s.id.count === count).sort((a, b) => a.id.number - b.id.number);
  if (current.length !== Math.max(count, 1)) return null;
  const entries: Array<{ node_id: number; shard_number: number }> = [];
  for (const shard of current) {
    const node = placedNode(shard);
    if (node === null) return null;
    entries.push({ node_id: node, shard_number: shard.id.number });
  }
  const zero = current[0]!;
  return {
    tenant_id: tenantId,
    stripe_size: isUnsharded(zero.id) ? null : zero.stripeSize,
    // The tenant's home AZ (its shards share one), not where shard zero happens to be attached now:
    // the control plane places the compute by it, and a failover must not move the compute.
    preferred_az: zero.preferredAz,
    shards: entries,
  };
}

/** Identical notifications have identical fingerprints: the last delivered one is not re-sent. */
export function notificationFingerprint(notification: ComputeNotification): string {
  return JSON.stringify(notification);
}
