// Which shards have a reconcile (or a migration, which is one) in flight: the holder of a shard's
// lease is its only reconciler, so an unexpired shard lease is what "reconciling" means. Read by
// key in batches, one read for a page of tenants, never one per shard.
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import type { LeaseStore } from '../core/ports';

/** The ids (formatted) of the shards among `ids` whose lease is held now. */
export async function reconcilingShards(
  leases: Pick<LeaseStore, 'shardHoldersOf'>,
  ids: TenantShardId[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  return new Set((await leases.shardHoldersOf(ids)).map(({ id }) => formatTenantShardId(id)));
}
