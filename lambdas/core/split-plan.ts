// Which shards a split acts on, decided from the tenant's shards alone (reference §5.11).
import { BadRequestError, ConflictError, NotFoundError } from './errors';
import { formatTenantShardId, MAX_U8, shardCountOf, splitChildren } from './ids';
import type { TenantShard } from './model/tenant-shard';

export interface SplitTarget {
  parent: string;
  node: number;
  children: string[];
}

export type SplitPlan =
  | { kind: 'done'; newShards: string[] }
  | { kind: 'split'; oldCount: number; targets: SplitTarget[]; newShards: string[] };

/**
 * `newStripeSize` (optional) may only differ from the current stripe when the tenant has one
 * shard: with several, data is already laid out by the current stripe and computes would read
 * the wrong shards.
 */
export function planSplit(shards: TenantShard[], newCount: number, newStripeSize?: number | null): SplitPlan {
  if (shards.length === 0) throw new NotFoundError('Tenant not found');
  if (!Number.isInteger(newCount) || newCount < 2 || newCount > MAX_U8) {
    throw new BadRequestError(`new_shard_count must be between 2 and ${MAX_U8}`);
  }
  const children = shards.filter((s) => s.id.count === newCount);
  const higher = shards.find((s) => shardCountOf(s.id.count) > newCount);
  if (higher) {
    throw new BadRequestError(
      `Requested count ${newCount} but already have shards at count ${shardCountOf(higher.id.count)}`,
    );
  }
  const candidates = shards.filter((s) => s.id.count !== newCount);
  if (candidates.length === 0) {
    if (children.length === newCount)
      return { kind: 'done', newShards: children.map((c) => formatTenantShardId(c.id)) };
    throw new NotFoundError('Tenant not found');
  }
  if (children.length > 0 || candidates.some((s) => s.splitting))
    throw new ConflictError('Tenant is already splitting');
  const oldCount = candidates[0]!.id.count;
  if (candidates.some((s) => s.id.count !== oldCount))
    throw new ConflictError('Cannot split, currently mid-split');
  const ratio = newCount / shardCountOf(oldCount);
  if (!Number.isInteger(ratio) || (ratio & (ratio - 1)) !== 0) {
    throw new BadRequestError(
      `new_shard_count ${newCount} must be the current count ${shardCountOf(oldCount)} times a power of two`,
    );
  }
  const stripe = candidates[0]!.stripeSize;
  if (
    newStripeSize !== undefined &&
    newStripeSize !== null &&
    newStripeSize !== stripe &&
    candidates.length > 1
  ) {
    throw new BadRequestError(
      `Cannot change the stripe size (${stripe} to ${newStripeSize}) of a tenant that already has ${candidates.length} shards`,
    );
  }
  const targets = candidates.map((parent) => {
    if (parent.intent.attached === null)
      throw new BadRequestError('Cannot split a tenant that is not attached');
    return {
      parent: formatTenantShardId(parent.id),
      node: parent.intent.attached,
      children: splitChildren(parent.id, newCount).map(formatTenantShardId),
    };
  });
  return { kind: 'split', oldCount, targets, newShards: targets.flatMap((t) => t.children) };
}
