// Bulk set (or clear) shards' preferred AZ (`PUT /control/v1/preferred_azs`). Every shard is read
// in batches and the changes are written together (up to 100 operations a transaction), each on
// the version read; the optimizer then moves attachments home. Nothing is written unless every
// shard and AZ is known.
import { BadRequestError, ConflictError, NotFoundError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import type { NodeStore, TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

export interface PreferredAzChange {
  id: TenantShardId;
  /** null clears the preference. */
  az: string | null;
}

/** Returns the shards whose preferred AZ changed. */
export async function setPreferredAzs(
  stores: { tenants: TenantStore; nodes: NodeStore },
  wanted: PreferredAzChange[],
): Promise<TenantShardId[]> {
  const zones = new Set((await stores.nodes.list()).flatMap((n) => n.availabilityZoneId ?? []));
  for (const { id, az } of wanted) {
    if (az !== null && !zones.has(az))
      throw new BadRequestError(
        `Unknown availability zone ${JSON.stringify(az)} for ${formatTenantShardId(id)}: no registered node is in it`,
      );
  }
  const updated = new Map<string, TenantShardId>();
  await retryOnConflict(async () => {
    const shards = new Map(
      (await stores.tenants.getShards(wanted.map((w) => w.id))).map((s) => [formatTenantShardId(s.id), s]),
    );
    const missing = wanted.find((w) => !shards.has(formatTenantShardId(w.id)));
    if (missing) throw new NotFoundError(`Tenant shard ${formatTenantShardId(missing.id)} not found`);
    const changes = wanted.flatMap(({ id, az }) => {
      const before = shards.get(formatTenantShardId(id))!;
      return before.preferredAz === az ? [] : [{ before, after: { ...before, preferredAz: az } }];
    });
    // A split copies the parents' AZ to the children when it begins: a change now would be lost.
    const splitting = changes.find((c) => c.before.splitting);
    if (splitting)
      throw new ConflictError(`Tenant shard ${formatTenantShardId(splitting.before.id)} is splitting`);
    // Transactions commit in chunks: what one chunk wrote before another lost a race stays
    // written, and the retry (which re-reads) finds it done.
    for (let i = 0; i < changes.length; i += CHUNK) {
      const chunk = changes.slice(i, i + CHUNK);
      await stores.tenants.saveShards(chunk);
      for (const c of chunk) updated.set(formatTenantShardId(c.before.id), c.before.id);
    }
  });
  return [...updated.values()];
}

/** Shards per write: each is one put plus at most two AZ counter updates, under DynamoDB's 100. */
const CHUNK = 32;
