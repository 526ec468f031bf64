// Reads of the tenant store for passes over many shards: the sparse index a page at a time, and
// tenants with their shards fetched by key in batches rather than a Query per tenant.
import { shardsOfCount, type TenantShardId } from '../../core/ids';
import type { Tenant } from '../../core/model/tenant';
import type { TenantShard } from '../../core/model/tenant-shard';
import type { TenantStore, TenantWithShards } from '../../core/ports';
import type { Item, Table } from './table';
import { DIRTY_INDEX, DIRTY_PK } from './table-schema';

/** Pages through the sparse index's partitions in turn, as shard ids. */
export async function listSparseIndex(
  table: Table,
  partitions: string[],
  limit: number,
  cursor?: string,
): Promise<{ ids: TenantShardId[]; next?: string }> {
  // The cursor is opaque to callers: the partition being read and DynamoDB's position within it.
  let { bucket, startKey } = cursor
    ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as {
        bucket: number;
        startKey?: Record<string, unknown>;
      })
    : { bucket: 0, startKey: undefined };
  const ids: TenantShardId[] = [];
  while (bucket < partitions.length && ids.length < limit) {
    const page = await table.query<Item & { tenantId: string; shardNumber: number; shardCount: number }>(
      partitions[bucket]!,
      {
        index: { name: DIRTY_INDEX, partitionKey: DIRTY_PK },
        limit: limit - ids.length,
        startKey,
      },
    );
    for (const item of page.items) {
      ids.push({ tenantId: item.tenantId, number: item.shardNumber, count: item.shardCount });
    }
    startKey = page.nextKey;
    if (!startKey) bucket += 1;
  }
  const next =
    bucket < partitions.length
      ? Buffer.from(JSON.stringify({ bucket, startKey })).toString('base64url')
      : undefined;
  return { ids, next };
}

/**
 * Each tenant's shards, fetched by key from its shard count in batches; a tenant whose shards are
 * not all there at that count, or are splitting (parents and children both exist), is read whole.
 */
export async function withShards(
  store: Pick<TenantStore, 'getShards' | 'getTenantWithShards'>,
  tenants: Tenant[],
): Promise<TenantWithShards[]> {
  const byTenant = new Map<string, TenantShard[]>();
  const expected = tenants.flatMap((t) => shardsOfCount(t.tenantId, t.shardCount));
  for (const shard of await store.getShards(expected)) {
    byTenant.set(shard.id.tenantId, [...(byTenant.get(shard.id.tenantId) ?? []), shard]);
  }
  const whole = await Promise.all(
    tenants.map(async (tenant) => {
      const shards = (byTenant.get(tenant.tenantId) ?? []).sort((a, b) => a.id.number - b.id.number);
      const count = shardsOfCount(tenant.tenantId, tenant.shardCount).length;
      if (shards.length === count && !shards.some((s) => s.splitting)) return { tenant, shards };
      return store.getTenantWithShards(tenant.tenantId);
    }),
  );
  return whole.filter((t): t is TenantWithShards => t !== undefined);
}
